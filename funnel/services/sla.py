"""The SLA clock job: records each missed handoff clock once and escalates it to the receiving team's manager."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import notification_send
from funnel import events
from funnel.choices import HandoffStatus, SlaKind
from funnel.models import Handoff, SlaBreach


def _manager_of(handoff: Handoff) -> User | None:
    if handoff.to_team_id and handoff.to_team.manager_id:
        return handoff.to_team.manager
    return handoff.to_owner.manager if handoff.to_owner_id else None


def _overdue(kind: str, now: datetime):
    handoffs = Handoff.objects.select_related("lead", "to_team__manager", "to_owner__manager")
    if kind == SlaKind.ACCEPT:
        handoffs = handoffs.filter(status=HandoffStatus.PENDING, accept_due_at__lt=now)
    else:
        handoffs = handoffs.filter(
            status__in=[HandoffStatus.PENDING, HandoffStatus.ACCEPTED],
            first_touched_at__isnull=True,
            first_touch_due_at__lt=now,
        )
    return handoffs.exclude(breaches__kind=kind)


def _record(handoff: Handoff, kind: str) -> SlaBreach | None:
    due = handoff.accept_due_at if kind == SlaKind.ACCEPT else handoff.first_touch_due_at
    manager = _manager_of(handoff)
    try:
        with transaction.atomic():
            breach = SlaBreach.objects.create(handoff=handoff, kind=kind, due_at=due, escalated_to=manager)
            events.sla_breached(breach)
    except IntegrityError:  # a concurrent run recorded it first: the unique key keeps it to one
        return None
    if manager is not None:
        who = handoff.to_owner.get_username() if handoff.to_owner_id else "the receiving team"
        notification_send(
            recipient=manager,
            kind=f"sla_breach_{kind}",
            subject_type="funnel.handoff",
            subject_id=handoff.pk,
            message=f"SLA missed: {SlaKind(kind).label.lower()} of {handoff.lead.name} by {who} was due "
            f"{due:%Y-%m-%d %H:%M} UTC.",
            url=f"/leads/{handoff.lead_id}/",
        )
    return breach


def handoff_sla_breaches_record(*, now: datetime | None = None) -> list[SlaBreach]:
    """Finds handoffs whose accept or first-touch clock ran out and records each breach exactly once,
    however often the job runs; returns the breaches recorded by this run."""
    now = now or timezone.now()
    recorded = []
    for kind in SlaKind.values:
        for handoff in _overdue(kind, now):
            breach = _record(handoff, kind)
            if breach is not None:
                recorded.append(breach)
    return recorded
