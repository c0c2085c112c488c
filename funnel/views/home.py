"""The home page answers "what do I do now": a person who works leads sees their queue (handoffs to answer
with their SLA clocks, next steps due, moves waiting for an approval they asked for); a manager, revenue
leader or administrator sees their dashboard (open SLA breaches, approvals waiting for them with the deal's
value, each person's workload by stage)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from accounts.choices import MANAGER_ROLES
from accounts.selectors import notification_list
from crm.review_selectors import action_items_open
from funnel import forms, queues
from funnel.views import charts
from leads.choices import Stage


def _counted(queryset, limit: int = queues.HOME_LIMIT) -> tuple[list, int]:
    """(the first `limit` rows, how many there are) with one query when they all fit."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], (len(rows) if len(rows) <= limit else queryset.count())


def _action_items(user) -> dict:
    """The person's open action items from reviews and joint meetings, overdue first."""
    actions, count = _counted(action_items_open(owner=user).prefetch_related("meetings"))
    return {"actions": actions, "action_count": count, "today": timezone.localdate()}


def _queue(request):
    user = request.user
    handoffs, handoff_count = _counted(queues.handoffs_awaiting(user=user))
    next_steps, next_step_count = _counted(queues.next_steps_due(user=user))
    approvals, approval_count = _counted(queues.approvals_asked_by(user=user))
    context = {
        "handoffs": handoffs,
        "handoff_count": handoff_count,
        "next_steps": next_steps,
        "next_step_count": next_step_count,
        "my_approvals": approvals,
        "approval_count": approval_count,
        "open_leads": queues.open_lead_count(user=user),
        "reject_form": forms.HandoffRejectForm(),
        "notifications": list(notification_list(user=user, unread_only=True)[:10]),
        "today": timezone.localdate(),
        **_action_items(user),
    }
    return render(request, "funnel/home_queue.html", context)


def _dashboard(request):
    user = request.user
    breaches, breach_count = _counted(queues.open_sla_breaches(user=user))
    approvals, approval_count = _counted(queues.approvals_awaiting(user=user))
    workload = [w for w in queues.team_workload(user=user) if w.total]
    context = {
        "breaches": breaches,
        "breach_count": breach_count,
        "approvals": approvals,
        "approval_count": approval_count,
        "workload": workload,
        "stages": [Stage(stage) for stage in queues.OPEN_STAGES],
        "charts": charts.workload_charts(workload) if workload else [],
        "open_leads": sum(w.total for w in workload),
        "notifications": list(notification_list(user=user, unread_only=True)[:10]),
        **_action_items(user),
    }
    return render(request, "funnel/home_dashboard.html", context)


@login_required
def home(request):
    if request.user.role in MANAGER_ROLES or request.user.is_administrator:
        return _dashboard(request)
    return _queue(request)
