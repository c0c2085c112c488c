from django.contrib import admin

from config.admin import ReadOnlyAdmin
from integrations.models import (
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSecret,
    WebhookSubscription,
)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["pk", "task", "created_at", "published_at", "attempts", "last_error"]
    list_filter = ["task"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["url", "is_active", "consecutive_failures", "disabled_at", "created_at"]


@admin.register(WebhookSecret)
class WebhookSecretAdmin(ReadOnlyAdmin):
    list_display = ["subscription", "created_at", "expires_at"]
    exclude = ["secret"]  # shown once to its owner, never again


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "type", "occurred_at"]
    list_filter = ["type"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["event", "subscription", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status"]
    raw_id_fields = ["event", "subscription"]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ["delivery", "attempted_at", "status_code", "error", "duration_ms"]
    raw_id_fields = ["delivery"]
