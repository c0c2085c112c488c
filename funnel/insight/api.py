"""The insight digest over the API: digests by period with their counts (overall or one slice), and what
marketing did about a tag."""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.db_router import reads_from_replica
from config.filters import IdFilter
from config.pagination import MAX_ID
from config.schema import problems
from funnel.insight import periods, selectors, services
from funnel.insight.choices import Dimension, PeriodKind
from funnel.insight.models import Digest, DigestCount, InsightResponse


class DigestSerializer(serializers.ModelSerializer):
    class Meta:
        model = Digest
        fields = [
            "id",
            "period_kind",
            "period_start",
            "period_end",
            "report_count",
            "previous_report_count",
            "computed_at",
        ]
        read_only_fields = fields


class DigestCountSerializer(serializers.ModelSerializer):
    tag_slug = serializers.CharField(source="tag.slug")
    tag_label = serializers.CharField(source="tag.label")
    tag_kind = serializers.CharField(source="tag.kind", help_text="need, objection, competitor or feedback.")
    change = serializers.SerializerMethodField(help_text="count − previous_count.")
    is_new = serializers.SerializerMethodField(help_text="Heard this period, not in the one before.")

    class Meta:
        model = DigestCount
        fields = ["dimension", "value", "tag", "tag_slug", "tag_label", "tag_kind", "count", "previous_count"]
        fields += ["change", "is_new"]
        read_only_fields = fields

    def get_change(self, row) -> int:
        return row.count - row.previous_count

    def get_is_new(self, row) -> bool:
        return row.previous_count == 0 and row.count > 0


class DigestDetailSerializer(DigestSerializer):
    quotes = serializers.JSONField(help_text="Tag id → up to three example quotes ({report, on, text}), newest first.")
    counts = serializers.SerializerMethodField()

    class Meta(DigestSerializer.Meta):
        fields = [*DigestSerializer.Meta.fields, "quotes", "counts"]
        read_only_fields = fields

    @extend_schema_field(DigestCountSerializer(many=True))
    def get_counts(self, digest) -> list[dict]:
        slice_ = self.context.get("slice", {})
        rows = selectors.digest_counts(digest=digest, dimension=slice_.get("dimension"), value=slice_.get("value"))
        return DigestCountSerializer(rows, many=True).data


class SliceQuerySerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=Dimension.choices, required=False, help_text="Only this dimension.")
    value = serializers.CharField(
        max_length=64, required=False, help_text="Only this slice: a segment, a stage, a campaign or product tag id."
    )


class PeriodQuerySerializer(SliceQuerySerializer):
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    period_start = serializers.DateField(help_text="The period's first day: a Monday, or the first of a month.")

    def validate(self, attrs):
        periods.period_check(
            period_kind=attrs["period_kind"], period_start=attrs["period_start"], today=timezone.localdate()
        )
        return attrs


class DigestFilter(django_filters.FilterSet):
    period_kind = django_filters.ChoiceFilter(choices=PeriodKind.choices)
    period_start = django_filters.DateFilter(help_text="The period's first day.")

    class Meta:
        model = Digest
        fields = ["period_kind", "period_start"]


@reads_from_replica
class DigestViewSet(viewsets.ReadOnlyModelViewSet):
    """Call reports rolled up by week and month: per accepted tag, how many reports carried it, overall and by
    segment, product, campaign and stage, against the period before. Every role reads them."""

    scope_resource = "call_reports"
    serializer_class = DigestSerializer
    filterset_class = DigestFilter

    def get_queryset(self):
        return selectors.digest_list()

    def _detail(self, digest, query) -> Response:
        data = {k: v for k, v in query.validated_data.items() if k in ("dimension", "value")}
        return Response(DigestDetailSerializer(digest, context={"slice": data}).data)

    @extend_schema(parameters=[SliceQuerySerializer], responses=DigestDetailSerializer)
    def retrieve(self, request, pk=None):
        query = SliceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return self._detail(self.get_object(), query)

    @extend_schema(
        parameters=[PeriodQuerySerializer],
        responses=DigestDetailSerializer,
        summary="The digest of one period, by its kind and first day",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    @problems(404)
    def period(self, request):
        query = PeriodQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind, start = query.validated_data["period_kind"], query.validated_data["period_start"]
        digest = selectors.digest_get(period_kind=kind, period_start=start)
        if digest is None:
            raise NotFound(f"No {kind} digest starting {start} has been computed yet.")
        return self._detail(digest, query)


class InsightResponseSerializer(serializers.ModelSerializer):
    tag_label = serializers.CharField(source="tag.label")
    collateral_title = serializers.CharField(source="collateral.title", default=None)
    campaign_name = serializers.CharField(source="campaign.name", default=None)

    class Meta:
        model = InsightResponse
        fields = ["id", "tag", "tag_label", "collateral", "collateral_title", "campaign", "campaign_name", "note"]
        fields += ["created_by", "created_at"]
        read_only_fields = fields


class InsightResponseWriteSerializer(serializers.Serializer):
    tag = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The objection, competitor… answered.")
    collateral = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="The collateral that answers it."
    )
    campaign = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="… or the campaign."
    )
    note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="What we did about it."
    )


class InsightResponseFilter(django_filters.FilterSet):
    tag = IdFilter(field_name="tag_id", help_text="The tag's id.")

    class Meta:
        model = InsightResponse
        fields = ["tag"]


class InsightResponseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """What marketing did about an insight: a tag linked to the collateral or campaign that answers it."""

    scope_resource = "call_reports"
    serializer_class = InsightResponseSerializer
    filterset_class = InsightResponseFilter

    def get_queryset(self):
        return selectors.insight_response_list()

    @extend_schema(request=InsightResponseWriteSerializer, responses={201: InsightResponseSerializer})
    def create(self, request):
        data = InsightResponseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        response = services.insight_response_create(
            user=request.user,
            tag_id=values["tag"],
            collateral_id=values.get("collateral"),
            campaign_id=values.get("campaign"),
            note=values["note"],
        )
        return Response(InsightResponseSerializer(response).data, status=status.HTTP_201_CREATED)
