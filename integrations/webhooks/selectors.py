"""Reads for the administrators' webhooks pages: the subscriptions with their last delivery, the tokens a new
one may use, and a subscription's delivery log a page at a time."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.choices import Role
from accounts.models import ApiToken
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


@dataclass(frozen=True)
class LastDelivery:
    status: str
    at: datetime  # its newest try, else when it was created (not tried yet)


def webhook_subscription_list() -> QuerySet[WebhookSubscription]:
    """Newest first; each row carries `last_delivery_id` (the delivery of its newest event)."""
    newest = WebhookDelivery.objects.filter(subscription=OuterRef("pk")).order_by("-event_id").values("pk")[:1]
    return (
        WebhookSubscription.objects.select_related("token__user", "owner")
        .annotate(last_delivery_id=Subquery(newest))
        .order_by("-created_at", "-id")
    )


def webhook_last_deliveries(*, subscriptions: list[WebhookSubscription]) -> dict[int, LastDelivery]:
    """subscription id → its last delivery's status and time, in one query whatever the number of rows."""
    ids = [s.last_delivery_id for s in subscriptions if getattr(s, "last_delivery_id", None)]
    rows = WebhookDelivery.objects.filter(pk__in=ids).annotate(last_try=Max("log__attempted_at"))
    return {
        row.subscription_id: LastDelivery(status=row.status, at=row.last_try or row.created_at)
        for row in rows.only("subscription_id", "status", "created_at")
    }


def webhook_token_choices() -> QuerySet[ApiToken]:
    """Tokens a new subscription may name: active ones of active integration users (a person's token would
    leak through its payloads whatever that person may see)."""
    now = timezone.now()
    return (
        ApiToken.objects.select_related("user")
        .filter(user__role=Role.INTEGRATION, user__is_active=True, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("user__username", "name")
    )


def webhook_delivery_page(
    *, subscription: WebhookSubscription, before_event: int | None, size: int
) -> tuple[list[WebhookDelivery], int | None]:
    """(a page of the log, newest event first, each delivery with its tries; the cursor of the next page).

    Walked by event id: unique within a subscription and the second column of its (subscription, event)
    unique index, so every page is an index range however long the log grows."""
    rows = subscription.deliveries.select_related("event").prefetch_related(
        Prefetch("log", queryset=WebhookAttempt.objects.order_by("-attempted_at", "-id"))
    )
    if before_event is not None:
        rows = rows.filter(event_id__lt=before_event)
    page = list(rows.order_by("-event_id")[: size + 1])
    following = page[size - 1].event_id if len(page) > size else None
    return page[:size], following
