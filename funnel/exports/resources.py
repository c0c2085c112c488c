"""What each export lists: the rows its list endpoint shows the caller (the same visibility selector and the
same FilterSet), each row one tuple built by one SQL statement with the related names joined in.

A lead export hides the sales-only fields of the leads a marketer sees as marketing data only, as the lead API
does (leads.models.SALES_ONLY_FIELDS): the database writes NULL in their place, so no row is altered in Python.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import django_filters
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import Case, F, OuterRef, QuerySet, Value, When
from django.db.models.functions import Concat
from django_filters.rest_framework import FilterSet
from rest_framework.exceptions import ValidationError

from accounts.models import User
from crm import selectors as crm_selectors
from crm.api.views import CampaignViewSet
from crm.choices import TagKind
from crm.models import CallReport, CallReportTag, Campaign, Touch
from funnel.api.call_report_views import CallReportFilter
from funnel.call_report_selectors import call_report_list
from funnel.exports.formats import Column, Kind
from funnel.metrics.api import MetricFilter
from funnel.metrics.models import MetricSnapshot, MetricValue
from funnel.metrics.selectors import metric_value_list
from leads.api.serializers import LeadSerializer
from leads.api.touch_views import TouchFilter
from leads.filters import LeadFilter
from leads.models import SALES_ONLY_FIELDS, Lead
from leads.selectors import lead_list

# Related records whose name an export carries beside their id: column -> the joined name.
_LEAD_REFS = {
    "company": "company__name",
    "owner": "owner__username",
    "team": "team__name",
    "source_campaign": "source_campaign__name",
}


@dataclass(frozen=True)
class Resource:
    """One exportable list: its URL name, the token scope that reads it, its columns, the rows a caller may
    see (each column's `key` annotated or a field), and the list endpoint's FilterSet."""

    name: str
    scope: str
    columns: tuple[Column, ...]
    rows: Callable[[User], QuerySet]
    filterset: type[django_filters.FilterSet]


def _kind(field: models.Field) -> Kind:
    if isinstance(field, models.BooleanField):
        return Kind.BOOL
    if isinstance(field, models.DateField):  # DateTimeField is one too
        return Kind.MOMENT
    if isinstance(field, models.JSONField):
        return Kind.JSON
    if field.get_internal_type() == "ArrayField":
        return Kind.LIST
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField | models.ForeignKey):
        return Kind.NUMBER
    return Kind.TEXT


def _fields(model: type[models.Model], *names: str) -> list[Column]:
    """Columns for model fields, each of the kind its field declares (a foreign key: its id)."""
    columns = []
    for name in names:
        field = model._meta.get_field(name)
        columns.append(Column(field.attname, _kind(field)))
    return columns


# Leads -----------------------------------------------------------------------------------------------------


def _lead_columns() -> tuple[Column, ...]:
    """The lead API's fields in its order; a related record as its id and its name; the full name left out
    (first and last name are there)."""
    columns: list[Column] = []
    for name in LeadSerializer.Meta.fields:
        if name == "name":
            continue
        if name in _LEAD_REFS:
            columns += [Column(f"{name}_id", Kind.NUMBER), Column(name, source=f"ref_{name}")]
        elif name == "full_access":
            columns.append(Column(name, Kind.BOOL))
        else:
            (column,) = _fields(Lead, name)
            hidden = name in SALES_ONLY_FIELDS
            columns.append(Column(name, column.kind, source=f"{name}_shown" if hidden else ""))
    return tuple(columns)


def _lead_rows(user: User) -> QuerySet:
    # A generic output field: a DecimalField one would make Django re-build every Decimal psycopg already built.
    shown = {
        f"{name}_shown": Case(When(full_access=True, then=F(name)), default=Value(None), output_field=models.Field())
        for name in SALES_ONLY_FIELDS
    }
    names = {f"ref_{name}": F(path) for name, path in _LEAD_REFS.items()}
    return lead_list(user=user).annotate(**shown, **names)


# Call reports ----------------------------------------------------------------------------------------------

_TAG_COLUMNS = {
    "needs": TagKind.NEED,
    "objections": TagKind.OBJECTION,
    "competitors": TagKind.COMPETITOR,
    "feedback": TagKind.FEEDBACK,
    "products": TagKind.PRODUCT,
}


def _call_report_columns() -> tuple[Column, ...]:
    return (
        *_fields(CallReport, "id", "lead", "company"),
        Column("company", source="company_name"),
        Column("author", source="author_name"),
        *_fields(CallReport, "occurred_on", "channel", "outcome", "notes", "next_step", "next_step_on"),
        Column("contacts", Kind.LIST, source="contact_names"),
        Column("marketers", Kind.LIST, source="marketer_names"),
        *(Column(name, Kind.LIST, source=f"{name}_labels") for name in _TAG_COLUMNS),
        *_fields(CallReport, "interest_level", "sentiment", "lead_stage", "segment", "campaign", "created_at"),
    )


def _call_report_rows(user: User) -> QuerySet:
    """The call report API's reports; the many-to-many parts as arrays built beside each row (no query per
    report): contacts and marketers in name order, each taxonomy's terms in label order."""
    contacts = CallReport.contacts.through.objects.filter(callreport_id=OuterRef("pk"))
    contact_name = Concat(F("contact__first_name"), Value(" "), F("contact__last_name"))
    marketers = CallReport.marketers.through.objects.filter(callreport_id=OuterRef("pk"))
    tags = CallReportTag.objects.filter(report_id=OuterRef("pk")).order_by("tag__label")
    return (
        call_report_list(user=user)
        .prefetch_related(None)
        .annotate(
            company_name=F("company__name"),
            author_name=F("author__username"),
            contact_names=ArraySubquery(contacts.annotate(name=contact_name).order_by("name").values("name")),
            marketer_names=ArraySubquery(marketers.order_by("user__username").values("user__username")),
            **{
                f"{name}_labels": ArraySubquery(tags.filter(tag__kind=kind).values("tag__label"))
                for name, kind in _TAG_COLUMNS.items()
            },
        )
    )


