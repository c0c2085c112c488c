"""A manager's team page: each person's open leads by stage, every count a link to those leads."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts.choices import MANAGER_ROLES
from funnel import queues
from funnel.views.charts import workload_bars
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
    }
    return render(request, "funnel/team.html", context)
