"""The managed taxonomies over the API: terms as clients read them, a suggestion, a merge, and the field call
report payloads use to name terms (a slug or an id)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from config.pagination import MAX_ID
from crm.choices import TagKind, TagStatus
from crm.models import Tag
from crm.services.taxonomy import MAX_SYNONYMS


class TagSerializer(serializers.ModelSerializer):
    suggested_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Tag
        fields = ["id", "kind", "slug", "label", "synonyms", "status", "suggested_by", "decided_at", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "accepted terms count in the insight digest; suggested ones once accepted."}
        }


class TagRefSerializer(serializers.ModelSerializer):
    """A term as a call report shows it."""

    class Meta:
        model = Tag
        fields = ["id", "slug", "label", "status"]
        read_only_fields = fields


class TagSuggestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TagKind.choices)
    label = serializers.CharField(max_length=100, help_text="The term as people say it, e.g. 'Salesforce'.")
    synonyms = serializers.ListField(
        child=serializers.CharField(max_length=100),
        max_length=MAX_SYNONYMS,
        required=False,
        help_text="Other wordings autocomplete should find it under.",
    )


class TagMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The accepted term of the same kind the suggestion becomes."
    )


class TagSearchSerializer(serializers.Serializer):
    """The list's query parameters."""

    kind = serializers.ChoiceField(choices=TagKind.choices, required=False, help_text="One taxonomy.")
    q = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Part of a label, slug or synonym (any case)."
    )
    status = serializers.ChoiceField(
        choices=TagStatus.choices,
        required=False,
        help_text="Curators: terms in this status, anyone's. Others see accepted terms and their own suggestions.",
    )


@extend_schema_field(OpenApiTypes.STR)
class TagValueField(serializers.Field):
    """A term named by its slug (e.g. price_value) or its id (a number)."""

    default_error_messages = {"invalid": "Name a term by its slug (text) or its id (a whole number)."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if not 1 <= data <= MAX_ID:
                self.fail("invalid")
            return data
        if not isinstance(data, str) or not data.strip() or len(data) > 60 or "\x00" in data:
            self.fail("invalid")
        return data.strip()

    def to_representation(self, value):
        return value
