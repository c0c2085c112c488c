from celery import shared_task

from leads.scoring.services import lead_scores_refresh


@shared_task(name="leads.tasks.lead_scores_recompute", ignore_result=True)
def lead_scores_recompute(cause: str = "recompute") -> int:
    """Rescores every lead set-based under the active version; safe to rerun (unchanged scores stay put)."""
    scored, _ = lead_scores_refresh(lead_ids=None, cause=cause)
    return scored


@shared_task(name="leads.tasks.lead_scores_refresh", ignore_result=True)
def lead_scores_refresh_for(lead_ids: list[int]) -> int:
    """Rescores the leads a batch of touches reached: a new touch shows in its lead's score within seconds."""
    scored, _ = lead_scores_refresh(lead_ids=lead_ids, cause="touches")
    return scored


# The import job's task lives with the import; imported here so the worker's autodiscovery registers it.
from leads.imports.tasks import import_job_run_task  # noqa: E402, F401
