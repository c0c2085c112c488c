"""Reassignment: a manager gives leads to another owner without moving their stage — one lead, a chosen set,
or every lead of a departing rep. Set-based and locked like a transition: the leads' rows are locked in id
order, their owner and team change in one UPDATE, an immutable Reassignment row each is written, and pending
handoffs addressed to the old owner follow the lead to the new one. All of it, or nothing."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import User
from accounts.services import notification_send
from funnel import events
from funnel.choices import HandoffStatus
from funnel.exceptions import NotAllowed
from funnel.models import Handoff, Reassignment
from integrations.outbox import outbox_emit
from leads.models import Lead
from leads.selectors import lead_changeable

REASSIGNERS = MANAGER_ROLES | {Role.ADMIN}
MAX_LEADS = 50_000
MAX_REASON = 500


@dataclass(frozen=True)
class Reassigned:
    leads: int
    handoffs: int


def _check_target(to_owner: User) -> None:
    if not to_owner.is_active or to_owner.role == Role.INTEGRATION:
        raise ValidationError({"to_owner": f"{to_owner.get_username()} is not an active person who can own leads."})
    if to_owner.team_id is None:
        raise ValidationError({"to_owner": f"{to_owner.get_username()} is in no team: a lead's team is its owner's."})


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the history keeps it."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"At most {MAX_REASON} characters."})
    return reason


def leads_reassign(
    *, actor: User, to_owner: User, reason: str, lead_ids: list[int] | None = None, from_owner: User | None = None
) -> Reassigned:
    """Gives the leads (`lead_ids`, or every lead `from_owner` owns) to `to_owner`, keeping their stage.
    Refused whole (ValidationError naming the leads) if any lead is not the actor's to change, or works in a
    function the new owner's team does not; NotAllowed unless the actor manages, leads revenue or administers."""
    if actor.role not in REASSIGNERS and not actor.is_superuser:
        raise NotAllowed("Managers, revenue leaders and administrators reassign leads.")
    if (lead_ids is None) == (from_owner is None):
        raise ValidationError({"leads": "Name the leads, or the person whose leads all move — one of the two."})
    reason = _check_reason(reason)
    _check_target(to_owner)
    with transaction.atomic():
        rows = _locked(actor, lead_ids, from_owner)
        # After the lock: a reassignment that queued behind a move is recorded after it, as it happened.
        now = timezone.now()
        _refuse_wrong_function(rows, to_owner)
        moving = [row for row in rows if row["owner_id"] != to_owner.pk]
        ids = [row["id"] for row in moving]
        Lead.objects.filter(pk__in=ids).update(owner=to_owner, team_id=to_owner.team_id, updated_at=now)
        Reassignment.objects.bulk_create(
            Reassignment(
                lead_id=row["id"],
                from_owner_id=row["owner_id"],
                to_owner=to_owner,
                actor=actor,
                reason=reason,
                occurred_at=now,
            )
            for row in moving
        )
        handoffs = Handoff.objects.filter(lead_id__in=ids, status=HandoffStatus.PENDING).exclude(to_owner=None)
        followed = handoffs.exclude(to_owner=to_owner).update(to_owner=to_owner)
        if moving:
            events.leads_reassigned(moving, to_owner=to_owner, actor=actor, reason=reason, at=now)
            outbox_emit(
                task="funnel.tasks.reassign_notify",
                to_owner_id=to_owner.pk,
                actor_id=actor.pk,
                count=len(moving),
                first_lead=ids[0],
            )
    return Reassigned(len(moving), followed)


def _locked(actor: User, lead_ids: list[int] | None, from_owner: User | None) -> list[dict]:
    leads = Lead.objects.all()
    if lead_ids is not None:
        if not 0 < len(lead_ids) <= MAX_LEADS:
            raise ValidationError({"leads": f"Reassign 1 to {MAX_LEADS:,} leads at a time."})
        leads = leads.filter(pk__in=lead_ids)
    else:
        leads = leads.filter(owner=from_owner)
    # Locked in id order, as two reassignments (or a reassignment and a move) of the same leads must queue.
    rows = list(leads.select_for_update().order_by("id").values("id", "owner_id", "owning_function"))
    changeable = set(lead_changeable(user=actor, lead_ids=[row["id"] for row in rows]))
    unknown = sorted(set(lead_ids or []) - {row["id"] for row in rows})
    refused = [row["id"] for row in rows if row["id"] not in changeable]
    if unknown or refused:
        named = ", ".join(map(str, (unknown + refused)[:20]))
        raise ValidationError({"leads": f"Not yours to reassign (or no such lead): {named}."})
    if not rows:
        raise ValidationError({"leads": "There are no leads to reassign."})
    return rows


def _refuse_wrong_function(rows: list[dict], to_owner: User) -> None:
    function = to_owner.team.function
    wrong = [row["id"] for row in rows if row["owning_function"] != function]
    if wrong:
        named = ", ".join(map(str, wrong[:20])) + (" …" if len(wrong) > 20 else "")
        raise ValidationError(
            {
                "to_owner": f"{to_owner.get_username()} works in {function}; these leads sit in another function's "
                f"stages, and reach it only by a move: {named}."
            }
        )


def reassign_notify(*, to_owner_id: int, actor_id: int, count: int, first_lead: int) -> None:
    """Tells the new owner what they were given; once per first lead (the notification's unique key)."""
    to_owner, actor = User.objects.get(pk=to_owner_id), User.objects.get(pk=actor_id)
    what = "a lead" if count == 1 else f"{count} leads"
    notification_send(
        recipient=to_owner,
        kind="leads_reassigned",
        subject_type="leads.lead",
        subject_id=first_lead,
        message=f"{actor.get_full_name() or actor.get_username()} gave you {what}.",
        url=reverse("lead-detail", args=[first_lead]) if count == 1 else reverse("lead-list") + "?mine=true",
    )
