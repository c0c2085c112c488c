"""Call reports across leads and companies: the ones you may see, filtered; and a new one on a lead or a
company (the lead's own endpoint, /leads/{id}/call-reports/, does the same for one lead)."""

import django_filters
from django.db.models import Exists, OuterRef
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.filters import IdFilter
from config.schema import problems
from crm.models import CallReport, CallReportTag, Company
from funnel import call_report_selectors as selectors
from funnel.api import serializers as s
from funnel.services.call_reports import call_report_log
from leads import selectors as lead_selectors
from leads.models import Lead


class CallReportFilter(django_filters.FilterSet):
    lead = IdFilter(field_name="lead_id", help_text="The lead's id.")
    company = IdFilter(field_name="company_id", help_text="The company's id.")
    author = IdFilter(field_name="author_id", help_text="The author's user id.")
    occurred_after = django_filters.DateFilter(
        field_name="occurred_on", lookup_expr="gte", help_text="YYYY-MM-DD, inclusive."
    )
    occurred_before = django_filters.DateFilter(
        field_name="occurred_on", lookup_expr="lte", help_text="YYYY-MM-DD, inclusive."
    )
    tag = django_filters.CharFilter(
        method="with_tag", max_length=60, help_text="A term the report carries: its slug, or its id."
    )

    class Meta:
        model = CallReport
        fields: list[str] = []

    def with_tag(self, queryset, name, value):
        value = value.strip()
        links = CallReportTag.objects.filter(report=OuterRef("pk"))
        # An id is digits only; a slug never is all digits in practice, so try the id when it parses.
        if value.isascii() and value.isdigit() and len(value) < 19:
            links = links.filter(tag_id=int(value)) | links.filter(tag__slug=value)
        else:
            links = links.filter(tag__slug=value.lower())
        return queryset.filter(Exists(links))


class CallReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Call reports on the leads you see, and on companies alone; newest first."""

    scope_resource = "call_reports"
    serializer_class = s.CallReportSerializer
    filterset_class = CallReportFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CallReport.objects.none()
        return selectors.call_report_list(user=self.request.user)

    @extend_schema(
        request=s.CallReportCreateSerializer,
        responses={201: s.CallReportSerializer},
        summary="Log a call report on a lead you see in full (404 if you do not see it) or on a company",
    )
    @problems(404)
    def create(self, request):
        data = s.CallReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        lead_id, company_id = fields.pop("lead", None), fields.pop("company", None)
        lead = company = None
        if lead_id:
            try:
                lead = lead_selectors.lead_get_in_full(user=request.user, lead_id=lead_id)
            except Lead.DoesNotExist:
                raise NotFound(f"No lead {lead_id} that you can see.") from None
        if company_id:
            company = Company.objects.filter(pk=company_id).first()
            if company is None:
                raise NotFound(f"No company {company_id}.")
        report = call_report_log(author=request.user, lead=lead, company=company, **fields)
        return Response(self._shown(report), status=status.HTTP_201_CREATED)

    def _shown(self, report: CallReport) -> dict:
        return s.CallReportSerializer(selectors.with_details(CallReport.objects.filter(pk=report.pk)).get()).data
