from integrations.models.outbox import OutboxMessage
from integrations.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSecret,
    WebhookSubscription,
)

__all__ = [
    "OutboxMessage",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSecret",
    "WebhookSubscription",
]
