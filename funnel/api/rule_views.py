from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from funnel import selectors
from funnel.api import serializers as s
from funnel.services import rules
from funnel.simulation.shadow import shadow_rate


class HandoffRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Rules of engagement. Everyone reads them; managers, revenue leaders and administrators change them.
    A malformed part is refused with 400 naming where it is."""

    scope_resource = "definitions"
    serializer_class = s.HandoffRuleSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.handoff_rule_list()

    def create(self, request):
        data = s.HandoffRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = rules.handoff_rule_save(actor=request.user, data=data.validated_data)
        return Response(s.HandoffRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        rule = self.get_object()
        data = s.HandoffRuleSerializer(rule, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = rules.handoff_rule_save(actor=request.user, rule=rule, data=data.validated_data)
        return Response(s.HandoffRuleSerializer(rule).data)

    @extend_schema(request=s.RuleStateSerializer, responses={201: s.RuleStateChangeSerializer})
    @action(detail=True, methods=["post"])
    def state(self, request, pk=None):
        """Moves the rule to draft, shadow, enforced or retired; records who, when and the simulation seen."""
        data = s.RuleStateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = rules.handoff_rule_state_set(
            actor=request.user,
            rule_id=self.get_object().pk,
            to_state=data.validated_data["state"],
            simulation_id=data.validated_data.get("simulation"),
            note=data.validated_data.get("note", ""),
        )
        return Response(s.RuleStateChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def shadow(self, request, pk=None):
        """Since the rule entered shadow: moves evaluated, how many it would have refused, on which checks."""
        return Response(shadow_rate(rule=self.get_object()))


class StageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The funnel's stages with their owning function and the stages each may move to."""

    scope_resource = "definitions"
    serializer_class = s.StageSerializer
    pagination_class = None
    lookup_value_regex = "[a-z]+"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.stage_list()

    @extend_schema(request=s.StageSerializer, responses=s.StageSerializer, summary="Change a stage's owner (admin)")
    def partial_update(self, request, pk=None):
        data = s.StageSerializer(self.get_object(), data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        stage = rules.stage_owner_set(
            actor=request.user, stage_key=pk, owning_function=data.validated_data.get("owning_function", "")
        )
        return Response(s.StageSerializer(stage).data)
