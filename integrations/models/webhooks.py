import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from integrations.choices import DeliveryStatus, EventType


class WebhookSubscription(models.Model):
    """An address that hears about some event types, signed with the subscription's secrets.

    The payloads carry only what `token`'s scopes may read; a subscription whose token is revoked or expired
    stops delivering. Repeated failure disables it (`disabled_at`, `disabled_reason`) and tells `owner`.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token = models.ForeignKey("accounts.ApiToken", on_delete=models.PROTECT, related_name="webhook_subscriptions")
    url = models.URLField(max_length=2000, help_text="Where events are POSTed (http or https).")
    event_types = ArrayField(models.CharField(max_length=40, choices=EventType.choices))
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(event_types__contained_by=EventType.values) & ~Q(event_types=[]),
                name="webhook_event_types_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.event_types)})"


class WebhookSecret(models.Model):
    """A signing secret. Rotation adds a new one and gives the old an end: until then both sign every message,
    so a receiver can switch secrets without missing one. Kept in clear: signing needs the secret itself."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="secrets")
    secret = models.CharField(max_length=80, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"secret of subscription {self.subscription_id} from {self.created_at:%Y-%m-%d}"


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEvent(models.Model):
    """Something that happened, as it stood when it happened; `message_id` is the `webhook-id` every delivery
    and retry of it carries, so a receiver can drop a repeat."""

    message_id = models.CharField(max_length=40, unique=True, default=_message_id, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class WebhookDelivery(models.Model):
    """One event to one subscription: retried with backoff until it succeeds or the attempts run out."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # A fan-out that runs twice writes each delivery once.
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status=DeliveryStatus.PENDING), name="webhook_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}: {self.status}"


class WebhookAttempt(models.Model):
    """The delivery log: each try with its answer, kept for the subscription's owner to read."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"attempt on delivery {self.delivery_id}: {self.status_code or self.error}"
