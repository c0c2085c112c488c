"""Sending one delivery: claim it, sign it, POST it, log the answer, then succeed, retry later or give up.

A try claims its delivery by moving `next_attempt_at` past its own timeout (a lease) in one conditional UPDATE,
so two runs of the same task, or the retry sweep racing the first send, never POST the same delivery twice at
once, and nothing holds a transaction open while the receiver thinks.
"""

import http.client
import json
import random
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, transaction
from django.db.models import OuterRef, Q
from django.utils import timezone

from accounts.services import notification_send
from integrations.choices import DeliveryStatus
from integrations.exceptions import SubscriptionDisabled
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSecret, WebhookSubscription
from integrations.outbox import outbox_emit
from integrations.webhooks import transport
from integrations.webhooks.events import payload_for
from integrations.webhooks.signing import signed_headers

FIRST_RETRY_SECONDS = 30


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, ±20 % jitter so a receiver's recovery is not met by a stampede."""
    base = FIRST_RETRY_SECONDS * 2 ** (attempts - 1)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


def _claim(delivery_id: int) -> WebhookDelivery | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True)
    claimed = WebhookDelivery.objects.filter(due, pk=delivery_id, status=DeliveryStatus.PENDING).update(
        next_attempt_at=lease
    )
    if not claimed:
        return None
    # The signing secrets in force come with the delivery: one statement for everything the try needs.
    in_force = WebhookSecret.objects.filter(subscription=OuterRef("subscription_id")).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return (
        WebhookDelivery.objects.select_related("subscription__token", "event")
        .annotate(secrets_in_force=ArraySubquery(in_force.values("secret")))
        .get(pk=delivery_id)
    )


def _token_problem(subscription: WebhookSubscription) -> str | None:
    token = subscription.token
    if token.revoked_at is not None:
        return f"its token {token.name!r} was revoked"
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return f"its token {token.name!r} expired"
    return None


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """One try of a due delivery; returns its status afterwards ('skipped' when it was not due or taken)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return "skipped"
    subscription = delivery.subscription
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.CANCELLED)
        return DeliveryStatus.CANCELLED
    if (problem := _token_problem(subscription)) is not None:
        webhook_subscription_disable(subscription=subscription, reason=f"Disabled: {problem}.")
        return DeliveryStatus.CANCELLED
    body = json.dumps(payload_for(delivery.event, subscription.token.scopes), separators=(",", ":"))
    now = timezone.now()
    headers = signed_headers(
        message_id=delivery.event.message_id, at=now, body=body, secrets_in_use=delivery.secrets_in_force
    )
    try:
        answer, error = transport.post(subscription.url, body.encode(), headers), ""
    except transport.AddressRefused as refused:
        answer, error = None, str(refused)
    except (OSError, http.client.HTTPException) as failure:  # refused, timeout, TLS, reset, not HTTP at all
        answer, error = None, f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
    return _record(delivery, answer, error)


def _record(delivery: WebhookDelivery, answer: transport.Answer | None, error: str) -> str:
    if answer is not None and 200 <= answer.status < 300:
        _succeeded(delivery, answer)
        return DeliveryStatus.SUCCEEDED
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=answer.status if answer else None,
            error=error[:500],
            duration_ms=answer.duration_ms if answer else 0,
            response_excerpt=answer.excerpt[:500] if answer else "",
        )
        delivery.attempts += 1
        delivery.last_status_code = answer.status if answer else None
        delivery.last_error = (error or f"answered {answer.status}")[:500]
        _failed(delivery)
        delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "next_attempt_at"])
    return delivery.status


# The common case in one statement (its log row and its status together), so a busy subscription costs three
# round trips a delivery: the claim, the read, this.
SUCCEEDED_SQL = """
WITH logged AS (
    INSERT INTO integrations_webhookattempt
        (delivery_id, attempted_at, status_code, error, duration_ms, response_excerpt)
    VALUES (%(id)s, %(now)s, %(status)s, '', %(ms)s, %(excerpt)s)
)
UPDATE integrations_webhookdelivery
SET status = 'succeeded', attempts = attempts + 1, last_status_code = %(status)s, last_error = '',
    delivered_at = %(now)s, next_attempt_at = NULL
WHERE id = %(id)s
"""


def _succeeded(delivery: WebhookDelivery, answer: transport.Answer) -> None:
    now = timezone.now()
    params = {"id": delivery.pk, "now": now, "status": answer.status, "ms": answer.duration_ms}
    with connection.cursor() as cursor:
        cursor.execute(SUCCEEDED_SQL, params | {"excerpt": answer.excerpt[:500]})
    if delivery.subscription.consecutive_failures:
        WebhookSubscription.objects.filter(pk=delivery.subscription_id).update(consecutive_failures=0)


def _failed(delivery: WebhookDelivery) -> None:
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = timezone.now() + retry_delay(delivery.attempts)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=delivery.subscription_id)
    subscription.consecutive_failures += 1
    subscription.save(update_fields=["consecutive_failures"])
    if subscription.is_active and subscription.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        reason = (
            f"Disabled after {subscription.consecutive_failures} failed tries in a row (last: {delivery.last_error})."
        )
        webhook_subscription_disable(subscription=subscription, reason=reason)
        if delivery.status == DeliveryStatus.PENDING:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.CANCELLED, None


def webhook_subscription_disable(*, subscription: WebhookSubscription, reason: str) -> WebhookSubscription:
    """Stops deliveries (waiting ones are cancelled; redeliver them after re-enabling) and tells the owner."""
    with transaction.atomic():
        subscription.is_active, subscription.disabled_at, subscription.disabled_reason = (
            False,
            timezone.now(),
            reason[:300],
        )
        subscription.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
        subscription.deliveries.filter(status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.CANCELLED, next_attempt_at=None
        )
        notification_send(
            recipient=subscription.owner,
            kind="webhook_disabled",
            subject_type="integrations.webhooksubscription",
            subject_id=subscription.pk,
            message=f"Webhook to {subscription.url[:200]} was disabled. {reason}"[:500],
            url=f"/system/webhooks/{subscription.pk}/",
        )
    return subscription


def webhook_deliveries_due(*, limit: int = 1000) -> list[int]:
    """Pending deliveries whose retry time has come (the sweep sends each)."""
    due = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
    return list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Starts a fresh round of tries for a delivery (its log stays); the subscription must be active."""
    if not delivery.subscription.is_active:
        raise SubscriptionDisabled("Enable the subscription before redelivering: it is disabled.")
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), delivered_at=None
        )
        outbox_emit(task="integrations.tasks.webhook_deliver", delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery
