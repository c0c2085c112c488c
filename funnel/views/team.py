"""A manager's team page: each person's open leads by stage, every count a link to those leads, and the hand-over
of everything one person owns to another (a rep leaving)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.choices import MANAGER_ROLES, Role
from accounts.selectors import user_list
from config.errors import DomainError
from funnel import forms, queues
from funnel.services.reassign import REASSIGNERS, leads_reassign
from funnel.views.away import team_absences
from funnel.views.charts import workload_bars
from funnel.views.common import error_message
from leads.choices import Stage


@login_required
def team(request):
    if request.user.role not in MANAGER_ROLES and not request.user.is_administrator:
        raise PermissionDenied("The team page is for managers, revenue leaders and administrators.")
    workload = queues.team_workload(user=request.user)
    stages = [Stage(stage) for stage in queues.OPEN_STAGES]
    rows = [(w, [(stage, w.by_stage[stage]) for stage in queues.OPEN_STAGES]) for w in workload]
    totals = [sum(w.by_stage[stage] for w in workload) for stage in queues.OPEN_STAGES]
    context = {
        "rows": rows,
        "stages": stages,
        "totals": totals,
        "grand_total": sum(totals),
        "charts": [workload_bars(workload)] if workload else [],
        "people": [w.person for w in workload],
        "owners": user_list().exclude(role=Role.INTEGRATION).order_by("username"),
    }
    context.update(team_absences(user=request.user))
    return render(request, "funnel/team.html", context)


@login_required
@require_POST
def team_hand_over(request):
    """Every lead one person owns goes to another, stages unchanged, in one locked, recorded reassignment."""
    if request.user.role not in REASSIGNERS and not request.user.is_superuser:
        raise PermissionDenied("Managers, revenue leaders and administrators hand leads over.")
    form = forms.HandOverForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("team")
    data = form.cleaned_data
    try:
        done = leads_reassign(
            actor=request.user, to_owner=data["to_owner"], reason=data["reason"], from_owner=data["from_owner"]
        )
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        what = "1 lead" if done.leads == 1 else f"{done.leads} leads"
        messages.success(request, f"Gave {what} of {data['from_owner']} to {data['to_owner']}; stages unchanged.")
    return redirect("team")
