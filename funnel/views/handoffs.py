"""The handoff inbox and approval requests."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import DomainError
from funnel import forms, selectors
from funnel.choices import ApprovalStatus, HandoffStatus
from funnel.services import approvals, handoffs
from funnel.views.common import error_message

INBOX_SIZE = 200  # the most urgent pending handoffs; a leader who sees every lead must not load them all


@login_required
def handoff_inbox(request):
    pending = list(
        selectors.handoff_list(user=request.user)
        .filter(status=HandoffStatus.PENDING)
        .order_by("accept_due_at", "id")[:INBOX_SIZE]
    )
    for handoff in pending:
        handoff.answerable = handoffs.handoff_may_answer(handoff=handoff, user=request.user)
    mine = [h for h in pending if h.to_owner_id == request.user.pk]
    others = [h for h in pending if h.to_owner_id != request.user.pk]
    context = {
        "sections": [("Handed to you", mine), ("Other pending handoffs you can see", others)],
        "reject_form": forms.HandoffRejectForm(),
        "now": timezone.now(),
        "capped": INBOX_SIZE if len(pending) == INBOX_SIZE else None,
    }
    return render(request, "funnel/handoff_inbox.html", context)


def _visible_handoff_id(request, handoff_id: int) -> int:
    if not selectors.handoff_list(user=request.user).filter(pk=handoff_id).exists():
        raise Http404("No such handoff.")
    return handoff_id


@login_required
@require_POST
def handoff_accept(request, handoff_id: int):
    try:
        done = handoffs.handoff_accept(handoff_id=_visible_handoff_id(request, handoff_id), actor=request.user)
    except DomainError as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"Accepted the handoff of {done.lead.name}; it is yours to work.")
    return redirect("handoff-inbox")


@login_required
@require_POST
def handoff_reject(request, handoff_id: int):
    handoff_id = _visible_handoff_id(request, handoff_id)
    form = forms.HandoffRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a rejection reason.")
        return redirect("handoff-inbox")
    reason = form.cleaned_data["reason_code"]
    try:
        done = handoffs.handoff_reject(
            handoff_id=handoff_id, actor=request.user, reason_code=reason.code, note=form.cleaned_data["note"]
        )
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"Rejected the handoff of {done.lead.name} ({reason.label}); it went to nurture.")
    return redirect("handoff-inbox")


@login_required
def approval_list(request):
    pending = (
        selectors.approval_request_list(user=request.user)
        .filter(status=ApprovalStatus.PENDING)
        .select_related("lead")
        .order_by("requested_at")
    )
    return render(request, "funnel/approval_list.html", {"pending": pending, "decision_form": forms.DecisionForm()})


@login_required
@require_POST
def approval_decide(request, request_id: int, approve: bool):
    if not selectors.approval_request_list(user=request.user).filter(pk=request_id).exists():
        raise Http404("No such approval request.")
    form = forms.DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        done = approvals.approval_decide(request_id=request_id, actor=request.user, approve=approve, note=note)
    except DomainError as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"{done.get_status_display()}: moving lead {done.lead_id} to {done.to_stage}.")
    return redirect("approval-list")
