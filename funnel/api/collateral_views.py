import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from config.filters import IdFilter
from config.pagination import MAX_ID
from config.schema import problems
from crm.models import CollateralUse
from funnel.services.collateral import collateral_use_record
from leads.selectors import lead_list


class CollateralUseFilter(django_filters.FilterSet):
    lead = IdFilter(field_name="lead_id", help_text="The lead's id.")

    class Meta:
        model = CollateralUse
        fields = ["lead"]


class CollateralUseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollateralUse
        fields = ["id", "version", "lead", "stage", "used_by", "used_at"]
        read_only_fields = fields


class CollateralUseWriteSerializer(serializers.Serializer):
    # Plain ids: a lead the caller cannot see must answer exactly like one that does not exist (404).
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A released collateral version.")
    lead = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class CollateralUseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Which released collateral went to which lead at which stage; a handoff rule may require it."""

    scope_resource = "campaigns"
    serializer_class = CollateralUseSerializer
    filterset_class = CollateralUseFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CollateralUse.objects.none()
        return CollateralUse.objects.filter(lead__in=lead_list(user=self.request.user).values("pk"))

    @extend_schema(request=CollateralUseWriteSerializer, responses={201: CollateralUseSerializer})
    @problems(404, 409)
    def create(self, request):
        data = CollateralUseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        use = collateral_use_record(
            user=request.user, version_id=data.validated_data["version"], lead_id=data.validated_data["lead"]
        )
        return Response(CollateralUseSerializer(use).data, status=status.HTTP_201_CREATED)
