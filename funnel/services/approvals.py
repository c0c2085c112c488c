"""Approvals demanded by escalation rules: requested by whoever wants to move the lead, decided by a user
holding the rule's role, consumed by the transition they allow."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import notification_send
from funnel.choices import ApprovalStatus
from funnel.engine import escalations
from funnel.exceptions import NotAllowed, NotPending
from funnel.models import ApprovalRequest
from funnel.services.transitions import applicable_rules
from integrations.outbox import outbox_emit
from leads.criteria import lead_snapshot
from leads.models import Lead


def approval_request_create(*, lead: Lead, to_stage: str, actor: User) -> list[ApprovalRequest]:
    """Opens one pending request per triggered approve-escalation of the move (reusing open ones) and
    notifies the users who can decide. Raises ValidationError when the move needs no approval."""
    snapshot = lead_snapshot(lead)
    needed = [
        (rule, spec)
        for rule in applicable_rules(lead.stage, to_stage)
        for spec in rule.escalations
        if spec["action"] == escalations.APPROVE and escalations.triggered(spec, snapshot).passed
    ]
    if not needed:
        raise ValidationError({"to_stage": f"Moving this lead to {to_stage} needs no approval."})
    requests = []
    for rule, spec in needed:
        try:
            with transaction.atomic():
                request, created = ApprovalRequest.objects.get_or_create(
                    lead=lead,
                    to_stage=to_stage,
                    rule=rule,
                    status=ApprovalStatus.PENDING,
                    defaults={"role": spec["role"], "requested_by": actor},
                )
        except IntegrityError:  # a concurrent request opened it
            request, created = ApprovalRequest.objects.get(lead=lead, to_stage=to_stage, rule=rule), False
        if created:
            outbox_emit(task="funnel.tasks.approval_requested_notify", request_id=request.pk)
        requests.append(request)
    return requests


def approval_requested_notify(*, request_id: int) -> None:
    """Tells each active holder of the role; once per approver and request."""
    request = ApprovalRequest.objects.select_related("lead", "requested_by").get(pk=request_id)
    for approver in User.objects.filter(role=request.role, is_active=True):
        notification_send(
            recipient=approver,
            kind="approval_requested",
            subject_type="funnel.approvalrequest",
            subject_id=request.pk,
            message=f"{request.requested_by.get_username()} asks you to approve moving {request.lead.name} "
            f"to {request.to_stage}.",
            url=f"/leads/{request.lead_id}/",
        )


def approval_decide(*, request_id: int, actor: User, approve: bool, note: str = "") -> ApprovalRequest:
    with transaction.atomic():
        request = ApprovalRequest.objects.select_for_update().get(pk=request_id)
        if request.status != ApprovalStatus.PENDING:
            raise NotPending(f"Approval request {request.pk} is already {request.status}.")
        if actor.role != request.role:
            raise NotAllowed(f"Only a user whose role is {request.get_role_display()} decides this request.")
        if actor.pk == request.requested_by_id:
            # Four eyes: an approval is someone else's judgement (a revenue leader moving the lead herself
            # passes the escalation without any request).
            raise NotAllowed("You asked for this approval; another person with the role decides it.")
        request.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.DECLINED
        request.decided_by, request.decided_at, request.note = actor, timezone.now(), note
        request.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return request
