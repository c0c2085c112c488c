from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.scopes import token_scope
from config.schema import problems
from funnel import selectors
from funnel.api import serializers as s
from funnel.services import definitions
from leads.selectors import lead_get


class LeadDefinitionViewSet(viewsets.ReadOnlyModelViewSet):
    """The shared language: MQL, SAL, SQL and their signed-off criteria."""

    scope_resource = "definitions"
    serializer_class = s.LeadDefinitionSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.definition_list()

    @extend_schema(request=s.ProposeSerializer, responses={201: s.DefinitionVersionSerializer})
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        data = s.ProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = definitions.definition_version_propose(
            definition=self.get_object(),
            criteria=data.validated_data["criteria"],
            note=data.validated_data.get("note", ""),
            proposed_by=request.user,
        )
        return Response(s.DefinitionVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EvaluateSerializer, responses=dict, summary="Which criteria a lead passes and fails")
    @action(detail=True, methods=["post"])
    @token_scope("leads", reads=True)  # it writes nothing and answers with the lead's data: reading leads
    def evaluate(self, request, pk=None):
        data = s.EvaluateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        definition = self.get_object()
        lead = lead_get(user=request.user, lead_id=data.validated_data["lead"])
        versions = selectors.definition_version_list().filter(definition=definition)
        if "version" in data.validated_data:
            version = versions.filter(pk=data.validated_data["version"]).first()
        else:
            version = selectors.definition_version_for_evaluation(definition=definition)
        if version is None:
            raise NotFound(f"{definition.code} has no such version to evaluate against.")
        return Response(definitions.definition_evaluate(version=version, lead=lead, full_access=lead.full_access))


class DefinitionVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Every version of every definition, old ones included; sign off or withdraw a proposal."""

    scope_resource = "definitions"
    serializer_class = s.DefinitionVersionSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return selectors.definition_version_list()

    @extend_schema(request=s.SignOffSerializer, responses=s.DefinitionVersionSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    @problems(409)
    def sign_off(self, request, pk=None):
        data = s.SignOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = definitions.definition_version_sign_off(
            version_id=self.get_object().pk,
            user=request.user,
            side=data.validated_data.get("side"),
            simulation_id=data.validated_data.get("simulation"),
        )
        return Response(s.DefinitionVersionSerializer(version).data)

    @extend_schema(request=None, responses=s.DefinitionVersionSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def withdraw(self, request, pk=None):
        version = definitions.definition_version_withdraw(version_id=self.get_object().pk, user=request.user)
        return Response(s.DefinitionVersionSerializer(version).data)
