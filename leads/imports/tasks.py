from celery import shared_task


@shared_task(name="leads.imports.tasks.import_job_run", ignore_result=True, acks_late=True)
def import_job_run_task(job_id: int) -> None:
    """Runs or resumes an import; a second delivery skips the chunks already committed."""
    # Imported when it runs: leads.tasks imports this module (to register the task) while apps load.
    from leads.imports.services import import_job_run

    import_job_run(job_id=job_id)
