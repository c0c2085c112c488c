from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from crm.models import Campaign
from leads.models import EDITABLE_FIELDS, SALES_ONLY_FIELDS, Lead
from leads.services import company_domain_normalize


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LeadSerializer(serializers.ModelSerializer):
    """A lead as read. `full_access` false means the reader sees its marketing data only (sales fields null)."""

    name = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True, help_text="The email as captured; empty when there is none.")
    owner = UserRefSerializer(read_only=True, allow_null=True)
    company = NamedRefSerializer(read_only=True, allow_null=True)
    team = NamedRefSerializer(read_only=True, allow_null=True)
    source_campaign = NamedRefSerializer(read_only=True, allow_null=True)
    full_access = serializers.BooleanField(read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "company",
            "company_name",
            "segment",
            "territory",
            "industry",
            "stage",
            "stage_entered_at",
            "owning_function",
            "owner",
            "team",
            "outcome_reason",
            "source_campaign",
            "expected_value",
            "gross_margin",
            "currency",
            "has_budget",
            "has_authority",
            "has_need",
            "has_timeline",
            "score",
            "full_access",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            name: {"allow_null": True, "help_text": "null for a reader who sees the lead's marketing data only."}
            for name in SALES_ONLY_FIELDS
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "full_access", True):
            for field in SALES_ONLY_FIELDS:
                data[field] = None
        return data


class LeadWriteSerializer(serializers.ModelSerializer):
    """Fields a client may set on create or change with PATCH; stage and owner change only by transition."""

    company_domain = serializers.CharField(
        required=False, allow_blank=True, help_text="The company's web domain; links or creates the company record."
    )
    source_campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Lead
        fields = [*EDITABLE_FIELDS, "company_domain"]
        extra_kwargs = {"email": {"validators": []}}

    def validate_company_domain(self, value: str) -> str:
        try:
            return company_domain_normalize(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["company_domain"]) from None

    def validate(self, attrs):
        forbidden = sorted({"stage", "owner", "team", "owning_function"} & set(self.initial_data))
        if forbidden:
            raise serializers.ValidationError(
                dict.fromkeys(forbidden, "Changed only through POST /api/v1/leads/{id}/transition/.")
            )
        return attrs


class LeadCreateSerializer(LeadWriteSerializer):
    owner = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="Initial owner's user id. Managers, revenue leaders, administrators and integrations may name "
        "anyone; others only themselves. Omitted: a person owns what they capture; an integration's capture is "
        "routed by the rules for moves into awareness, else goes to its source campaign's owner.",
    )

    class Meta(LeadWriteSerializer.Meta):
        fields = [*LeadWriteSerializer.Meta.fields, "owner"]

    def validate(self, attrs):
        forbidden = sorted({"stage", "team", "owning_function"} & set(self.initial_data))
        if forbidden:
            raise serializers.ValidationError(
                dict.fromkeys(forbidden, "A new lead starts at the first stage; move it with a transition.")
            )
        return attrs


def _when(value, zone):
    """DRF's DateTimeField output without building a field per value (it was most of the list's cost)."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _ref(row: dict, kind: str) -> dict | None:
    names = row[kind]
    return None if names is None else {"id": row[f"{kind}_id"], "name": names[0]}


def _money(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def lead_row_representation(row: dict, zone=None) -> dict:
    """LeadSerializer's output built from a lead_rows_named() row, field for field (a test holds them equal)."""
    zone = zone or timezone.get_current_timezone()
    owner = None
    if row["owner"] is not None:
        username, first, last = row["owner"]
        owner = {"id": row["owner_id"], "username": username, "name": f"{first} {last}".strip()}
    data = {name: row[name] for name in _PLAIN_FIELDS}
    data.update(
        name=f"{row['first_name']} {row['last_name']}".strip(),
        company=_ref(row, "company"),
        team=_ref(row, "team"),
        source_campaign=_ref(row, "source_campaign"),
        owner=owner,
        expected_value=_money(row["expected_value"]),
        gross_margin=_money(row["gross_margin"]),
        stage_entered_at=_when(row["stage_entered_at"], zone),
        created_at=_when(row["created_at"], zone),
        updated_at=_when(row["updated_at"], zone),
    )
    if not row["full_access"]:
        for field in SALES_ONLY_FIELDS:
            data[field] = None
    return {field: data[field] for field in LeadSerializer.Meta.fields}


_PLAIN_FIELDS = [
    name
    for name in LeadSerializer.Meta.fields
    if name not in {"name", "company", "team", "source_campaign", "owner", "expected_value", "gross_margin"}
    and not name.endswith("_at")
]
