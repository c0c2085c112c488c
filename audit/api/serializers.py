from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from accounts.models import ApiToken
from audit.models import AuditEntry
from audit.selectors import entry_changes


class TokenRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix"]
        read_only_fields = fields


class ObjectRefSerializer(serializers.Serializer):
    type = serializers.CharField(source="object_type", help_text="lead, definition, handoff_rule, api_token…")
    id = serializers.IntegerField(source="object_id")
    label = serializers.CharField(source="object_label", help_text="How the object read at the time.")


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True, help_text="null for a value the object was created with.")
    new = serializers.JSONField(allow_null=True, help_text="null for a value the object was deleted with.")


class AuditEntrySerializer(serializers.ModelSerializer):
    object = ObjectRefSerializer(source="*", read_only=True)
    actor = UserRefSerializer(read_only=True, allow_null=True, help_text="Who: the signed-in or token's user.")
    token = TokenRefSerializer(read_only=True, allow_null=True, help_text="The API token used, if one was.")
    changes = serializers.SerializerMethodField(help_text="Each changed field with its old and new value.")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "action", "object", "actor", "token", "job", "url", "context_id", "changes"]
        read_only_fields = fields

    @extend_schema_field(FieldChangeSerializer(many=True))
    def get_changes(self, entry: AuditEntry) -> list[dict]:
        return [FieldChangeSerializer(change).data for change in entry_changes(entry)]
