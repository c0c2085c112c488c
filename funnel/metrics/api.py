"""Joint metrics over the API: stored values (each saying how fresh it is), the leads behind any one of them,
and recompute jobs with their progress. Every role reads the numbers; the leads behind a number are only the
ones the reader may see."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.db_router import reads_from_replica
from config.pagination import CursorPagination
from config.schema import problems
from funnel.metrics import selectors, services
from funnel.metrics.choices import Dimension, PeriodKind
from funnel.metrics.models import MetricJob, MetricValue
from funnel.metrics.periods import period_of
from leads.choices import Stage

VALUE, DENOMINATOR = "value", "denominator"


class MetricValueSerializer(serializers.ModelSerializer):
    period_kind = serializers.CharField(source="snapshot.period_kind")
    period_start = serializers.DateField(source="snapshot.period_start")
    period_end = serializers.DateField(source="snapshot.period_end", help_text="Exclusive.")
    computed_at = serializers.DateTimeField(source="snapshot.computed_at", allow_null=True)
    history_through_at = serializers.DateTimeField(
        source="snapshot.history_through_at", allow_null=True, help_text="The newest transition the number includes."
    )
    changed_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Set when a change dated in this closed period arrived after the number was computed: it is "
        "recomputed within ten minutes.",
    )

    class Meta:
        model = MetricValue
        fields = ["id", "period_kind", "period_start", "period_end", "metric", "stage", "to_stage", "dimension"]
        fields += ["dimension_value", "value", "numerator", "denominator", "detail", "computed_at"]
        fields += ["history_through_at", "changed_at"]
        read_only_fields = fields


class MetricFilter(django_filters.FilterSet):
    period_kind = django_filters.ChoiceFilter(field_name="snapshot__period_kind", choices=PeriodKind.choices)
    period_start = django_filters.DateFilter(field_name="snapshot__period_start", help_text="The period's first day.")
    metric = django_filters.CharFilter(max_length=40, help_text="e.g. entered, cohort_conversion, win_rate.")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    to_stage = django_filters.CharFilter(max_length=16, help_text="The later stage, or a money row's currency.")
    dimension = django_filters.ChoiceFilter(choices=Dimension.choices)
    dimension_value = django_filters.CharFilter(max_length=100)

    class Meta:
        model = MetricValue
        fields = ["period_kind", "period_start", "metric", "stage", "to_stage", "dimension", "dimension_value"]


class RowQuerySerializer(serializers.Serializer):
    """One number of one snapshot, as a metric row names it."""

    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    period_start = serializers.DateField(help_text="The period's first day: a Monday, the 1st of a month…")
    metric = serializers.CharField(max_length=40)
    stage = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    to_stage = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    dimension = serializers.ChoiceField(choices=Dimension.choices, required=False, default=Dimension.ALL)
    dimension_value = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    part = serializers.ChoiceField(
        choices=[(VALUE, "The leads behind the value (a ratio's numerator)"), (DENOMINATOR, "A ratio's denominator")],
        required=False,
        default=VALUE,
    )

    def validate_metric(self, metric: str) -> str:
        drillable = selectors.drills()
        if metric not in drillable:
            names = ", ".join(sorted(drillable))
            raise serializers.ValidationError(f"{metric!r} has no drill-down; use one of {names}.")
        return metric

    def validate(self, attrs):
        start, kind, today = attrs["period_start"], attrs["period_kind"], timezone.localdate()
        if not services.EARLIEST <= start <= today:  # before period_of: 9999-12-31's period ends past the calendar
            message = f"{start} is outside the history (from {services.EARLIEST} to today, {today})."
            raise serializers.ValidationError({"period_start": message})
        first = period_of(kind=kind, day=start).start
        if first != start:
            message = f"{start} does not start a {kind}; that one starts {first}."
            raise serializers.ValidationError({"period_start": message})
        return attrs


class LeadBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    company_name = serializers.CharField()
    stage = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_name = serializers.CharField(source="owner.get_username", allow_null=True, default=None)
    full_access = serializers.BooleanField(help_text="False: you see this lead's marketing data only.")


class DrillPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many of the leads behind the number you may see.")
    row = MetricValueSerializer(allow_null=True, help_text="The number itself (null when the snapshot has no row).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LeadBriefSerializer(many=True)


class RecomputeSerializer(serializers.Serializer):
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    period_starts = serializers.ListField(
        child=serializers.DateField(),
        max_length=services.MAX_PERIODS,
        help_text="The first day of each period to recompute.",
    )


class MetricJobSerializer(serializers.ModelSerializer):
    class Meta:
        model = MetricJob
        fields = ["id", "period_kind", "period_starts", "status", "progress", "error", "requested_by"]
        fields += ["requested_at", "started_at", "finished_at"]
        read_only_fields = fields


class LeadCursorPagination(CursorPagination):
    ordering = "id"


@reads_from_replica
class MetricViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Joint metrics by period and dimension, each row with when it was computed and the newest history it saw."""

    scope_resource = "metrics"
    serializer_class = MetricValueSerializer
    filterset_class = MetricFilter

    def get_queryset(self):
        return selectors.metric_value_list()

    @extend_schema(parameters=[RowQuerySerializer], responses=DrillPageSerializer, summary="The leads behind a number")
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=LeadCursorPagination)
    @problems(404)
    def leads(self, request):
        query = RowQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        snapshot = selectors.snapshot_get(period=period_of(kind=q["period_kind"], day=q["period_start"]))
        if snapshot is None:
            raise NotFound(f"No {q['period_kind']} starting {q['period_start']} has been computed yet.")
        row_key = {k: q[k] for k in ("metric", "stage", "to_stage", "dimension", "dimension_value")}
        row = selectors.metric_value_list().filter(snapshot=snapshot, **row_key).first()
        denominator = q["part"] == DENOMINATOR
        leads = selectors.metric_leads(user=request.user, snapshot=snapshot, denominator=denominator, **row_key)
        page = self.paginate_queryset(leads)
        response = self.get_paginated_response(LeadBriefSerializer(page, many=True).data)
        response.data = {
            "count": leads.count(),
            "row": MetricValueSerializer(row).data if row else None,
            **response.data,
        }
        return response

    @extend_schema(request=RecomputeSerializer, responses={202: MetricJobSerializer}, summary="Recompute periods")
    @action(detail=False, methods=["post"], filterset_class=None, pagination_class=None)
    def recompute(self, request):
        data = RecomputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.metric_job_request(user=request.user, **data.validated_data)
        return Response(MetricJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class MetricJobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A recompute job: its status and progress (percent of its periods done)."""

    scope_resource = "metrics"
    serializer_class = MetricJobSerializer

    def get_queryset(self):
        return selectors.metric_job_list(user=self.request.user)
