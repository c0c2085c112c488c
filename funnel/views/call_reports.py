"""Call report pages: the reports a person logged (a manager: their reporting line's), newest first, with their
terms; and a report on a company alone — a rep's visit to an account, logged from the company's page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from crm.models import Company
from funnel.call_report_selectors import call_report_list_authored
from funnel.views.call_report_form import call_report_context, call_report_form, call_report_submit

PAGE = 100


@login_required
def call_report_list(request):
    reports = list(call_report_list_authored(user=request.user).order_by("-occurred_on", "-id")[:PAGE])
    return render(request, "funnel/call_report_list.html", {"reports": reports, "page": PAGE})


@login_required
def company_call_report(request, company_id: int):
    company = get_object_or_404(Company, pk=company_id)
    form = call_report_form(subject=company, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and call_report_submit(request, form, company=company):
        return redirect("company-detail", company_id=company.pk)
    context = {"company": company, **call_report_context(form=form, author=request.user)}
    return render(request, "funnel/call_report_company.html", context, status=400 if form.is_bound else 200)
