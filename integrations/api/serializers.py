from rest_framework import serializers

from accounts.models import ApiToken
from integrations.choices import EventType
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


class SubscriptionSerializer(serializers.ModelSerializer):
    token_name = serializers.CharField(source="token.name", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "event_types",
            "description",
            "is_active",
            "owner",
            "token",
            "token_name",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
        ]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret: shown this once.")

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionWriteSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, help_text="http(s) address that receives the POSTs.")
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, max_length=len(EventType.choices)
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, help_text="Enable again after it was disabled.")
    token = serializers.PrimaryKeyRelatedField(
        queryset=ApiToken.objects.all(),
        required=False,
        help_text="Whose scopes limit the payloads. A token creating the subscription is used itself.",
    )


class RotateSerializer(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0, max_value=24 * 14, default=24, help_text="How long the current secrets keep signing too."
    )


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret: shown this once.")


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "error", "duration_ms", "response_excerpt"]


class DeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.type", read_only=True)
    message_id = serializers.CharField(source="event.message_id", read_only=True)
    log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "subscription",
            "event_type",
            "message_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
            "log",
        ]
