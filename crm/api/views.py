from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.schema import problems
from crm import selectors
from crm.api import serializers as s
from crm.services import campaigns as services
from crm.services import collateral


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Marketing's programmes, with what they cost so far; both teams read every campaign."""

    scope_resource = "campaigns"
    serializer_class = s.CampaignSerializer
    filterset_fields = ["status", "channel", "owner"]

    def get_queryset(self):
        return selectors.campaign_list()

    def _answer(self, campaign, code=status.HTTP_200_OK) -> Response:
        return Response(s.CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data, status=code)

    @extend_schema(request=s.CampaignWriteSerializer, responses={201: s.CampaignSerializer})
    def create(self, request):
        data = s.CampaignWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(services.campaign_create(user=request.user, **data.validated_data), status.HTTP_201_CREATED)

    @extend_schema(request=s.CampaignWriteSerializer(partial=True), responses=s.CampaignSerializer)
    @problems(409)
    def partial_update(self, request, pk=None):
        data = s.CampaignWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        campaign_id = self.get_object().pk
        return self._answer(services.campaign_update(user=request.user, campaign_id=campaign_id, **data.validated_data))

    @extend_schema(methods=["get"], responses=s.SpendSerializer(many=True), summary="The campaign's spend entries")
    @extend_schema(methods=["post"], request=s.SpendWriteSerializer, responses={201: s.SpendSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def spend(self, request, pk=None):
        campaign = self.get_object()
        if request.method == "GET":
            return Response(s.SpendSerializer(selectors.campaign_spend_list(campaign=campaign), many=True).data)
        data = s.SpendWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        spend = services.campaign_spend_record(user=request.user, campaign_id=campaign.pk, **data.validated_data)
        return Response(s.SpendSerializer(spend).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses=s.PreviewSerializer(many=True), summary="Sales's preview decisions")
    @extend_schema(methods=["post"], request=s.PreviewWriteSerializer, responses={201: s.PreviewSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    @problems(409)
    def preview(self, request, pk=None):
        campaign = self.get_object()
        if request.method == "GET":
            return Response(s.PreviewSerializer(selectors.campaign_preview_list(campaign=campaign), many=True).data)
        data = s.PreviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = services.campaign_preview_decide(user=request.user, campaign_id=campaign.pk, **data.validated_data)
        return Response(s.PreviewSerializer(preview).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.CampaignSerializer, summary="Ask sales to preview the campaign")
    @action(detail=True, methods=["post"], url_path="submit-for-preview")
    @problems(409)
    def submit_for_preview(self, request, pk=None):
        return self._answer(services.campaign_submit_for_preview(user=request.user, campaign_id=self.get_object().pk))

    @extend_schema(request=None, responses=s.CampaignSerializer, summary="Start a campaign that needs no preview")
    @action(detail=True, methods=["post"])
    @problems(409)
    def activate(self, request, pk=None):
        return self._answer(services.campaign_activate(user=request.user, campaign_id=self.get_object().pk))

    @extend_schema(request=None, responses=s.CampaignSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def complete(self, request, pk=None):
        return self._answer(services.campaign_complete(user=request.user, campaign_id=self.get_object().pk))

    @extend_schema(request=None, responses=s.CampaignSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def cancel(self, request, pk=None):
        return self._answer(services.campaign_cancel(user=request.user, campaign_id=self.get_object().pk))


class SpendViewSet(mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A spend line can be removed (a correction is a removal and a new line); lines are never edited."""

    scope_resource = "campaigns"
    serializer_class = s.SpendSerializer

    def get_queryset(self):
        return selectors.campaign_spend_all()

    def perform_destroy(self, instance):
        services.campaign_spend_delete(user=self.request.user, spend_id=instance.pk)


class CollateralViewSet(viewsets.ReadOnlyModelViewSet):
    """Marketing's assets for sales; `released` is the version sales may send to buyers."""

    scope_resource = "campaigns"
    serializer_class = s.CollateralSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        return selectors.collateral_list()

    @extend_schema(request=s.CollateralCreateSerializer, responses={201: s.CollateralVersionSerializer})
    def create(self, request):
        data = s.CollateralCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = collateral.collateral_create(user=request.user, **data.validated_data)
        return Response(s.CollateralVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CollateralVersionWriteSerializer, responses={201: s.CollateralVersionSerializer})
    @action(detail=True, methods=["post"])
    def versions(self, request, pk=None):
        """A new version: it goes to sales review; the released one stays in use until this one is released."""
        data = s.CollateralVersionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = collateral.collateral_version_submit(
            user=request.user, collateral_id=self.get_object().pk, **data.validated_data
        )
        return Response(s.CollateralVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class CollateralVersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Every version of every asset; `?status=in_review` is sales's review queue."""

    scope_resource = "campaigns"
    serializer_class = s.CollateralVersionSerializer
    filterset_fields = ["status", "collateral"]

    def get_queryset(self):
        return selectors.collateral_version_list()

    @extend_schema(request=s.PreviewWriteSerializer, responses=s.CollateralVersionSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def review(self, request, pk=None):
        data = s.PreviewWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = collateral.collateral_version_review(
            user=request.user, version_id=self.get_object().pk, **data.validated_data
        )
        return Response(s.CollateralVersionSerializer(version).data)

    @extend_schema(request=None, responses=s.CollateralVersionSerializer)
    @action(detail=True, methods=["post"])
    @problems(409)
    def release(self, request, pk=None):
        version = collateral.collateral_version_release(user=request.user, version_id=self.get_object().pk)
        return Response(s.CollateralVersionSerializer(version).data)
