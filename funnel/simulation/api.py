"""Simulations over the API: what a scoring version, a definition version or a handoff rule would change. A
definition or rule simulation is a job: POST starts it (or returns the recent one with the same question),
GET follows its status and progress and reads the result, `leads/` drills a count down to its leads."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from config.pagination import MAX_ID
from funnel.models import Simulation
from funnel.simulation import services
from funnel.simulation.choices import SimulationKind
from funnel.simulation.definitions import simulation_leads
from funnel.simulation.models import MAX_WINDOW_DAYS
from funnel.simulation.scoring import scoring_version_preview
from leads.api.serializers import LeadSerializer
from leads.scoring.api import ScoringVersionSerializer
from leads.scoring.models import ScoringModelVersion
from leads.selectors import lead_list


class ScoringPreviewViewSet(viewsets.GenericViewSet):
    """What a scoring version would change if it were active now: grade moves and definitions newly met or no
    longer met, by segment and source campaign. Read it before signing."""

    scope_resource = "scoring"
    serializer_class = ScoringVersionSerializer
    queryset = ScoringModelVersion.objects.all()

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, pk=None):
        return Response(scoring_version_preview(version=self.get_object()))


class SimulationSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Simulation
        fields = [
            "id",
            "kind",
            "definition_version",
            "rule",
            "rule_spec",
            "window_days",
            "status",
            "progress",
            "error",
            "requested_by",
            "requested_at",
            "started_at",
            "finished_at",
            "history_until_id",
            "result",
        ]
        read_only_fields = fields


class SimulationRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SimulationKind.choices)
    definition_version = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    rule = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="A saved rule; leave out to simulate a new one."
    )
    changes = serializers.JSONField(
        required=False, help_text='The rule\'s parts as proposed, e.g. {"preconditions": [...], "routing": {...}}.'
    )
    window_days = serializers.IntegerField(min_value=1, max_value=MAX_WINDOW_DAYS, default=90)
    fresh = serializers.BooleanField(default=False, help_text="Run anew even if a recent result exists.")

    def validate(self, attrs):
        if attrs["kind"] == SimulationKind.DEFINITION and "definition_version" not in attrs:
            raise serializers.ValidationError({"definition_version": "A definition simulation names its version."})
        if attrs["kind"] == SimulationKind.RULE and "rule" not in attrs and "changes" not in attrs:
            raise serializers.ValidationError({"rule": "Name a saved rule, or give a new rule's parts in changes."})
        changes = attrs.get("changes")
        if changes is not None and not isinstance(changes, dict):
            raise serializers.ValidationError({"changes": "An object of rule parts."})
        return attrs


class DrillDownSerializer(serializers.Serializer):
    part = serializers.ChoiceField(choices=["now", "history"])
    bucket = serializers.CharField(max_length=40)
    dimension = serializers.CharField(max_length=40, required=False, default="")
    value = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class SimulationViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    """Definition and rule simulations: start one, follow it, read it, drill into it."""

    scope_resource = "definitions"
    serializer_class = SimulationSerializer
    filterset_fields = ["kind", "definition_version", "rule", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Simulation.objects.none()
        if self.request.user.role not in services.SIMULATORS and not self.request.user.is_superuser:
            raise PermissionDenied("Marketers, managers, revenue leaders and administrators read simulations.")
        return Simulation.objects.select_related("requested_by").order_by("-requested_at", "-id")

    @extend_schema(request=SimulationRequestSerializer, responses={202: SimulationSerializer})
    def create(self, request):
        data = SimulationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        args = data.validated_data
        if args["kind"] == SimulationKind.DEFINITION:
            simulation = services.definition_simulation_request(
                actor=request.user,
                version_id=args["definition_version"],
                window_days=args["window_days"],
                fresh=args["fresh"],
            )
        else:
            simulation = services.rule_simulation_request(
                actor=request.user,
                rule_id=args.get("rule"),
                changes=args.get("changes"),
                window_days=args["window_days"],
                fresh=args["fresh"],
            )
        simulation.refresh_from_db()
        return Response(SimulationSerializer(simulation).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("part", str, enum=["now", "history"], required=True),
            OpenApiParameter("bucket", str, required=True, description="A count's name, e.g. newly_qualify."),
            OpenApiParameter("dimension", str, description="segment, source_campaign, owner or team."),
            OpenApiParameter("value", str, description="The breakdown row's value."),
        ],
        responses=LeadSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def leads(self, request, pk=None):
        """The leads behind one count of a definition simulation, as they are now, among those you may see."""
        simulation = self.get_object()
        if simulation.kind != SimulationKind.DEFINITION or simulation.result is None:
            raise ValidationError({"simulation": "Only a finished definition simulation drills down to leads."})
        query = DrillDownSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        behind = simulation_leads(result=simulation.result, **query.validated_data)
        leads = lead_list(user=request.user).filter(pk__in=behind.values("pk")).order_by("-id")
        page = self.paginate_queryset(leads)
        return self.get_paginated_response(LeadSerializer(page, many=True, context={"request": request}).data)
