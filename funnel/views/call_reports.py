"""The call reports a person logged (a manager: their reporting line's), newest first."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.choices import MANAGER_ROLES
from accounts.selectors import user_subtree_sql
from crm.models import CallReport
from leads.selectors import lead_list

PAGE = 100


@login_required
def call_report_list(request):
    user = request.user
    authors = {"author_id__in": user_subtree_sql(user=user)} if user.role in MANAGER_ROLES else {"author": user}
    reports = list(
        CallReport.objects.filter(lead_id__in=lead_list(user=user).values("pk"), **authors)
        .select_related("lead", "author")
        .order_by("-occurred_on", "-id")[:PAGE]
    )
    return render(request, "funnel/call_report_list.html", {"reports": reports, "page": PAGE})
