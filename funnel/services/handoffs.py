"""The receiving side's answer to a handoff: accept it, or reject it with a reason code (the lead goes to
nurture with that reason, visible to marketing)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from funnel import events
from funnel.choices import HandoffStatus
from funnel.exceptions import NotAllowed, NotPending
from funnel.metrics.invalidation import days_changed
from funnel.models import Handoff, Reassignment, RejectionReason
from funnel.services.transitions import lead_transition
from integrations.choices import EventType
from leads.choices import Stage as StageKey
from leads.models import Lead


def _lock_pending(handoff_id: int, actor: User) -> Handoff:
    handoff = Handoff.objects.select_for_update().select_related("lead").get(pk=handoff_id)
    if handoff.status != HandoffStatus.PENDING:
        raise NotPending(f"Handoff {handoff.pk} is already {handoff.status}.", handoff_status=handoff.status)
    if not handoff_may_answer(handoff=handoff, user=actor):
        raise NotAllowed("Only the receiving owner, their team's manager or an administrator answers a handoff.")
    return handoff


def handoff_may_answer(*, handoff: Handoff, user: User) -> bool:
    """The receiving owner, their team's manager, an administrator, or (unowned) anyone in the receiving team."""
    if user.is_administrator or user.pk == handoff.to_owner_id:
        return True
    if handoff.to_team_id and handoff.to_team.manager_id == user.pk:
        return True
    return handoff.to_owner_id is None and user.team_id == handoff.to_team_id


def handoff_accept(*, handoff_id: int, actor: User, at: datetime | None = None) -> Handoff:
    """Accepts a pending handoff (NotPending if answered already, NotAllowed unless the receiving side)."""
    with transaction.atomic():
        handoff = _lock_pending(handoff_id, actor)
        handoff.status, handoff.decided_at, handoff.decided_by = HandoffStatus.ACCEPTED, at or timezone.now(), actor
        handoff.save(update_fields=["status", "decided_at", "decided_by"])
        if handoff.to_owner_id is None and actor.team_id == handoff.to_team_id:
            _claim(handoff, actor, handoff.decided_at)
        days_changed(moments=[handoff.created_at, handoff.decided_at], cause="handoff answered")
        events.handoff_changed(EventType.HANDOFF_ACCEPTED, handoff)
    return handoff


def _claim(handoff: Handoff, actor: User, now: datetime) -> None:
    """A team member accepting a lead that waited in their team's queue takes it: they become its owner, and
    the history says so. (A manager accepting it leaves it queued for them to give to someone.)"""
    Lead.objects.filter(pk=handoff.lead_id).update(owner=actor, team_id=actor.team_id, updated_at=now)
    Handoff.objects.filter(pk=handoff.pk).update(to_owner=actor)
    handoff.to_owner = actor
    Reassignment.objects.create(
        lead_id=handoff.lead_id,
        from_owner=None,
        to_owner=actor,
        actor=actor,
        reason=f"Took the lead from {handoff.to_team.name}'s queue by accepting handoff {handoff.pk}.",
        occurred_at=now,
    )


def handoff_reject(
    *, handoff_id: int, actor: User, reason_code: str, note: str = "", at: datetime | None = None
) -> Handoff:
    """Rejects with a managed reason code; the lead moves to nurture through the one door in the same
    transaction, so a rejection the rules refuse leaves the handoff pending. `at` replays history (the demo)."""
    reason = RejectionReason.objects.filter(pk=reason_code, is_active=True).first()
    if reason is None:
        codes = ", ".join(RejectionReason.objects.filter(is_active=True).values_list("code", flat=True))
        raise ValidationError({"reason_code": f"{reason_code!r} is not a rejection reason; use one of {codes}."})
    if reason.note_required and not note.strip():
        raise ValidationError({"note": f"Rejecting as '{reason.label}' needs a note saying why."})
    with transaction.atomic():
        handoff = _lock_pending(handoff_id, actor)
        handoff.status, handoff.decided_at, handoff.decided_by = HandoffStatus.REJECTED, at or timezone.now(), actor
        handoff.reject_reason, handoff.reject_note = reason, note
        handoff.save(update_fields=["status", "decided_at", "decided_by", "reject_reason", "reject_note"])
        text = f"Handoff rejected: {reason.label}" + (f" — {note}" if note else "")
        lead_transition(
            lead=handoff.lead,
            to_stage=StageKey.NURTURE,
            actor=actor,
            reason=text[:500],
            default_owner=handoff.from_owner,
            at=handoff.decided_at,
        )
        days_changed(moments=[handoff.created_at, handoff.decided_at], cause="handoff answered")
        events.handoff_changed(EventType.HANDOFF_REJECTED, handoff)
    return handoff
