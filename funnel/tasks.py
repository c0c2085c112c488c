from celery import shared_task

from funnel.services import notifications, sla


@shared_task(name="funnel.tasks.transition_notify")
def transition_notify(transition_id: int) -> int:
    return notifications.transition_notify(transition_id=transition_id)


@shared_task(name="funnel.tasks.handoff_sla_check")
def handoff_sla_check() -> int:
    return len(sla.handoff_sla_breaches_record())
