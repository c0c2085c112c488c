"""The diagnostic over the API: the statements, your own answers (POST to answer), and the assessments over
time (POST to assess now)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken
from funnel.diagnostic import questionnaire, selectors, services
from funnel.diagnostic.choices import Respondent
from funnel.diagnostic.models import Assessment, DiagnosticResponse


class StatementSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    group = serializers.CharField(help_text="For the dashboard only: it never changes a total.")


class GroupSerializer(serializers.Serializer):
    label = serializers.CharField()
    statements = serializers.ListField(child=serializers.IntegerField())


class QuestionnaireSerializer(serializers.Serializer):
    statements = StatementSerializer(many=True)
    scale = serializers.DictField(child=serializers.CharField(), help_text="Rating (1–5) → what it means.")
    bands = serializers.ListField(child=serializers.DictField(), help_text="[{from, level}], lowest first.")
    groups = serializers.DictField(child=GroupSerializer(), help_text="For the dashboard only.")


class QuestionnaireView(APIView):
    """The twenty statements, the 1-5 scale, the bands of the total and the dashboard's groups."""

    scope_resource = "metrics"

    @extend_schema(responses={200: QuestionnaireSerializer})
    def get(self, request):
        return Response(
            {
                "statements": StatementSerializer(questionnaire.statement_list(), many=True).data,
                "scale": {str(k): v for k, v in questionnaire.SCALE_LABELS.items()},
                "bands": [{"from": low, "level": level} for low, level in reversed(questionnaire.BANDS)],
                "groups": {
                    key: {"label": label, "statements": list(n)} for key, (label, n) in questionnaire.GROUPS.items()
                },
            }
        )


class ResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = DiagnosticResponse
        fields = ["id", "function", "answers", "total", "submitted_at"]
        read_only_fields = fields


class ResponseWriteSerializer(serializers.Serializer):
    answers = serializers.JSONField(help_text='All twenty ratings, 1–5, by statement number: {"1": 4, …, "20": 3}.')
    function = serializers.ChoiceField(
        choices=Respondent.choices,
        required=False,
        allow_blank=True,
        help_text="The side you answer for; only for people whose team is neither marketing nor sales.",
    )


class ResponseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your own answers, newest first; POST all twenty ratings to answer (again)."""

    scope_resource = "metrics"
    serializer_class = ResponseSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return DiagnosticResponse.objects.none()
        return selectors.response_list(user=self.request.user)

    @extend_schema(request=ResponseWriteSerializer, responses={201: ResponseSerializer})
    def create(self, request):
        data = ResponseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        response = services.response_submit(
            user=request.user, answers=values["answers"], function=values.get("function")
        )
        return Response(ResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class AssessmentSerializer(serializers.ModelSerializer):
    questionnaire_level = serializers.CharField(
        help_text="The band of the mean total: undefined, defined, aligned or integrated; blank without answers."
    )

    class Meta:
        model = Assessment
        fields = ["id", "computed_at", "trigger", "month", "requested_by", "level", "questionnaire_level"]
        fields += ["evidence_level", "respondents", "mean_total", "marketing_mean", "marketing_respondents"]
        fields += ["sales_mean", "sales_respondents", "gap", "groups", "response_ids", "evidence", "next_steps"]
        fields += ["thresholds"]
        read_only_fields = fields

    def to_representation(self, assessment):
        data = super().to_representation(assessment)
        request = self.context["request"]
        token = request.auth if isinstance(request.auth, ApiToken) else None
        reads_leads = token is None or "leads:read" in token.scopes
        data["evidence"] = selectors.evidence_for(evidence=data["evidence"], user=request.user, reads_leads=reads_leads)
        return data


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The assessments, newest first: level, questionnaire numbers, evidence and next steps. POST (managers and
    administrators) assesses now and returns the new record."""

    scope_resource = "metrics"
    serializer_class = AssessmentSerializer

    def get_queryset(self):
        return selectors.assessment_list()

    @extend_schema(request=None, responses={201: AssessmentSerializer})
    def create(self, request):
        assessment = services.assessment_create(user=request.user)
        return Response(
            AssessmentSerializer(assessment, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
