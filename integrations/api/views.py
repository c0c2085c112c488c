from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import ApiToken
from config.schema import problems
from integrations.api import serializers as s
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhooks import delivery, subscriptions


class ManagesWebhooks(permissions.BasePermission):
    """Administrators (session or token), or a token with `webhooks:manage` for its own subscriptions."""

    message = "Webhooks are managed by administrators, or by a token with the 'webhooks:manage' scope."

    def has_permission(self, request, view):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None:
            return "webhooks:manage" in token.scopes or request.user.is_administrator
        return request.user.is_authenticated and request.user.is_administrator


def _subscriptions_for(request):
    rows = WebhookSubscription.objects.select_related("token")
    if request.user.is_administrator:
        return rows
    return rows.filter(token=request.auth)


class SubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """Who hears about what: each subscription's address, event types, token and health."""

    serializer_class = s.SubscriptionSerializer
    permission_classes = [permissions.IsAuthenticated, ManagesWebhooks]
    scope_resource = "webhooks"
    filterset_fields = ["is_active"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return _subscriptions_for(self.request)

    def _token(self, data) -> ApiToken:
        if isinstance(self.request.auth, ApiToken):
            return self.request.auth
        if "token" not in data:
            raise ValidationError({"token": ["Name the integration token whose scopes limit the payloads."]})
        return data["token"]

    @extend_schema(request=s.SubscriptionWriteSerializer, responses={201: s.SubscriptionCreatedSerializer})
    @problems(400, 403)
    def create(self, request):
        data = s.SubscriptionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        subscription, secret = subscriptions.webhook_subscription_create(
            owner=request.user,
            token=self._token(fields),
            url=fields["url"],
            event_types=fields["event_types"],
            description=fields.get("description", ""),
        )
        subscription.secret = secret
        return Response(s.SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SubscriptionWriteSerializer(partial=True), responses=s.SubscriptionSerializer)
    @problems(400, 403)
    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = s.SubscriptionWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {k: v for k, v in data.validated_data.items() if k != "token"}
        subscription = subscriptions.webhook_subscription_update(subscription=subscription, **changes)
        return Response(s.SubscriptionSerializer(subscription).data)

    def perform_destroy(self, instance):
        subscriptions.webhook_subscription_delete(subscription=instance)

    @extend_schema(request=s.RotateSerializer, responses=s.SecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        data = s.RotateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        secret = subscriptions.webhook_secret_rotate(subscription=self.get_object(), **data.validated_data)
        return Response({"secret": secret})


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log: every event sent to a subscription, each try with its answer; redeliver by hand."""

    serializer_class = s.DeliverySerializer
    permission_classes = [permissions.IsAuthenticated, ManagesWebhooks]
    scope_resource = "webhooks"
    filterset_fields = ["subscription", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        return (
            WebhookDelivery.objects.filter(subscription__in=_subscriptions_for(self.request))
            .select_related("event")
            .prefetch_related(Prefetch("log", queryset=WebhookAttempt.objects.order_by("-attempted_at", "-id")))
        )

    @extend_schema(request=None, responses=s.DeliverySerializer)
    @problems(409)
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        redone = delivery.webhook_delivery_redeliver(delivery=self.get_object())
        return Response(s.DeliverySerializer(self.get_queryset().get(pk=redone.pk)).data)
