"""Out of office: a person (or their manager) says when they are away and who stands in. Routing skips them
while it lasts (funnel.routing.availability), and the handoffs still waiting for their answer are handed on
once, when it begins: to the delegate if available, else by weighted round-robin in their team, else to the
team's queue — each recorded as a Reassignment carrying the routing decision."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Function, Role
from accounts.models import OutOfOffice, User
from accounts.selectors import managed_people_sql
from accounts.services import notification_send
from config.validation import NUL
from funnel.choices import HandoffStatus
from funnel.exceptions import NotAllowed
from funnel.models import Handoff, Reassignment
from funnel.routing.engine import Decision
from funnel.routing.services import person_route, pool_route
from integrations.outbox import outbox_emit
from leads.models import Lead

MAX_DAYS = 366
MAX_NOTE = 200
# A delegate answers the absent person's handoffs: across marketing and sales that would put a lead in the
# hands of the other side without a move. The shared function works with both.
SIDED = {Function.MARKETING, Function.SALES}


def name_of(user: User) -> str:
    return user.get_full_name() or user.get_username()


def moment(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def period(absence: OutOfOffice) -> str:
    return f"from {moment(absence.starts_at)} to {moment(absence.ends_at)}"


def absence_may_manage(*, actor: User, user: User) -> bool:
    """The person themselves, their managers (up the reporting line, or of their team or a team above it),
    revenue leaders and administrators."""
    if actor.pk == user.pk or actor.is_administrator or actor.role == Role.REVENUE_LEADER:
        return True
    return User.objects.filter(pk=user.pk).filter(pk__in=managed_people_sql(user=actor)).exists()


def _check_allowed(actor: User, user: User) -> None:
    if not absence_may_manage(actor=actor, user=user):
        raise NotAllowed(
            "Only the person, their manager, a revenue leader or an administrator sets or ends their out-of-office."
        )


def _check_person(user: User) -> None:
    if not user.is_active or user.role == Role.INTEGRATION:
        raise ValidationError({"user": f"{name_of(user)} is not an active person who can be out of office."})


def _check_period(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The out-of-office must end after it starts."})
    if ends_at <= now:
        raise ValidationError({"ends_at": "That end is in the past: an out-of-office must end in the future."})
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise ValidationError({"ends_at": f"An out-of-office lasts at most {MAX_DAYS} days."})


def _check_note(note: str) -> str:
    if NUL in note:
        raise ValidationError({"note": "The note contains a NUL character, which is not allowed."})
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": f"At most {MAX_NOTE} characters."})
    return note


def _check_delegate(user: User, delegate: User, starts_at: datetime, ends_at: datetime) -> None:
    if delegate.pk == user.pk:
        raise ValidationError({"delegate": f"{name_of(user)} cannot be their own delegate."})
    if not delegate.is_active or delegate.role == Role.INTEGRATION or delegate.team_id is None:
        raise ValidationError({"delegate": f"{name_of(delegate)} is not an active person who can own leads."})
    sides = {delegate.function, user.function}
    if sides <= SIDED and len(sides) == 2:
        raise ValidationError(
            {
                "delegate": f"{name_of(delegate)} works in {delegate.function} and {name_of(user)} in "
                f"{user.function}: a delegate answers their handoffs, so works in the same function."
            }
        )
    away = _overlapping(delegate, starts_at, ends_at).first()
    if away is not None:
        raise ValidationError({"delegate": f"{name_of(delegate)} is out of office too, {period(away)}."})


def _overlapping(user: User, starts_at: datetime, ends_at: datetime):
    return OutOfOffice.objects.filter(user=user, starts_at__lt=ends_at, ends_at__gt=starts_at).order_by("starts_at")


def absence_set(
    *, actor: User, user: User, starts_at: datetime, ends_at: datetime, delegate: User | None = None, note: str = ""
) -> OutOfOffice:
    """Records that `user` is away from `starts_at` to `ends_at`, with `delegate` standing in. Refused with a
    ValidationError naming the field (see the checks above) or NotAllowed. When the period covers now, their
    pending handoffs are handed on in the same transaction."""
    _check_allowed(actor, user)
    _check_person(user)
    now = timezone.now()
    _check_period(starts_at, ends_at, now)
    note = _check_note(note)
    if delegate is not None:
        _check_delegate(user, delegate, starts_at, ends_at)
    with transaction.atomic():
        # Two absences of one person set at once queue here, so the overlap check below sees the other.
        User.objects.select_for_update().filter(pk=user.pk).first()
        clash = _overlapping(user, starts_at, ends_at).first()
        if clash is not None:
            raise ValidationError(
                {"starts_at": f"{name_of(user)} is already out of office {period(clash)}: end that one first."}
            )
        absence = OutOfOffice.objects.create(
            user=user, starts_at=starts_at, ends_at=ends_at, delegate=delegate, note=note, set_by=actor
        )
        if starts_at <= now < ends_at:
            absence_handoffs_reroute(absence=absence, now=now)
            absence.refresh_from_db(fields=["rerouted_at"])
    return absence


def absence_end(*, actor: User, absence: OutOfOffice, at: datetime | None = None) -> OutOfOffice | None:
    """Ends the absence at `at` (now): it is shortened, or deleted if it had not begun (None). Ending one that
    is over already changes nothing. Handoffs handed on stay with whoever took them."""
    _check_allowed(actor, absence.user)
    at = at or timezone.now()
    with transaction.atomic():
        absence = OutOfOffice.objects.select_for_update().get(pk=absence.pk)
        if absence.ends_at <= at:
            return absence
        if absence.starts_at >= at:
            absence.delete()
            return None
        absence.ends_at = at
        absence.save(update_fields=["ends_at"])
    return absence


@dataclass(frozen=True)
class Handover:
    """Who takes one handoff of an absent person: `receiver` None means the team's queue."""

    receiver: User | None
    team_id: int
    decision: Decision
    who: str
    how: str


