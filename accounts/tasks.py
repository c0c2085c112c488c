from celery import shared_task

from accounts.services import worker_heartbeat_record


@shared_task(name="accounts.tasks.heartbeat_record")
def heartbeat_record(name: str = "beat") -> int:
    return worker_heartbeat_record(name=name).runs
