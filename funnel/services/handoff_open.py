"""What a successful move does besides the stage: involves people, consumes approvals, settles a pending
handoff and opens a new one when the owning function changes (with its SLA clocks)."""

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import Team, User
from funnel import events
from funnel.choices import HandoffStatus, SlaClock
from funnel.engine.calendar import WorkCalendar, add_working_hours
from funnel.models import Handoff, HandoffRule, Stage, Transition
from funnel.services.checks import Check, Effects
from integrations.outbox import outbox_emit
from leads.choices import ParticipantRole
from leads.models import Lead, LeadParticipant

if TYPE_CHECKING:
    from funnel.routing.services import Routed


def pending_handoff(lead: Lead) -> Handoff | None:
    return Handoff.objects.filter(lead=lead, status=HandoffStatus.PENDING).only("id", "to_owner_id").first()


def pending_handoff_checks(pending: Handoff | None, actor: User | None) -> list[Check]:
    """A lead awaiting acceptance moves only by its receiver's hand (which accepts it) or not at all."""
    if pending is None:
        return []
    receiver = pending.to_owner.get_username() if pending.to_owner else "the receiving team"
    if actor is not None and actor.pk == pending.to_owner_id:
        return [Check("handoff", "pending handoff", True, f"moved by the receiver, which accepts handoff {pending.pk}")]
    return [
        Check("handoff", "pending handoff", False, f"handoff {pending.pk} awaits acceptance or rejection by {receiver}")
    ]


def team_calendar(team: Team | None) -> WorkCalendar | None:
    if team is None:
        return None
    return WorkCalendar(ZoneInfo(team.time_zone), frozenset(team.work_days), team.work_starts, team.work_ends)


def _due(rules: list[HandoffRule], field: str, start: datetime, team: Team | None, default: int | None):
    """The earliest due time any applicable rule sets for this clock (each on its own kind of clock)."""
    dues = [
        add_working_hours(
            start, getattr(r, field), team_calendar(team) if r.sla_clock == SlaClock.WORKING_HOURS else None
        )
        for r in rules
        if getattr(r, field)
    ]
    if not dues and default:
        dues = [add_working_hours(start, default, team_calendar(team))]
    return min(dues) if dues else None


def _open(lead, transition, stage, owner, team_id, rules, now) -> Handoff:
    team = owner.team if owner is not None else Team.objects.filter(pk=team_id).first()
    return Handoff.objects.create(
        lead=lead,
        transition=transition,
        from_function=lead.owning_function,
        to_function=stage.owning_function,
        from_owner_id=lead.owner_id,
        to_owner=owner,
        to_team_id=team_id,
        created_at=now,
        accept_due_at=_due(rules, "accept_within_hours", now, team, settings.FUNNEL_DEFAULT_ACCEPT_HOURS),
        first_touch_due_at=_due(rules, "first_touch_within_hours", now, team, None),
    )


def after_move(
    lead: Lead,
    transition: Transition,
    stage: Stage,
    routed: "Routed",
    actor: User | None,
    rules: list[HandoffRule],
    effects: Effects,
    now: datetime,
    pending: Handoff | None = None,
) -> Handoff | None:
    if pending is not None:  # the receiver moved it on: that is their acceptance
        Handoff.objects.filter(pk=pending.pk).update(status=HandoffStatus.ACCEPTED, decided_at=now, decided_by=actor)
    for user, reason in effects.involve:
        LeadParticipant.objects.get_or_create(
            lead=lead, user=user, defaults={"role": ParticipantRole.ESCALATION, "reason": reason[:300]}
        )
    for approval in effects.approvals:
        approval.used_by = transition
        approval.save(update_fields=["used_by"])
    handoff = None
    # A handoff is someone else receiving the lead across functions; an owner who keeps it has nobody to
    # hand it to (routing decides whether the owner changes). A lead routed to a team's queue is handed to the
    # team: whoever of them accepts it takes it.
    owner = routed.owner
    changes_hands = routed.queued or (owner is not None and owner.pk != lead.owner_id)
    if stage.owning_function != lead.owning_function and changes_hands and not stage.is_outcome:
        handoff = _open(lead, transition, stage, owner, routed.team_id, rules, now)
    outbox_emit(task="funnel.tasks.transition_notify", transition_id=transition.pk)
    events.lead_transitioned(lead, transition, handoff)
    return handoff


def handoff_first_touch_record(*, lead: Lead, by: User, at: datetime | None = None) -> int:
    """Stops the first-touch clock of the lead's open handoffs to `by` (a call report, an email logged)."""
    return Handoff.objects.filter(
        lead=lead,
        to_owner=by,
        first_touched_at__isnull=True,
        status__in=[HandoffStatus.PENDING, HandoffStatus.ACCEPTED],
    ).update(first_touched_at=at or timezone.now())
