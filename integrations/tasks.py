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


# Deliveries travel in small batches: one broker message per delivery cost more than the POST itself, while a
# batch of 25 still spreads a burst over every worker process.
BATCH = 25


def _send(delivery_ids: list[int]) -> None:
    for start in range(0, len(delivery_ids), BATCH):
        webhook_deliver_batch.delay(delivery_ids=delivery_ids[start : start + BATCH])


@shared_task(name="integrations.tasks.webhook_fanout")
def webhook_fanout(event_ids: list[int]) -> int:
    waiting = events.webhook_fanout(event_ids=event_ids)
    _send(waiting)
    return len(waiting)


@shared_task(name="integrations.tasks.webhook_deliver", time_limit=120)
def webhook_deliver(delivery_id: int) -> str:
    return delivery.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.webhook_deliver_batch", time_limit=900)
def webhook_deliver_batch(delivery_ids: list[int]) -> int:
    """Each delivery claims itself, so a batch that runs twice, or overlaps the retry sweep, sends nothing twice."""
    return sum(delivery.webhook_delivery_attempt(delivery_id=pk) == "succeeded" for pk in delivery_ids)


@shared_task(name="integrations.tasks.webhook_retry_due")
def webhook_retry_due() -> int:
    due = delivery.webhook_deliveries_due()
    _send(due)
    return len(due)
