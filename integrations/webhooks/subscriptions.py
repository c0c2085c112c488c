"""Creating, changing and rotating webhook subscriptions (administrators, or a token with `webhooks:manage`)."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import ApiToken, User
from integrations.choices import DeliveryStatus
from integrations.exceptions import AddressNotAllowed, NotAllowed
from integrations.models import WebhookSecret, WebhookSubscription
from integrations.webhooks import transport
from integrations.webhooks.events import EVENT_RESOURCES, listened_types_forget, token_reads
from integrations.webhooks.signing import secret_new


def webhook_url_check(url: str) -> None:
    """Refuses a URL that is malformed, unresolvable or inside a network the administrator did not allow."""
    try:
        _scheme, port, host, _path = transport.url_check(url)
        transport.resolve_checked(host, port)
    except transport.AddressRefused as refused:
        raise AddressNotAllowed(str(refused), field="url") from None


def _token_check(token: ApiToken, event_types: list[str]) -> None:
    if token.user.role not in (Role.INTEGRATION, Role.ADMIN):
        raise NotAllowed(
            "A webhook's token must belong to an integration user or an administrator: payloads are not "
            "filtered by a person's visibility."
        )
    if token.revoked_at is not None or (token.expires_at and token.expires_at <= timezone.now()):
        raise NotAllowed(f"The token {token.name!r} is revoked or expired.")
    missing = sorted({EVENT_RESOURCES[t] for t in event_types if not token_reads(token.scopes, EVENT_RESOURCES[t])})
    if missing:
        scopes = ", ".join(f"'{r}:read'" for r in missing)
        raise NotAllowed(
            f"The token {token.name!r} lacks {scopes}, which these event types need.", missing_scopes=missing
        )


def webhook_subscription_create(
    *, owner: User, token: ApiToken, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookSubscription, str]:
    """The subscription and its first secret (shown once: only the owner's receiver should keep it)."""
    webhook_url_check(url)
    _token_check(token, event_types)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            owner=owner, token=token, url=url, event_types=sorted(set(event_types)), description=description
        )
        secret = WebhookSecret.objects.create(subscription=subscription, secret=secret_new())
    listened_types_forget()
    return subscription, secret.secret


def webhook_subscription_update(*, subscription: WebhookSubscription, **changes) -> WebhookSubscription:
    """Changes url, event types, description or is_active. Enabling again clears the failure count; disabling
    cancels the deliveries still waiting, as an automatic disable does, so none shows "pending" for hours."""
    if "url" in changes:
        webhook_url_check(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = sorted(set(changes["event_types"]))
        _token_check(subscription.token, changes["event_types"])
    if changes.get("is_active") and not subscription.is_active:
        _token_check(subscription.token, changes.get("event_types", subscription.event_types))
        changes.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
    disabling = changes.get("is_active") is False and subscription.is_active
    for name, value in changes.items():
        setattr(subscription, name, value)
    with transaction.atomic():
        subscription.save(update_fields=list(changes))
        if disabling:
            subscription.deliveries.filter(status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.CANCELLED, next_attempt_at=None
            )
    listened_types_forget()
    return subscription


def webhook_secret_rotate(*, subscription: WebhookSubscription, overlap_hours: int = 24) -> str:
    """A new secret signs from now on; the current ones keep signing for `overlap_hours` (0: stop now)."""
    now = timezone.now()
    with transaction.atomic():
        ends = now + timedelta(hours=overlap_hours)
        subscription.secrets.filter(expires_at__isnull=True).update(expires_at=ends)
        subscription.secrets.filter(expires_at__gt=ends).update(expires_at=ends)
        secret = WebhookSecret.objects.create(subscription=subscription, secret=secret_new(), created_at=now)
    return secret.secret


def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()
    listened_types_forget()
