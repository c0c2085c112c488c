from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import reads_from_replica
from funnel.attribution.selectors import campaign_performance, channel_performance
from funnel.attribution.weights import MODEL_LABELS, MODELS

MONEY = {"max_digits": 16, "decimal_places": 2}


class PerformanceQuerySerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=[(m, MODEL_LABELS[m]) for m in MODELS], default="linear")
    since = serializers.DateField(required=False, help_text="Touches, spend and purchases on or after this day.")
    until = serializers.DateField(required=False, help_text="… and on or before this day.")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["until"] < attrs["since"]:
            raise serializers.ValidationError({"until": "The period ends before it starts."})
        return attrs


class PerformanceSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(allow_null=True, help_text="null on a channel's row.")
    name = serializers.CharField()
    channel = serializers.CharField()
    currency = serializers.CharField()
    budget = serializers.DecimalField(**MONEY, allow_null=True)
    leads = serializers.IntegerField(help_text="Distinct leads the campaign touched.")
    mqls = serializers.IntegerField(help_text="… of which reached the MQL milestone.")
    sqls = serializers.IntegerField()
    customers = serializers.IntegerField()
    spend = serializers.DecimalField(**MONEY)
    revenue = serializers.DecimalField(**MONEY, help_text="Revenue credited under the chosen model.")
    gross_margin = serializers.DecimalField(**MONEY)
    sourced_revenue = serializers.DecimalField(**MONEY, help_text="Purchases whose first touch was this campaign's.")
    influenced_revenue = serializers.DecimalField(
        **MONEY, help_text="Purchases it touched before the opportunity milestone. Includes sourced: never add them."
    )
    cost_per_lead = serializers.DecimalField(**MONEY, allow_null=True)
    cost_per_mql = serializers.DecimalField(**MONEY, allow_null=True)
    cost_per_customer = serializers.DecimalField(**MONEY, allow_null=True)
    return_on_spend = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="Credited revenue ÷ spend; null with no spend."
    )


class PerformanceReportSerializer(serializers.Serializer):
    model = serializers.CharField()
    campaigns = PerformanceSerializer(many=True)
    channels = PerformanceSerializer(many=True)


@reads_from_replica
class CampaignPerformanceView(APIView):
    """What each campaign and channel cost and brought: leads, MQLs, SQLs, customers, revenue and margin
    credited under an attribution model, sourced and influenced revenue, cost per stage and return on spend."""

    scope_resource = "metrics"

    @extend_schema(parameters=[PerformanceQuerySerializer], responses=PerformanceReportSerializer)
    def get(self, request):
        query = PerformanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = campaign_performance(**query.validated_data)
        report = {"model": query.validated_data["model"], "campaigns": rows, "channels": channel_performance(rows)}
        return Response(PerformanceReportSerializer(report).data)