# Campaigns, touches, metrics -------------------------------------------------------------------------------


def _campaign_columns() -> tuple[Column, ...]:
    return (
        *_fields(Campaign, "id", "name", "channel", "segments", "status", "owner"),
        Column("owner", source="owner_name"),
        *_fields(Campaign, "starts_on", "ends_on", "budget"),
        Column("spent", Kind.NUMBER),
        *_fields(Campaign, "currency", "requires_sales_preview", "description", "created_at"),
    )


def _campaign_rows(_user: User) -> QuerySet:
    return crm_selectors.campaign_list().annotate(owner_name=F("owner__username"))


def _touch_rows(user: User) -> QuerySet:
    """The touch API's: touches of the leads `user` sees."""
    return Touch.objects.filter(lead__in=lead_list(user=user).values("pk")).annotate(campaign_name=F("campaign__name"))


def _touch_columns() -> tuple[Column, ...]:
    return (
        *_fields(Touch, "id", "lead", "campaign"),
        Column("campaign", source="campaign_name"),
        *_fields(Touch, "kind", "occurred_at", "weight", "client_key", "recorded_at"),
    )


_SNAPSHOT_FIELDS = ("period_kind", "period_start", "period_end", "computed_at", "history_through_at")


def _metric_columns() -> tuple[Column, ...]:
    snapshot = [
        Column(c.name, c.kind, source=f"snapshot__{c.name}") for c in _fields(MetricSnapshot, *_SNAPSHOT_FIELDS)
    ]
    return (
        *_fields(MetricValue, "id"),
        *snapshot[:3],
        *_fields(MetricValue, "metric", "stage", "to_stage", "dimension", "dimension_value"),
        *_fields(MetricValue, "value", "numerator", "denominator", "detail"),
        *snapshot[3:],
    )


def _metric_rows(_user: User) -> QuerySet:
    """Every role reads the numbers (the metric API's rule)."""
    return metric_value_list()


class CampaignFilter(FilterSet):
    """The campaign list's filters, as its viewset declares them (`filterset_fields`)."""

    class Meta:
        model = Campaign
        fields = CampaignViewSet.filterset_fields


RESOURCES: Mapping[str, Resource] = {
    resource.name: resource
    for resource in (
        Resource("leads", "leads", _lead_columns(), _lead_rows, LeadFilter),
        Resource("call-reports", "call_reports", _call_report_columns(), _call_report_rows, CallReportFilter),
        Resource("campaigns", "campaigns", _campaign_columns(), _campaign_rows, CampaignFilter),
        Resource("touches", "touches", _touch_columns(), _touch_rows, TouchFilter),
        Resource("metrics", "metrics", _metric_columns(), _metric_rows, MetricFilter),
    )
}


def export_rows(*, resource: Resource, user: User, params, request=None) -> QuerySet:
    """The rows `user` exports with the list endpoint's filters `params`, in id order (formats.py picks the
    columns). A filter value that does not parse is a 400 naming the parameter, as on the list."""
    filters = resource.filterset(params, queryset=resource.rows(user), request=request)
    if not filters.is_valid():
        raise ValidationError(filters.errors)
    return filters.qs.order_by("pk")
