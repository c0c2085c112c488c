from celery import shared_task

from integrations import outbox
from integrations.webhooks import delivery, events


@shared_task(name="integrations.tasks.outbox_sweep")
def outbox_sweep() -> int:
    """Publishes what the relay missed (not running, or the broker was down when it tried)."""
    published = 0
    while (batch := outbox.outbox_publish(limit=500, older_than_seconds=30)) == 500:
        published += batch
    return published + batch


@shared_task(name="integrations.tasks.outbox_prune")
def outbox_prune() -> int:
    return outbox.outbox_prune()


@shared_task(name="integrations.tasks.webhook_fanout")
def webhook_fanout(event_ids: list[int]) -> int:
    waiting = events.webhook_fanout(event_ids=event_ids)
    for delivery_id in waiting:
        webhook_deliver.delay(delivery_id=delivery_id)
    return len(waiting)


@shared_task(name="integrations.tasks.webhook_deliver", time_limit=120)
def webhook_deliver(delivery_id: int) -> str:
    return delivery.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.webhook_retry_due")
def webhook_retry_due() -> int:
    due = delivery.webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id=delivery_id)
    return len(due)
