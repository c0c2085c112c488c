"""Bare DRF endpoints measuring what the framework costs before any product code: the ceiling the product's
list is compared with. Same authentication and permissions as the product API; no pagination, no filters."""

from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.models import Lead

BARE_FIELDS = ["id", "first_name", "last_name", "email", "stage", "score", "created_at"]


class HelloView(APIView):
    scope_resource = "users"  # any resource: a token with every scope is what the bench sends

    def get(self, request):
        return Response({"hello": "world"})


class BareLeadSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lead
        fields = BARE_FIELDS


class BareLeadListView(ListAPIView):
    """The newest 50 leads, a few columns, no joins: ORDER BY id DESC LIMIT 50 over the same table."""

    serializer_class = BareLeadSerializer
    scope_resource = "leads"
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        return Lead.objects.only(*BARE_FIELDS).order_by("-id")[:50]


class BareTransitionView(APIView):
    """The writes of a move without its rules: lock the lead, write its stage, the history row, the stage spans
    and the outbox message — what `lead_transition` writes when no rule applies, routing keeps the owner and no
    handoff opens. The transition benchmark's floor (issue 12: the product's moves at least half as many a second)."""

    scope_resource = "leads"

    def post(self, request, pk: int):
        from django.db import transaction
        from django.utils import timezone

        from funnel.metrics.spans import span_advance
        from funnel.models import Transition
        from integrations.outbox import outbox_emit

        to_stage = request.data.get("to_stage", "")
        with transaction.atomic():
            lead = Lead.objects.select_for_update(of=("self",)).get(pk=pk)
            now = timezone.now()
            transition = Transition.objects.create(
                lead=lead, from_stage=lead.stage, to_stage=to_stage, actor=request.user, occurred_at=now,
                from_owner_id=lead.owner_id, to_owner_id=lead.owner_id,
            )  # fmt: skip
            Lead.objects.filter(pk=pk).update(stage=to_stage, stage_entered_at=now, updated_at=now)
            span_advance(transition=transition, team_id=lead.team_id)
            outbox_emit(task="funnel.tasks.transition_notify", transition_id=transition.pk)
        return Response({"id": transition.pk, "to_stage": to_stage}, status=201)
