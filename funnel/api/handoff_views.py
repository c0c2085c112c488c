from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.schema import problems
from funnel import selectors
from funnel.api import serializers as s
from funnel.models import ApprovalRequest, Handoff, RejectionReason
from funnel.services import approvals, handoffs


class HandoffViewSet(viewsets.ReadOnlyModelViewSet):
    """Handoffs of leads you see and those handed to you; the receiving side accepts or rejects each."""

    scope_resource = "handoffs"
    serializer_class = s.HandoffSerializer
    filterset_fields = ["status", "to_owner", "to_function", "lead"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Handoff.objects.none()
        return selectors.handoff_list(user=self.request.user)

    @extend_schema(request=None, responses=s.HandoffSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def accept(self, request, pk=None):
        handoff = handoffs.handoff_accept(handoff_id=self.get_object().pk, actor=request.user)
        return Response(s.HandoffSerializer(handoff).data)

    @extend_schema(
        request=s.HandoffRejectSerializer,
        responses=s.HandoffSerializer,
        summary="Reject with a reason code; the lead goes to nurture with the reason",
    )
    @action(detail=True, methods=["post"])
    @problems(409, 422)
    def reject(self, request, pk=None):
        data = s.HandoffRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handoff = handoffs.handoff_reject(handoff_id=self.get_object().pk, actor=request.user, **data.validated_data)
        return Response(s.HandoffSerializer(handoff).data)


class RejectionReasonViewSet(viewsets.ReadOnlyModelViewSet):
    scope_resource = "handoffs"
    serializer_class = s.RejectionReasonSerializer
    lookup_value_regex = "[a-z0-9_-]+"  # keyed by its code
    queryset = RejectionReason.objects.filter(is_active=True)
    pagination_class = None


class ApprovalRequestViewSet(viewsets.ReadOnlyModelViewSet):
    """Approvals escalation rules demand; a user holding the named role approves or declines."""

    scope_resource = "handoffs"
    serializer_class = s.ApprovalRequestSerializer
    filterset_fields = ["status", "lead", "role"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApprovalRequest.objects.none()
        return selectors.approval_request_list(user=self.request.user)

    def _decide(self, request, approve: bool):
        data = s.DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = approvals.approval_decide(
            request_id=self.get_object().pk,
            actor=request.user,
            approve=approve,
            note=data.validated_data.get("note", ""),
        )
        return Response(s.ApprovalRequestSerializer(decided).data)

    @extend_schema(request=s.DecisionSerializer, responses=s.ApprovalRequestSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def approve(self, request, pk=None):
        return self._decide(request, approve=True)

    @extend_schema(request=s.DecisionSerializer, responses=s.ApprovalRequestSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def decline(self, request, pk=None):
        return self._decide(request, approve=False)
