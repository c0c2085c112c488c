"""Funnel API: leads (the funnel's record) with their transition/history actions, handoffs, definitions,
rules, stages. Views are thin: check input shape, call one selector or service, return output."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from accounts.scopes import token_scope
from config.schema import problems
from funnel import call_report_selectors, selectors
from funnel.api import serializers as s
from funnel.services import approvals, intake, transitions
from funnel.services.call_reports import call_report_log
from leads import selectors as lead_selectors
from leads import services as lead_services
from leads.api.serializers import (
    LeadCreateSerializer,
    LeadSerializer,
    LeadWriteSerializer,
    lead_row_representation,
)
from leads.exceptions import DuplicateLead
from leads.filters import LeadFilter


def _owner(owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationError({"owner": f"User {owner_id} does not exist or is inactive."})
    return owner


class LeadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Leads you may see. Stage and owner change only through POST /leads/{id}/transition/."""

    scope_resource = "leads"
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return lead_selectors.Lead.objects.none()
        return lead_selectors.lead_list(user=self.request.user)

    def list(self, request):
        leads = self.get_queryset()
        if LeadFilter.base_filters.keys() & request.query_params.keys():  # building the filter form costs ~1 ms
            leads = self.filter_queryset(leads)
        page = lead_selectors.lead_rows_named(self.paginate_queryset(lead_selectors.lead_rows(leads)))
        zone = timezone.get_current_timezone()
        return self.get_paginated_response([lead_row_representation(row, zone) for row in page])

    def get_object(self):
        return lead_selectors.lead_get(user=self.request.user, lead_id=self.kwargs["pk"])

    def _changeable(self, only: tuple[str, ...] = ()):
        return lead_selectors.lead_get_for_change(user=self.request.user, lead_id=self.kwargs["pk"], only=only)

    @extend_schema(request=LeadCreateSerializer, responses={201: LeadSerializer})
    @problems(409, 422)
    def create(self, request):
        data = LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        owner = _owner(fields.pop("owner", None))
        lead = intake.lead_create(actor=request.user, data=fields, owner=owner)
        lead = lead_selectors.lead_get(user=request.user, lead_id=lead.pk)
        return Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LeadWriteSerializer, responses=LeadSerializer)
    @problems(409)
    def partial_update(self, request, pk=None):
        data = LeadWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            lead_services.lead_update(lead=self._changeable(), fields=dict(data.validated_data))
        except DuplicateLead as exc:
            raise lead_selectors.duplicate_for(user=request.user, error=exc) from None
        return Response(LeadSerializer(self.get_object()).data)

    @extend_schema(
        request=s.TransitionRequestSerializer,
        responses={201: s.TransitionSerializer},
        summary="Move the lead to another stage (every handoff rule is checked; 422 lists each failed check)",
    )
    @action(detail=True, methods=["post"])
    @problems(409, 422)
    def transition(self, request, pk=None):
        data = s.TransitionRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = self._changeable(only=("id", "stage"))
        done = transitions.lead_transition(
            lead=lead,
            to_stage=data.validated_data["to_stage"],
            actor=request.user,
            reason=data.validated_data.get("reason", ""),
            expected_from=data.validated_data.get("from_stage", lead.stage),
        )
        return Response(s.TransitionSerializer(done).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=s.TransitionSerializer(many=True), summary="The lead's stage history, newest first")
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        lead = self.get_object()
        page = self.paginate_queryset(selectors.transition_list(user=request.user, lead_id=lead.pk))
        context = {"full_access": lead.full_access}
        return self.get_paginated_response(s.TransitionSerializer(page, many=True, context=context).data)

    @extend_schema(
        methods=["GET"], responses=s.CallReportSerializer(many=True), summary="The lead's call reports, newest first"
    )
    @extend_schema(
        methods=["POST"],
        request=s.CallReportWriteSerializer,
        responses={201: s.CallReportSerializer},
        summary="Log a call report (it also stops your handoff's first-touch clock)",
    )
    @action(detail=True, methods=["get", "post"], url_path="call-reports")
    @token_scope("call_reports")
    def call_reports(self, request, pk=None):
        if request.method == "GET":
            lead = self.get_object()
            page = self.paginate_queryset(call_report_selectors.call_report_list_of_lead(lead_id=lead.pk))
            return self.get_paginated_response(s.CallReportSerializer(page, many=True).data)
        data = s.CallReportWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_selectors.lead_get_in_full(user=request.user, lead_id=self.kwargs["pk"])
        report = call_report_log(author=request.user, lead=lead, **data.validated_data)
        report = call_report_selectors.call_report_list_of_lead(lead_id=lead.pk).get(pk=report.pk)
        return Response(s.CallReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ApprovalCreateSerializer,
        responses={201: s.ApprovalRequestSerializer(many=True)},
        summary="Ask the roles an escalation names to approve a move",
    )
    # Answers the list it made, unpaginated: without this the schema promised a page of results.
    @action(detail=True, methods=["post"], url_path="approval-requests", pagination_class=None)
    @token_scope("handoffs")
    def approval_requests(self, request, pk=None):
        data = s.ApprovalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = approvals.approval_request_create(
            lead=self._changeable(), to_stage=data.validated_data["to_stage"], actor=request.user
        )
        return Response(s.ApprovalRequestSerializer(made, many=True).data, status=status.HTTP_201_CREATED)
