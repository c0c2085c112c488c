import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from accounts.models import User
from config.filters import IdFilter
from config.pagination import MAX_ID
from funnel.models import Reassignment
from funnel.services.reassign import MAX_LEADS, MAX_REASON, leads_reassign
from leads.selectors import lead_list


class ReassignSerializer(serializers.Serializer):
    leads = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=MAX_LEADS,
        help_text="The leads to give; or name `from_owner` to give all of a person's leads.",
    )
    from_owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    to_owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    reason = serializers.CharField(max_length=MAX_REASON, help_text="Kept in each lead's history.")


class ReassignedSerializer(serializers.Serializer):
    leads = serializers.IntegerField(help_text="Leads that changed owner (already the new owner's: not counted).")
    handoffs = serializers.IntegerField(help_text="Pending handoffs that followed their lead to the new owner.")


class ReassignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reassignment
        fields = ["id", "lead", "from_owner", "to_owner", "actor", "reason", "occurred_at"]
        read_only_fields = fields


class ReassignmentFilter(django_filters.FilterSet):
    lead = IdFilter(field_name="lead_id", help_text="The lead's id.")

    class Meta:
        model = Reassignment
        fields = ["lead"]


class ReassignmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Leads given to another owner without a stage change: the history, and the one action."""

    scope_resource = "leads"
    serializer_class = ReassignmentSerializer
    filterset_class = ReassignmentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Reassignment.objects.none()
        return Reassignment.objects.filter(lead__in=lead_list(user=self.request.user).values("pk"))

    @extend_schema(request=ReassignSerializer, responses=ReassignedSerializer, summary="Give leads another owner")
    def create(self, request):
        data = ReassignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = leads_reassign(
            actor=request.user,
            to_owner=data.validated_data["to_owner"],
            reason=data.validated_data["reason"],
            lead_ids=data.validated_data.get("leads"),
            from_owner=data.validated_data.get("from_owner"),
        )
        return Response(ReassignedSerializer(done).data)
