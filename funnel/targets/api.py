"""The shared target over the API: targets (list, propose, read), sign-off and withdrawal, attainment with the
forecast, and the reverse funnel. Read by everyone signed in (it is the number both teams work to); proposed
by managers, revenue leaders and administrators; signed by a marketing and a sales signer."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.serializers import UserRefSerializer
from accounts.models import Team
from config.pagination import CursorPagination
from config.schema import problems
from crm.choices import Segment
from crm.models.campaigns import MAX_AMOUNT
from funnel.targets import selectors, services
from funnel.targets.choices import TargetPeriod
from funnel.targets.models import RevenueTarget, TargetSplit
from leads.choices import SignOffSide

MONEY = {"max_digits": 14, "decimal_places": 2}


class SplitSerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetSplit
        fields = ["id", "team", "segment", "amount"]
        read_only_fields = fields


class TargetSerializer(serializers.ModelSerializer):
    splits = SplitSerializer(many=True, read_only=True)
    proposed_by = UserRefSerializer(read_only=True)
    marketing_approver = UserRefSerializer(read_only=True, allow_null=True)
    sales_approver = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RevenueTarget
        fields = [
            "id",
            "period_kind",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "note",
            "status",
            "proposed_by",
            "proposed_at",
            "marketing_approver",
            "marketing_signed_at",
            "sales_approver",
            "sales_signed_at",
            "activated_at",
            "splits",
        ]
        read_only_fields = fields


class SplitWriteSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True, help_text="The team owing this share."
    )
    segment = serializers.ChoiceField(choices=Segment.choices, required=False, allow_blank=True)
    amount = serializers.DecimalField(**MONEY, max_value=MAX_AMOUNT)


class TargetProposeSerializer(serializers.Serializer):
    period_kind = serializers.ChoiceField(choices=TargetPeriod.choices)
    period_start = serializers.DateField(help_text="The first day of the month, quarter or year.")
    amount = serializers.DecimalField(**MONEY, max_value=MAX_AMOUNT, help_text="The revenue to reach.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", max_length=3, default="USD", help_text="ISO code, e.g. USD.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    splits = SplitWriteSerializer(
        many=True, required=False, max_length=services.MAX_SPLITS, help_text="Shares summing to the amount."
    )


class TargetSignOffSerializer(serializers.Serializer):
    side = serializers.ChoiceField(
        choices=SignOffSide.choices, required=False, help_text="Only a revenue leader, who may sign either, names it."
    )


class AttainedSerializer(serializers.Serializer):
    split = serializers.IntegerField(source="split.pk", allow_null=True, default=None)
    team = serializers.IntegerField(source="split.team_id", allow_null=True, default=None)
    segment = serializers.CharField(source="split.segment", default="")
    amount = serializers.DecimalField(**MONEY, help_text="The target (or the split's share).")
    revenue = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Purchases' revenue so far.")
    purchases = serializers.IntegerField()
    ratio = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True, help_text="revenue ÷ amount")


class RateSerializer(serializers.Serializer):
    entered = serializers.IntegerField(help_text="Leads that reached the milestone (or stage) in the window.")
    reached = serializers.IntegerField(help_text="Of them, those that reached the next one (purchase).")
    percent = serializers.FloatField(allow_null=True)
    lag_days = serializers.FloatField(allow_null=True, help_text="Median days to the next milestone.")


class StageForecastSerializer(serializers.Serializer):
    stage = serializers.CharField()
    leads = serializers.IntegerField(help_text="Open leads in the stage with a value in the target's currency.")
    value = serializers.DecimalField(max_digits=16, decimal_places=2)
    win = RateSerializer(help_text="The stage's win rate over the trailing 12 months.")
    expected_close = serializers.DateTimeField(allow_null=True)
    timing = serializers.ChoiceField(
        choices=["before", "within", "after"], allow_null=True, help_text="The expected close against the period."
    )
    counted = serializers.BooleanField(help_text="The expected close falls inside the period.")
    expected = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="value × win rate, if counted.")


class ForecastSerializer(serializers.Serializer):
    attained = serializers.DecimalField(max_digits=16, decimal_places=2)
    expected = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="From the open funnel.")
    total = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="attained + expected")
    stages = StageForecastSerializer(many=True)


class AttainmentSerializer(serializers.Serializer):
    currency = serializers.CharField(source="target.currency")
    total = AttainedSerializer()
    splits = AttainedSerializer(many=True)
    other_currencies = serializers.DictField(
        child=serializers.IntegerField(), help_text="Purchases in other currencies, not counted."
    )
    unpriced = serializers.IntegerField(help_text="Purchases in the currency without a revenue, not counted.")
    forecast = ForecastSerializer()


class NeedSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="purchase, sql, mql or lead.")
    count = serializers.IntegerField(allow_null=True, help_text="Still needed; null when a rate is unknown.")
    lag_weeks = serializers.IntegerField(help_text="Weeks before the purchase it must be reached.")
    held = serializers.FloatField(help_text="What the funnel holds now (purchases: those expected in the period).")
    gap = serializers.IntegerField(allow_null=True, help_text="Needed beyond what the funnel holds.")


class WeekSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="Monday of the week.")
    purchase = serializers.IntegerField(allow_null=True)
    sql = serializers.IntegerField(allow_null=True)
    mql = serializers.IntegerField(allow_null=True)
    lead = serializers.IntegerField(allow_null=True)
    overdue = serializers.DictField(child=serializers.IntegerField(), help_text="Of this week's, those already late.")
    short = serializers.DictField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Of this week's need, what the funnel does not hold yet (holdings set against the earliest weeks);"
        " each sums over the weeks to the need's gap.",
    )


class ReverseFunnelSerializer(serializers.Serializer):
    remaining = serializers.DecimalField(max_digits=16, decimal_places=2)
    rates_since = serializers.DateTimeField(source="rates.since", help_text="The rates' source period begins…")
    rates_until = serializers.DateTimeField(source="rates.until", help_text="…and ends (exclusive).")
    average_deal = serializers.DecimalField(source="rates.average_deal", **MONEY, allow_null=True)
    deals = serializers.IntegerField(source="rates.deals", help_text="Purchases the average deal is taken over.")
    lead_to_mql = RateSerializer(source="rates.lead_to_mql")
    mql_to_sql = RateSerializer(source="rates.mql_to_sql")
    sql_to_purchase = RateSerializer(source="rates.sql_to_purchase")
    pipeline_needed = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="SQLs still needed × the average deal."
    )
    coverage = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="pipeline_needed ÷ remaining."
    )
    needs = serializers.SerializerMethodField()
    weeks = WeekSerializer(many=True)

    def get_needs(self, funnel) -> NeedSerializer(many=True):
        rows = [
            {**need.__dict__, "held": float(funnel.held[need.name]), "gap": funnel.gap(need.name)}
            for need in funnel.needs
        ]
        return NeedSerializer(rows, many=True).data


def target_report(target: RevenueTarget):
    attainment = selectors.target_attainment(target=target)
    forecast = selectors.target_forecast(target=target, attained=attainment.total.revenue)
    return attainment, forecast


class NewestPeriodFirst(CursorPagination):
    ordering = ("-period_start", "-id")


class RevenueTargetViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Shared revenue targets, newest period first: proposed, signed by both sides, active, superseded or
    withdrawn."""

    scope_resource = "metrics"
    serializer_class = TargetSerializer
    pagination_class = NewestPeriodFirst
    filterset_fields = ["status", "period_kind"]

    def get_queryset(self):
        return selectors.target_list()

    @extend_schema(request=TargetProposeSerializer, responses={201: TargetSerializer})
    def create(self, request):
        data = TargetProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        splits = [services.Split(**split) for split in fields.pop("splits", [])]
        target = services.target_propose(**fields, splits=splits, proposed_by=request.user)
        return Response(TargetSerializer(selectors.target_get(target_id=target.pk)).data, status.HTTP_201_CREATED)

    @extend_schema(request=TargetSignOffSerializer, responses=TargetSerializer, summary="Commit to the target")
    @action(detail=True, methods=["post"], url_path="sign-off")
    @problems(409)
    def sign_off(self, request, pk=None):
        data = TargetSignOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = services.target_sign_off(
            target_id=self.get_object().pk, user=request.user, side=data.validated_data.get("side")
        )
        return Response(TargetSerializer(selectors.target_get(target_id=target.pk)).data)

    @extend_schema(request=None, responses=TargetSerializer, summary="Withdraw a proposal")
    @action(detail=True, methods=["post"])
    @problems(409)
    def withdraw(self, request, pk=None):
        target = services.target_withdraw(target_id=self.get_object().pk, user=request.user)
        return Response(TargetSerializer(selectors.target_get(target_id=target.pk)).data)

    @extend_schema(responses=AttainmentSerializer, summary="Attainment so far and the forecast")
    @action(detail=True, methods=["get"])
    def attainment(self, request, pk=None):
        attainment, forecast = target_report(self.get_object())
        return Response(AttainmentSerializer({**attainment.__dict__, "forecast": forecast}).data)

    @extend_schema(responses=ReverseFunnelSerializer, summary="What the rest of the target needs, by week")
    @action(detail=True, methods=["get"], url_path="reverse-funnel")
    def reverse_funnel(self, request, pk=None):
        target = self.get_object()
        attainment, forecast = target_report(target)
        funnel = selectors.target_reverse_funnel(target=target, attained=attainment.total.revenue, forecast=forecast)
        return Response(ReverseFunnelSerializer(funnel).data)