def _to_delegate(absence: OutOfOffice, now: datetime) -> tuple[Handover | None, list[dict], str]:
    """The delegate if available now; else what was tried, and why it failed (for the pool's decision)."""
    owner, decision = person_route(absence.user, now, how="the out-of-office handover")
    if owner is not None and owner.pk != absence.user_id:
        return Handover(owner, owner.team_id, decision, name_of(owner), "their delegate"), [], ""
    delegate = next((c for c in decision.candidates if c["id"] == absence.delegate_id), None)
    detail = delegate["detail"] if delegate else "no longer active"
    return None, decision.candidates, f"delegate {absence.delegate.get_username()} is {detail}"


def _handover(absence: OutOfOffice, handoff: Handoff, now: datetime) -> Handover | None:
    tried, note = [], ""
    if absence.delegate_id:
        handover, tried, note = _to_delegate(absence, now)
        if handover is not None:
            return handover
    team_id = absence.user.team_id or handoff.to_team_id
    if team_id is None:
        return None  # nowhere to send it: it stays, and routing still skips them
    owner, decision = pool_route(team_id, now)
    in_pool = {c["id"] for c in decision.candidates}
    decision.candidates = [c for c in tried if c["id"] not in in_pool] + decision.candidates
    decision.note = "; ".join(part for part in (note, decision.note) if part)
    team = decision.pool["name"]
    if owner is None:
        return Handover(None, team_id, decision, f"{team}'s queue", f"nobody in {team} could take it")
    return Handover(owner, team_id, decision, name_of(owner), decision.how)


def _hand_on(absence: OutOfOffice, handoff: Handoff, lead: Lead, now: datetime) -> bool:
    handover = _handover(absence, handoff, now)
    if handover is None:
        return False
    receiver = handover.receiver
    Handoff.objects.filter(pk=handoff.pk).update(to_owner=receiver, to_team_id=handover.team_id)
    Lead.objects.filter(pk=lead.pk).update(owner=receiver, team_id=handover.team_id, updated_at=now)
    reason = (
        f"{name_of(absence.user)} is out of office until {moment(absence.ends_at)}: handoff {handoff.pk} handed "
        f"to {handover.who} ({handover.how})"
    )
    Reassignment.objects.create(
        lead=lead,
        from_owner_id=lead.owner_id,
        to_owner=receiver,
        actor=absence.set_by,
        reason=reason[:500],
        occurred_at=now,
        routing=handover.decision.as_dict(),
    )
    if receiver is None:
        sentence = handover.decision.sentence()
        outbox_emit(
            task="funnel.tasks.routing_queue_notify", lead_id=lead.pk, team_id=handover.team_id, sentence=sentence
        )
    else:
        outbox_emit(
            task="funnel.tasks.absence_handoff_notify",
            receiver_id=receiver.pk,
            away_id=absence.user_id,
            handoff_id=handoff.pk,
            lead_id=lead.pk,
        )
    return True


def absence_handoff_notify(*, receiver_id: int, away_id: int, handoff_id: int, lead_id: int) -> None:
    """Tells the delegate a handoff came to them because its receiver is away (once per handoff)."""
    receiver, away = User.objects.get(pk=receiver_id), User.objects.get(pk=away_id)
    notification_send(
        recipient=receiver,
        kind="handoff_rerouted",
        subject_type="funnel.handoff",
        subject_id=handoff_id,
        message=f"{name_of(away)} is out of office: handoff {handoff_id} (lead #{lead_id}) is yours to answer.",
        url=reverse("lead-detail", args=[lead_id]),
    )


def absence_handoffs_reroute(*, absence: OutOfOffice, now: datetime | None = None) -> int:
    """Hands on every pending handoff addressed to the absent person, once per absence and only while it is in
    force; returns how many moved. One transaction: the absence row, then the leads in id order (as a move
    locks its lead before the team's routing cursor), then their handoffs."""
    now = now or timezone.now()
    with transaction.atomic():
        absence = (
            OutOfOffice.objects.select_for_update(of=("self",))
            .select_related("user__team", "delegate")
            .get(pk=absence.pk)
        )
        if absence.rerouted_at is not None or not absence.starts_at <= now < absence.ends_at:
            return 0
        waiting = Handoff.objects.filter(to_owner_id=absence.user_id, status=HandoffStatus.PENDING)
        leads = {
            lead.pk: lead
            for lead in Lead.objects.select_for_update().filter(pk__in=waiting.values("lead_id")).order_by("id")
        }
        # Re-read under the lead locks: a handoff answered meanwhile is no longer pending.
        handoffs = list(waiting.filter(lead_id__in=list(leads)).select_for_update().order_by("lead_id"))
        moved = sum(_hand_on(absence, handoff, leads[handoff.lead_id], now) for handoff in handoffs)
        absence.rerouted_at = now
        absence.save(update_fields=["rerouted_at"])
    return moved


def absences_reroute_due(*, now: datetime | None = None) -> int:
    """Hands on the handoffs of every absence in force not handed on yet (one transaction each); the number
    of absences handled. Safe to run twice: an absence handed on is skipped."""
    now = now or timezone.now()
    due = OutOfOffice.objects.filter(starts_at__lte=now, ends_at__gt=now, rerouted_at__isnull=True)
    # A backlog (after an outage) is worked a thousand at a time; the next run takes the rest.
    ids = list(due.order_by("starts_at", "id").values_list("id", flat=True)[:1000])
    for absence_id in ids:
        absence_handoffs_reroute(absence=OutOfOffice(pk=absence_id), now=now)
    return len(ids)
