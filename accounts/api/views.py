from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    TeamSerializer,
    UserSerializer,
)
from accounts.models import ApiToken, Notification


class MeView(APIView):
    scope_resource = "users"

    @extend_schema(responses=UserSerializer, summary="The authenticated user")
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """Everyone who works in the CRM, with role, team and manager: the base of the "who to call" directory."""

    serializer_class = UserSerializer
    filterset_fields = ["role", "team"]
    scope_resource = "users"

    def get_queryset(self):
        return selectors.user_list()


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeamSerializer
    filterset_fields = ["function"]
    scope_resource = "users"

    def get_queryset(self):
        return selectors.team_list()


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """API tokens: administrators issue them to integration users and see and revoke every one; a token's holder
    sees and revokes its own. The secret is in the answer to the creation only."""

    serializer_class = ApiTokenSerializer
    scope_resource = "tokens"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiToken.objects.none()
        return selectors.api_token_list(user=self.request.user)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request):
        if isinstance(request.auth, ApiToken):
            # A leaked token must not be able to mint a successor that outlives its revocation.
            raise PermissionDenied("A token cannot create tokens: an administrator issues them, logged in.")
        if not request.user.is_administrator:
            raise PermissionDenied("Only administrators issue API tokens.")
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = selectors.user_list().filter(pk=data.validated_data.pop("user")).first()
        if user is None:
            raise ValidationError({"user": ["No active user has this id."]})
        token, plaintext = services.api_token_issue(actor=request.user, user=user, **data.validated_data)
        token.token = plaintext
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = services.api_token_revoke(token=self.get_object())
        return Response(ApiTokenSerializer(token).data)


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Your notifications, newest first: handoffs to answer, SLA breaches on your teams, approvals to give."""

    serializer_class = NotificationSerializer
    scope_resource = "notifications"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread = self.request.query_params.get("unread") in {"1", "true"}
        return selectors.notification_list(user=self.request.user, unread_only=unread)

    @extend_schema(request=MarkReadSerializer, responses={200: dict})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = services.notifications_mark_read(user=request.user, ids=data.validated_data.get("ids"))
        return Response({"marked_read": count})
