"""Reads of call reports: who sees which, and each report with everything its page or payload shows, in a
fixed number of queries however many reports there are."""

from django.db.models import Prefetch, Q, QuerySet

from accounts.choices import MANAGER_ROLES
from accounts.models import User
from accounts.selectors import user_subtree_sql
from crm.models import CallReport, CallReportTag
from leads.selectors import lead_list


def with_details(reports: QuerySet[CallReport]) -> QuerySet[CallReport]:
    """Author, lead, company, contacts met, marketers and terms, loaded beside the reports."""
    return reports.select_related("author", "lead", "company").prefetch_related(
        "contacts",
        "marketers",
        Prefetch("tag_links", queryset=CallReportTag.objects.select_related("tag").order_by("tag__label")),
    )


def call_report_list(*, user: User) -> QuerySet[CallReport]:
    """Reports on the leads `user` sees (as the lead's page shows them), and reports on a company alone,
    which every signed-in person may read (account visits are what marketing reads too)."""
    return with_details(
        CallReport.objects.filter(Q(lead_id__in=lead_list(user=user).values("pk")) | Q(lead__isnull=True))
    )


def call_report_list_of_lead(*, lead_id: int) -> QuerySet[CallReport]:
    """Reports of one lead; the caller has checked the lead is visible."""
    return with_details(CallReport.objects.filter(lead_id=lead_id))


def call_report_list_of_company(*, user: User, company_id: int) -> QuerySet[CallReport]:
    """Reports on one company that `user` sees, through its leads or on it alone."""
    return call_report_list(user=user).filter(company_id=company_id)


def call_report_list_authored(*, user: User) -> QuerySet[CallReport]:
    """The reports `user` logged (a manager: their reporting line's) among those they see: the list page."""
    mine = Q(author_id__in=user_subtree_sql(user=user)) if user.role in MANAGER_ROLES else Q(author=user)
    return call_report_list(user=user).filter(mine)
