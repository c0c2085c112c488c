from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from accounts.models import User
from crm.choices import Channel, CollateralKind, PreviewDecision, Segment, Stage
from crm.models import Campaign, CampaignPreview, CampaignSpend, Collateral, CollateralVersion
from crm.models.campaigns import MAX_AMOUNT

AMOUNT = {"max_digits": 14, "decimal_places": 2, "max_value": MAX_AMOUNT}


class CampaignSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True, allow_null=True)
    spent = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text="The sum of the spend entries."
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "channel",
            "segments",
            "status",
            "owner",
            "starts_on",
            "ends_on",
            "budget",
            "spent",
            "currency",
            "requires_sales_preview",
            "description",
            "created_at",
        ]
        read_only_fields = fields


class CampaignWriteSerializer(serializers.Serializer):
    """Shape only; crm.services.campaigns checks what the values mean together (dates, owner, currency)."""

    name = serializers.CharField(max_length=200)
    channel = serializers.ChoiceField(choices=Channel.choices)
    segments = serializers.ListField(
        child=serializers.ChoiceField(choices=Segment.choices), max_length=len(Segment.values), required=False
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)
    budget = serializers.DecimalField(**AMOUNT, min_value=0, required=False, allow_null=True)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="ISO 4217 code, e.g. EUR.")
    requires_sales_preview = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class SpendSerializer(serializers.ModelSerializer):
    recorded_by = UserRefSerializer(read_only=True)

    class Meta:
        model = CampaignSpend
        fields = ["id", "spent_on", "amount", "currency", "note", "recorded_by", "recorded_at"]
        read_only_fields = fields


class SpendWriteSerializer(serializers.Serializer):
    spent_on = serializers.DateField()
    amount = serializers.DecimalField(**AMOUNT, help_text="More than 0, in the campaign's currency.")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text="Defaults to the campaign's.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class PreviewSerializer(serializers.ModelSerializer):
    reviewer = UserRefSerializer(read_only=True)

    class Meta:
        model = CampaignPreview
        fields = ["id", "decision", "comments", "reviewer", "decided_at"]
        read_only_fields = fields


class PreviewWriteSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=PreviewDecision.choices)
    comments = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Required when asking for changes."
    )


class CollateralVersionSerializer(serializers.ModelSerializer):
    submitted_by = UserRefSerializer(read_only=True)
    reviewer = UserRefSerializer(read_only=True, allow_null=True)
    title = serializers.CharField(source="collateral.title", read_only=True)

    class Meta:
        model = CollateralVersion
        fields = [
            "id",
            "collateral",
            "title",
            "number",
            "link",
            "notes",
            "status",
            "submitted_by",
            "submitted_at",
            "reviewer",
            "reviewed_at",
            "review_comments",
            "released_at",
        ]
        read_only_fields = fields


class CollateralSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    released = serializers.SerializerMethodField(help_text="The version sales may use now, if any.")

    class Meta:
        model = Collateral
        fields = ["id", "title", "kind", "stages", "segments", "owner", "created_at", "released"]
        read_only_fields = fields

    def get_released(self, collateral) -> int | None:
        return getattr(collateral, "released_version", None)


class CollateralCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=CollateralKind.choices)
    stages = serializers.ListField(child=serializers.ChoiceField(choices=Stage.choices), required=False, max_length=8)
    segments = serializers.ListField(
        child=serializers.ChoiceField(choices=Segment.choices), required=False, max_length=3
    )
    link = serializers.URLField(max_length=500)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CollateralVersionWriteSerializer(serializers.Serializer):
    link = serializers.URLField(max_length=500)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
