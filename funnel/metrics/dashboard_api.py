"""The managers' dashboard over the API: the same read as the web page (funnel.metrics.dashboard), one period
and one slice with its trend, for integrations that pull the numbers into their own reports."""

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import reads_from_replica
from funnel.metrics import dashboard as board
from funnel.metrics.choices import PeriodKind

# A version's body never changes, so this only bounds how long unread versions occupy the cache.
CACHE_SECONDS = 3600
# In front of the shared cache, each process keeps the bodies it served last: fetching ~70 kB from Redis was a
# fifth of the request. Safe for the same reason (a version is immutable); 32 bodies are ~2 MB a process.
LOCAL = LocMemCache("dashboard-api", {"OPTIONS": {"MAX_ENTRIES": 32}})


class DashboardQuerySerializer(serializers.Serializer):
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, default=PeriodKind.MONTH)
    period_start = serializers.DateField(required=False, help_text="Any day of the period; today by default.")
    team = serializers.CharField(required=False, max_length=100)
    segment = serializers.CharField(required=False, max_length=100)
    campaign = serializers.CharField(required=False, max_length=100)
    channel = serializers.CharField(required=False, max_length=100)


def _text(amount) -> str | None:
    # As the metrics API writes them: decimals as strings, so money never passes through a float.
    return None if amount is None else str(amount)


def _numbers(numbers: dict) -> list[dict]:
    return [
        {
            "metric": n.metric,
            "stage": n.stage,
            "to_stage": n.to_stage,
            "value": _text(n.value),
            "numerator": _text(n.numerator),
            "denominator": _text(n.denominator),
            "detail": n.detail,
        }
        for n in numbers.values()
    ]


def dashboard_payload(data: board.Dashboard) -> dict:
    snapshot = data.snapshot
    return {
        "period_kind": data.period.kind,
        "period_start": data.period.start,
        "period_end": data.period.end,
        "dimension": data.slice.dimension,
        "dimension_value": data.slice.value,
        "computed_at": snapshot.computed_at if snapshot else None,
        "history_through_id": snapshot.history_through_id if snapshot else None,
        "changed_at": data.changed_at,
        "numbers": _numbers(data.numbers),
        "trend": [{"period_start": p.start, "numbers": _numbers(n)} for p, n in data.trend],
    }


@reads_from_replica
class DashboardView(APIView):
    """One period's joint metrics for the whole company or one slice (team, segment, campaign or channel — one
    at a time), with the trend of the periods before it. `computed_at` null: the period is not computed yet;
    `changed_at` set: a change dated in this closed period arrived after it was computed, and the schedule
    recomputes it within ten minutes. The `ETag` names the numbers: send it back as `If-None-Match` and the
    answer is 304 with no body until a recompute or a late change."""

    scope_resource = "metrics"

    @extend_schema(
        parameters=[
            DashboardQuerySerializer,
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of an earlier answer: 304 while it still names the same numbers.",
            ),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            304: OpenApiResponse(description="Not modified: no recompute or late change since that ETag."),
        },
        summary="Dashboard",
    )
    def get(self, request):
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        try:
            today = timezone.localdate()
            period = board.period_from(kind=q["period_kind"], start=q.get("period_start") or today, today=today)
            slice_ = board.slice_from(q)
        except ValidationError as error:  # named as this API's parameters, not the page's `period` and `start`
            names = {"period": "period_kind", "start": "period_start"}
            raise serializers.ValidationError({names.get(k, k): v for k, v in error.message_dict.items()}) from None
        snapshots = board.dashboard_snapshots(period)
        if getattr(request.accepted_renderer, "format", "") != "json":  # the browsable API renders it as usual
            return Response(dashboard_payload(board.dashboard_read(period=period, slice=slice_, snapshots=snapshots)))
        version = board.dashboard_version(period, slice_, snapshots)
        etag = f'"{version}"'
        if etag in request.headers.get("If-None-Match", ""):  # a poller that already holds these numbers
            response = HttpResponse(status=304)
        else:
            response = HttpResponse(_rendered(version, period, slice_, snapshots), content_type="application/json")
        response["ETag"] = etag
        return response


def _rendered(version: str, period, slice_, snapshots) -> bytes:
    """The JSON body, kept under the snapshots' version (dashboard_version): the same bytes JSONRenderer writes,
    without reading ~500 rows and rendering them again for every integration polling the same numbers."""
    key = f"dashboard-api:{version}"
    body = LOCAL.get(key)
    if body is None:
        body = cache.get(key)
        if body is None:
            data = board.dashboard_read(period=period, slice=slice_, snapshots=snapshots)
            body = JSONRenderer().render(dashboard_payload(data))
            cache.set(key, body, CACHE_SECONDS)
        LOCAL.set(key, body, CACHE_SECONDS)
    return body
