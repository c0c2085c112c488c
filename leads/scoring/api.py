from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.api.serializers import UserRefSerializer
from config.schema import problems
from leads.choices import SignOffSide
from leads.scoring import services
from leads.scoring.models import ScoringModelVersion
from leads.selectors import lead_get


class ScoringVersionSerializer(serializers.ModelSerializer):
    proposed_by = UserRefSerializer(read_only=True)
    marketing_approver = UserRefSerializer(read_only=True, allow_null=True)
    sales_approver = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ScoringModelVersion
        fields = [
            "id",
            "number",
            "status",
            "fit_rules",
            "engagement_rules",
            "note",
            "proposed_by",
            "proposed_at",
            "marketing_approver",
            "marketing_signed_at",
            "sales_approver",
            "sales_signed_at",
            "activated_at",
        ]
        read_only_fields = fields


class ScoringProposeSerializer(serializers.Serializer):
    fit_rules = serializers.JSONField(
        help_text='[{"label": "Enterprise", "when": {"field": "segment", "op": "eq", "value": "enterprise"}, '
        '"points": 30}] — conditions in the lead-definition criteria language; points -100..100.'
    )
    engagement_rules = serializers.JSONField(
        help_text='[{"kind": "form_fill", "points": 50, "half_life_days": 30, "cap": 60}] — one per touch kind.'
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class SideSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=SignOffSide.choices, required=False, help_text="Needed by revenue leaders.")


class ScoreLineSerializer(serializers.Serializer):
    part = serializers.ChoiceField(choices=["fit", "engagement", "adjustment"])
    label = serializers.CharField()
    points = serializers.DecimalField(max_digits=7, decimal_places=2)
    touch = serializers.IntegerField(allow_null=True)


class ScoreExplanationSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The scoring version's number.")
    scored_at = serializers.DateTimeField(help_text="Decay is computed as of this moment.")
    score = serializers.IntegerField()
    grade = serializers.CharField()
    fit = serializers.DecimalField(max_digits=5, decimal_places=2)
    engagement = serializers.DecimalField(max_digits=5, decimal_places=2)
    total = serializers.DecimalField(max_digits=5, decimal_places=2)
    lines = ScoreLineSerializer(many=True, help_text="Every rule met, touch and adjustment; they sum to `score`.")


class ScoringVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """The lead scoring model's versions: proposed by marketing, used once marketing and sales both signed."""

    scope_resource = "scoring"
    serializer_class = ScoringVersionSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return ScoringModelVersion.objects.select_related("proposed_by", "marketing_approver", "sales_approver")

    @extend_schema(request=ScoringProposeSerializer, responses={201: ScoringVersionSerializer})
    def create(self, request):
        data = ScoringProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.scoring_version_propose(user=request.user, **data.validated_data)
        return Response(ScoringVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SideSerializer, responses=ScoringVersionSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    @problems(409)
    def sign_off(self, request, pk=None):
        data = SideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.scoring_version_sign_off(
            version_id=self.get_object().pk, user=request.user, side=data.validated_data.get("side")
        )
        return Response(ScoringVersionSerializer(version).data)

    @extend_schema(request=None, responses=ScoringVersionSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def withdraw(self, request, pk=None):
        version = services.scoring_version_withdraw(version_id=self.get_object().pk, user=request.user)
        return Response(ScoringVersionSerializer(version).data)


class LeadScoreViewSet(viewsets.GenericViewSet):
    """A lead's score explained: every rule met and every touch with its points after decay."""

    scope_resource = "scoring"
    serializer_class = ScoreExplanationSerializer
    lookup_url_kwarg = "lead"

    @extend_schema(responses=ScoreExplanationSerializer)
    def retrieve(self, request, lead=None):
        found = lead_get(user=request.user, lead_id=int(lead))
        explained = services.lead_score_explanation(lead=found)
        if explained is None:
            raise NotFound("This lead has not been scored yet: no scoring version is active.")
        return Response(ScoreExplanationSerializer(explained).data)
