from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken, Notification, Team, User
from accounts.scopes import SCOPE_CHOICES, SCOPES
from config.fields import UtcDateTimeField


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "09:00:00"})
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in the team's own time zone, so it has no UTC offset (not an RFC 3339 "time")."""


class TeamSerializer(serializers.ModelSerializer):
    work_starts = LocalTimeField(help_text="Start of the working day, in the team's time zone.")
    work_ends = LocalTimeField(help_text="End of the working day, in the team's time zone.")

    class Meta:
        model = Team
        fields = ["id", "name", "function", "parent", "manager", "time_zone", "work_days", "work_starts", "work_ends"]


class UserSerializer(serializers.ModelSerializer):
    function = serializers.CharField(read_only=True, allow_null=True, help_text="The function of the user's team.")

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "role", "team", "manager", "function", "title"]


class ApiTokenSerializer(serializers.ModelSerializer):
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "user",
            "prefix",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_used_ip",
            "revoked_at",
        ]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="What the token is for.")
    user = serializers.IntegerField(min_value=1, help_text="The id of the active integration user it is for.")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(
            choices=SCOPE_CHOICES, error_messages={"invalid_choice": "Unknown scope '{input}'."}
        ),
        min_length=1,
        max_length=len(SCOPES),
        help_text="Scopes, each `<resource>:<access>`: " + ", ".join(SCOPES) + ".",
    )
    expires_at = UtcDateTimeField(required=False, allow_null=True, help_text="Optional expiry, in the future.")


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret: shown once, store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "url", "subject_type", "subject_id", "created_at", "read_at"]
        read_only_fields = fields


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Which to mark read; all unread if omitted."
    )
