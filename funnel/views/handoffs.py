"""The handoff inbox, the SLA breach list and approval requests. Answers work in place: an htmx request
gets back the answered item, a plain form post a redirect to the page it came from with a message."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_POST

from config.errors import DomainError
from funnel import forms, queues, selectors
from funnel.choices import ApprovalStatus, HandoffStatus
from funnel.models import ApprovalRequest, Handoff
from funnel.services import approvals, handoffs
from funnel.views.common import back, error_message

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
    mine = [h for h in pending if h.answerable]
    others = [h for h in pending if not h.answerable]
    context = {
        "sections": [("For you to answer", mine, True), ("Waiting on others", others, False)],
        "reject_form": forms.HandoffRejectForm(),
        "capped": INBOX_SIZE if len(pending) == INBOX_SIZE else None,
    }
    return render(request, "funnel/handoff_inbox.html", context)


def _visible_handoff_id(request, handoff_id: int) -> int:
    if not selectors.handoff_list(user=request.user).filter(pk=handoff_id).exists():
        raise Http404("No such handoff.")
    return handoff_id


def _answered(request, handoff_id: int, error: str = ""):
    """The item after an answer: what happened, or — when the answer failed and the handoff still waits — the
    item again with its buttons and the error, so the person can fix it (choose a reason) and answer."""
    handoff = Handoff.objects.select_related("lead", "from_owner").get(pk=handoff_id)
    if error and handoff.status == HandoffStatus.PENDING:
        context = {"h": handoff, "reject_form": forms.HandoffRejectForm(), "error": error}
        return render(request, "funnel/_handoff_item.html", context)
    return render(request, "funnel/_handoff_answered.html", {"handoff": handoff, "error": error})


@login_required
@require_POST
def handoff_accept(request, handoff_id: int):
    handoff_id = _visible_handoff_id(request, handoff_id)
    try:
        done = handoffs.handoff_accept(handoff_id=handoff_id, actor=request.user)
    except DomainError as exc:
        if request.htmx:
            return _answered(request, handoff_id, error=exc.message)
        error_message(request, exc)
    else:
        if request.htmx:
            return _answered(request, handoff_id)
        messages.success(request, f"Accepted the handoff of {done.lead.name}; it is yours to work.")
    return back(request, "handoff-inbox")


@login_required
@require_POST
def handoff_reject(request, handoff_id: int):
    handoff_id = _visible_handoff_id(request, handoff_id)
    form = forms.HandoffRejectForm(request.POST)
    if not form.is_valid():
        problem = "Choose a reason to reject it." if "reason_code" in form.errors else "The note is too long."
        if request.htmx:
            return _answered(request, handoff_id, error=problem)
        messages.error(request, problem)
        return back(request, "handoff-inbox")
    reason = form.cleaned_data["reason_code"]
    try:
        done = handoffs.handoff_reject(
            handoff_id=handoff_id, actor=request.user, reason_code=reason.code, note=form.cleaned_data["note"]
        )
    except (DomainError, ValidationError) as exc:
        if request.htmx:
            return _answered(request, handoff_id, error=" · ".join(forms.error_lines(exc)))
        error_message(request, exc)
    else:
        if request.htmx:
            return _answered(request, handoff_id)
        messages.success(request, f"Rejected the handoff of {done.lead.name} ({reason.label}); it went to nurture.")
    return back(request, "handoff-inbox")


@login_required
def sla_breaches(request):
    """Every open breach on leads the user sees; a breach leaves the list when its handoff is answered
    (accept clock) or touched (first-touch clock), not when a notification is read."""
    breaches = list(queues.open_sla_breaches(user=request.user)[:INBOX_SIZE])
    return render(request, "funnel/sla_breaches.html", {"breaches": breaches, "capped": len(breaches) == INBOX_SIZE})


@login_required
def approval_list(request):
    pending = (
        selectors.approval_request_list(user=request.user)
        .filter(status=ApprovalStatus.PENDING)
        .order_by("requested_at")
    )
    return render(request, "funnel/approval_list.html", {"pending": pending})


def _decided(request, request_id: int, error: str = ""):
    approval = ApprovalRequest.objects.select_related("lead", "requested_by").get(pk=request_id)
    return render(request, "funnel/_approval_decided.html", {"approval": approval, "error": error})


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
        if request.htmx:
            return _decided(request, request_id, error=exc.message)
        error_message(request, exc)
    else:
        if request.htmx:
            return _decided(request, request_id)
        messages.success(request, f"{done.get_status_display()}: moving {done.lead.name} to {done.to_stage}.")
    return back(request, "approval-list")
