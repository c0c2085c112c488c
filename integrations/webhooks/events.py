"""Webhook events: written with the change that caused them, fanned out to subscriptions after commit, and
shaped per subscription so a payload carries only what its token may read."""

import time

from accounts.scopes import withheld
from integrations.choices import DeliveryStatus, EventType
from integrations.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from integrations.outbox import outbox_emit

# Which resource's read scope each part of a payload needs. A part the token may not read is cut to its id (the
# rule a write's answer follows too: accounts.scopes.write_answer_withheld).
PART_RESOURCES = {
    "lead": "leads",
    "transition": "leads",
    "reassignment": "leads",
    "handoff": "handoffs",
    "breach": "handoffs",
    "definition": "definitions",
    "scoring_model": "scoring",
    "campaign": "campaigns",
    "metrics": "metrics",
}
# The resource a subscription's token must read to subscribe to an event type at all.
EVENT_RESOURCES = {
    EventType.LEAD_CREATED: "leads",
    EventType.LEAD_TRANSITIONED: "leads",
    EventType.LEAD_REASSIGNED: "leads",
    EventType.HANDOFF_CREATED: "handoffs",
    EventType.HANDOFF_ACCEPTED: "handoffs",
    EventType.HANDOFF_REJECTED: "handoffs",
    EventType.SLA_BREACHED: "handoffs",
    EventType.DEFINITION_ACTIVATED: "definitions",
    EventType.SCORING_MODEL_ACTIVATED: "scoring",
    EventType.CAMPAIGN_ACTIVATED: "campaigns",
    EventType.METRICS_RECOMPUTED: "metrics",
}

# The event types someone listens to, per process: most changes have no subscriber, and then no event row
# is written. A subscription saved in another process is heard within this many seconds.
_LISTENED_TTL = 5.0
_listened: tuple[float, frozenset[str]] = (0.0, frozenset())


def listened_types_forget() -> None:
    global _listened
    _listened = (0.0, frozenset())


def webhook_listened(type: str) -> bool:
    """Whether any active subscription hears `type`: callers skip building a payload nobody will receive."""
    return type in _listened_types()


def _listened_types() -> frozenset[str]:
    global _listened
    read_at, types = _listened
    if time.monotonic() - read_at > _LISTENED_TTL:
        rows = WebhookSubscription.objects.filter(is_active=True).values_list("event_types", flat=True)
        types = frozenset(t for event_types in rows for t in event_types)
        _listened = (time.monotonic(), types)
    return types


def webhook_event_emit(*, type: str, data: dict) -> WebhookEvent | None:
    """Records the event with the caller's change; after commit the outbox fans it out. None: nobody listens."""
    events = webhook_events_emit(type=type, datas=[data])
    return events[0] if events else None


def webhook_events_emit(*, type: str, datas: list[dict]) -> list[WebhookEvent]:
    """Many events of one type (a bulk reassignment) in one insert and one outbox message."""
    if type not in _listened_types() or not datas:
        return []
    events = WebhookEvent.objects.bulk_create([WebhookEvent(type=type, payload=data) for data in datas])
    outbox_emit(task="integrations.tasks.webhook_fanout", event_ids=[event.pk for event in events])
    return events


def webhook_fanout(*, event_ids: list[int]) -> list[int]:
    """One delivery per active subscription to each event's type; a second run adds none. Returns the ids of
    the deliveries still waiting for their first try (the caller sends those)."""
    events = list(WebhookEvent.objects.filter(pk__in=event_ids))
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True))
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(subscription=s, event=e, next_attempt_at=e.occurred_at)
            for e in events
            for s in subscriptions
            if e.type in s.event_types
        ],
        ignore_conflicts=True,
    )
    waiting = WebhookDelivery.objects.filter(event__in=events, attempts=0, status=DeliveryStatus.PENDING)
    return list(waiting.order_by("pk").values_list("pk", flat=True))


def token_reads(scopes: list[str], resource: str) -> bool:
    return f"{resource}:read" in scopes


def payload_for(event: WebhookEvent, scopes: list[str]) -> dict:
    """The Standard Webhooks envelope with every part the token may not read cut down to its id."""
    data = {}
    for part, value in event.payload.items():
        resource = PART_RESOURCES.get(part)
        if resource is None or token_reads(scopes, resource) or not isinstance(value, dict):
            data[part] = value
        else:
            data[part] = withheld(value.get("id"), f"{resource}:read")
    return {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": data}
