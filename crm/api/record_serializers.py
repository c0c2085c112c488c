"""Companies and contacts over the API: shape only. crm.services.records normalises the domain and e-mail,
refuses duplicates (naming the record that has them) and checks the key-account flag against its tier."""

from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from accounts.models import User
from config.pagination import MAX_ID
from crm.choices import BuyingRole, KeyAccountTier, Segment, SizeBand
from crm.models import Company, Contact, RecordMerge

MAX_EMPLOYEES = 10_000_000


class CompanySerializer(serializers.ModelSerializer):
    # Declared, not derived: a derived read-only choice field loses allow_blank, and the schema would then
    # promise a value where the record has none.
    segment = serializers.ChoiceField(choices=Segment.choices, allow_blank=True, read_only=True)
    size_band = serializers.ChoiceField(choices=SizeBand.choices, allow_blank=True, read_only=True)
    key_account_tier = serializers.ChoiceField(choices=KeyAccountTier.choices, allow_null=True, read_only=True)
    employees = serializers.IntegerField(allow_null=True, read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "domain",
            "industry",
            "segment",
            "territory",
            "employees",
            "size_band",
            "is_key_account",
            "key_account_tier",
            "owner",
            "created_at",
        ]
        read_only_fields = fields


class CompanyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="The web domain in any spelling (https://www.Acme.com/about); stored normalised (acme.com).",
    )
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True)
    segment = serializers.ChoiceField(choices=Segment.choices, required=False, allow_blank=True)
    territory = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="e.g. EMEA.")
    employees = serializers.IntegerField(min_value=0, max_value=MAX_EMPLOYEES, required=False, allow_null=True)
    size_band = serializers.ChoiceField(choices=SizeBand.choices, required=False, allow_blank=True)
    is_key_account = serializers.BooleanField(
        required=False, help_text="Managers, revenue leaders and administrators set it, with its tier."
    )
    key_account_tier = serializers.ChoiceField(
        choices=KeyAccountTier.choices, required=False, allow_null=True, help_text="1 is the top tier."
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="The account's owner (managers, revenue leaders and administrators name one).",
    )


class ContactSerializer(serializers.ModelSerializer):
    company = serializers.IntegerField(
        source="company_id", allow_null=True, read_only=True, help_text="The company's id."
    )
    buying_role = serializers.ChoiceField(
        choices=BuyingRole.choices, allow_blank=True, read_only=True, help_text="Their part in the buying decision."
    )
    company_name = serializers.CharField(source="company.name", read_only=True, allow_null=True, default=None)
    email = serializers.CharField(read_only=True, help_text="Lower-cased; blank when not known.")

    class Meta:
        model = Contact
        fields = [
            "id",
            "company",
            "company_name",
            "first_name",
            "last_name",
            "email",
            "phone",
            "title",
            "buying_role",
        ]
        read_only_fields = fields


class ContactWriteSerializer(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(
        queryset=Company.objects.all(), required=False, allow_null=True, help_text="The company's id."
    )
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, help_text="Stored lower-cased; one contact per address."
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True)
    buying_role = serializers.ChoiceField(
        choices=BuyingRole.choices, required=False, allow_blank=True, help_text="Their part in the buying decision."
    )


class MergeRequestSerializer(serializers.Serializer):
    duplicate = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The id of the record to fold into this one; it is deleted."
    )


class RecordMergeSerializer(serializers.ModelSerializer):
    merged_by = UserRefSerializer(read_only=True)

    class Meta:
        model = RecordMerge
        fields = ["id", "kind", "kept_id", "removed_id", "removed", "moved", "merged_by", "merged_at"]
        read_only_fields = fields


class CompanyQuerySerializer(serializers.Serializer):
    """The list's filters."""

    q = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="Name or domain contains.")
    segment = serializers.ChoiceField(choices=Segment.choices, required=False)
    territory = serializers.CharField(max_length=50, required=False, allow_blank=True)
    is_key_account = serializers.BooleanField(required=False, allow_null=True, default=None)
    tier = serializers.ChoiceField(choices=KeyAccountTier.choices, required=False)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="The owner's id.")


class ContactQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Name, e-mail or title contains."
    )
    company = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="The company's id.")
    buying_role = serializers.ChoiceField(choices=BuyingRole.choices, required=False)
