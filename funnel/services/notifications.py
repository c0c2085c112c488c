"""Who hears about a move: the new owner (and, for a handoff, that they must accept it), and participants."""

from accounts.services import notification_send
from funnel.choices import HandoffStatus
from funnel.models import Transition


def transition_notify(*, transition_id: int) -> int:
    """Safe to run twice: each notification is unique per recipient, kind and transition."""
    transition = Transition.objects.select_related("lead", "to_owner", "actor").filter(pk=transition_id).first()
    if transition is None:
        return 0
    lead = transition.lead
    handoff = getattr(transition, "handoff", None)
    sent = 0
    owner = transition.to_owner
    if owner is not None and owner != transition.actor:
        if handoff is not None and handoff.status == HandoffStatus.PENDING:
            due = f" by {handoff.accept_due_at:%Y-%m-%d %H:%M} UTC" if handoff.accept_due_at else ""
            message = f"{lead.name} was handed to you at {transition.to_stage}: accept or reject it{due}."
        elif handoff is not None:
            message = f"{lead.name} was handed to you at {transition.to_stage} ({handoff.status} since)."
        else:
            message = f"{lead.name} moved to {transition.to_stage} and is yours."
        notification_send(
            recipient=owner,
            kind="handoff_received" if handoff else "lead_assigned",
            subject_type="funnel.transition",
            subject_id=transition.pk,
            message=message,
            url=f"/leads/{lead.pk}/",
        )
        sent += 1
    for participant in lead.participants.select_related("user"):
        if participant.user_id in (transition.actor_id, transition.to_owner_id):
            continue
        notification_send(
            recipient=participant.user,
            kind="lead_moved",
            subject_type="funnel.transition",
            subject_id=transition.pk,
            message=f"{lead.name}, which you are involved in, moved to {transition.to_stage}.",
            url=f"/leads/{lead.pk}/",
        )
        sent += 1
    return sent
