from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserRefSerializer
from config.pagination import MAX_ID
from crm.api.taxonomy_serializers import TagRefSerializer, TagValueField
from crm.choices import InteractionChannel, InterestLevel, Sentiment, TagKind
from crm.models import CallReport, Contact
from crm.services.taxonomy import MAX_TAGS_PER_KIND
from funnel import selectors
from funnel.models import (
    ApprovalRequest,
    Handoff,
    HandoffRule,
    LeadDefinition,
    LeadDefinitionVersion,
    RejectionReason,
    RuleStateChange,
    SlaBreach,
    Stage,
    StageMove,
    Transition,
)
from funnel.services.call_reports import MAX_PEOPLE
from funnel.simulation.choices import RuleState
from leads.choices import SignOffSide
from leads.choices import Stage as StageKey


def _limit(model, field: str) -> int:
    """A free-text field's limit, read from the model that the database constraint also holds."""
    return model._meta.get_field(field).max_length


class StageSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_key_display", read_only=True)
    moves_to = serializers.SerializerMethodField(help_text="Stages a lead here may move to.")

    class Meta:
        model = Stage
        fields = ["key", "label", "position", "owning_function", "is_outcome", "moves_to"]
        read_only_fields = ["key", "label", "position", "is_outcome", "moves_to"]

    def get_moves_to(self, stage) -> list[str]:
        return [move.to_stage_id for move in stage.moves_out.all()]


class StageMoveSerializer(serializers.ModelSerializer):
    class Meta:
        model = StageMove
        fields = ["from_stage", "to_stage"]


class TransitionRequestSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=StageKey.choices, help_text="The stage to move the lead to.")
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Why; required for lost and nurture."
    )
    from_stage = serializers.ChoiceField(
        choices=StageKey.choices,
        required=False,
        help_text="The stage you saw; if the lead has moved since, the request fails with 409.",
    )


class TransitionSerializer(serializers.ModelSerializer):
    """A history row. With context `full_access` False (a marketing-only viewer), rule-check reasons that
    show sales-only values are hidden."""

    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    from_owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    to_owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Transition
        fields = [
            "id",
            "lead",
            "from_stage",
            "to_stage",
            "actor",
            "occurred_at",
            "reason",
            "from_owner",
            "to_owner",
            "rule_results",
            "definition_versions",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        full_access = self.context.get("full_access", True)
        data["rule_results"] = selectors.rule_results_for(data["rule_results"], full_access=full_access)
        return data


class HandoffSerializer(serializers.ModelSerializer):
    to_owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    from_owner = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    lead_name = serializers.CharField(source="lead.name", read_only=True)
    breaches = serializers.SlugRelatedField(slug_field="kind", many=True, read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "lead",
            "lead_name",
            "transition",
            "from_function",
            "to_function",
            "from_owner",
            "to_owner",
            "to_team",
            "status",
            "created_at",
            "accept_due_at",
            "first_touch_due_at",
            "first_touched_at",
            "decided_at",
            "decided_by",
            "reject_reason",
            "reject_note",
            "breaches",
        ]
        read_only_fields = fields


class HandoffRejectSerializer(serializers.Serializer):
    reason_code = serializers.CharField(help_text="A code from /api/v1/rejection-reasons/.")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=_limit(Handoff, "reject_note"), help_text="Required for 'other'."
    )


class RejectionReasonSerializer(serializers.ModelSerializer):
    class Meta:
        model = RejectionReason
        fields = ["code", "label", "procedural", "note_required", "is_active"]


class DefinitionVersionSerializer(serializers.ModelSerializer):
    definition = serializers.SlugRelatedField(slug_field="code", read_only=True)
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    marketing_approver = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    sales_approver = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = LeadDefinitionVersion
        fields = [
            "id",
            "definition",
            "number",
            "criteria",
            "note",
            "status",
            "proposed_by",
            "proposed_at",
            "marketing_approver",
            "marketing_signed_at",
            "sales_approver",
            "sales_signed_at",
            "marketing_simulation",
            "sales_simulation",
            "activated_at",
        ]
        read_only_fields = fields


class LeadDefinitionSerializer(serializers.ModelSerializer):
    active_version = serializers.SerializerMethodField()

    class Meta:
        model = LeadDefinition
        fields = ["id", "code", "name", "description", "rank", "active_version"]

    def get_active_version(self, definition) -> DefinitionVersionSerializer(allow_null=True):  # type: ignore[valid-type]
        active = next((v for v in definition.versions.all() if v.status == "active"), None)
        return DefinitionVersionSerializer(active).data if active else None


class ProposeSerializer(serializers.Serializer):
    criteria = serializers.JSONField(help_text='{"conditions": [...]}: see the criteria language in the README.')
    note = serializers.CharField(required=False, allow_blank=True, max_length=_limit(LeadDefinitionVersion, "note"))


class SignOffSerializer(serializers.Serializer):
    side = serializers.ChoiceField(
        choices=SignOffSide.choices, required=False, help_text="Needed only when you may sign for either side."
    )
    simulation = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The finished simulation of this version you read before signing; recorded with your signature.",
    )


class EvaluateSerializer(serializers.Serializer):
    lead = serializers.IntegerField(help_text="The lead's id.")
    version = serializers.IntegerField(
        required=False, help_text="A version id; by default the active version (or the newest proposal)."
    )


class HandoffRuleSerializer(serializers.ModelSerializer):
    """Shape only here; the structured parts are validated by funnel.services.rules on save."""

    from_stages = serializers.ListField(child=serializers.ChoiceField(choices=StageKey.choices), required=False)
    to_stages = serializers.ListField(child=serializers.ChoiceField(choices=StageKey.choices), required=False)
    preconditions = serializers.JSONField(required=False, help_text='e.g. [{"kind": "min_score", "score": 40}]')
    routing = serializers.JSONField(
        required=False,
        help_text='e.g. {"kind": "round_robin", "team": 3}; kinds: keep, round_robin, match, and directory '
        '(the responsible person from the "who to call" directory, optionally with a "fallback_team").',
    )
    escalations = serializers.JSONField(
        required=False,
        help_text='e.g. [{"when": {"field": "expected_value", "op": "gte", "value": 100000}, '
        '"role": "revenue_leader", "action": "approve"}]',
    )

    class Meta:
        model = HandoffRule
        fields = ["id", *HandoffRule.EDITABLE_FIELDS, "state", "state_since", "updated_at"]
        read_only_fields = ["id", "state", "state_since", "updated_at"]


class RuleStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RuleState.choices)
    simulation = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The simulation of this rule you decided on."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class RuleStateChangeSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RuleStateChange
        fields = ["id", "rule", "from_state", "to_state", "actor", "at", "simulation", "note"]
        read_only_fields = fields


class ApprovalRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    rule = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "lead",
            "to_stage",
            "rule",
            "role",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "note",
            "used_by",
        ]
        read_only_fields = fields


class ApprovalCreateSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=StageKey.choices)


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=_limit(ApprovalRequest, "note"))


class SlaBreachSerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaBreach
        fields = ["id", "handoff", "kind", "due_at", "recorded_at", "escalated_to"]
        read_only_fields = fields


class ContactRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "title", "buying_role"]
        read_only_fields = fields


@extend_schema_field(TagRefSerializer(many=True))
class TagsOfKindField(serializers.Field):
    """The report's terms of one taxonomy, read from its prefetched `tag_links`."""

    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, report):
        tags = [link.tag for link in report.tag_links.all() if link.tag.kind == self.kind]
        return TagRefSerializer(tags, many=True).data


class CallReportSerializer(serializers.ModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True)
    contacts = ContactRefSerializer(many=True, read_only=True, help_text="Contacts met.")
    marketers = UserRefSerializer(many=True, read_only=True, help_text="Marketers who took part.")
    needs = TagsOfKindField(TagKind.NEED)
    objections = TagsOfKindField(TagKind.OBJECTION)
    competitors = TagsOfKindField(TagKind.COMPETITOR, help_text="Competitors mentioned.")
    feedback = TagsOfKindField(TagKind.FEEDBACK, help_text="Product feedback.")
    products = TagsOfKindField(TagKind.PRODUCT)

    class Meta:
        model = CallReport
        fields = [
            "id",
            "lead",
            "company",
            "author",
            "occurred_on",
            "channel",
            "outcome",
            "notes",
            "next_step",
            "next_step_on",
            "contacts",
            "marketers",
            "needs",
            "objections",
            "competitors",
            "feedback",
            "products",
            "interest_level",
            "sentiment",
            "lead_stage",
            "segment",
            "campaign",
            "created_at",
        ]
        read_only_fields = fields


def _ids(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_PEOPLE,
        required=False,
        help_text=help_text,
    )


def _terms(kind: str) -> serializers.ListField:
    return serializers.ListField(
        child=TagValueField(),
        max_length=MAX_TAGS_PER_KIND,
        required=False,
        help_text=f"Terms of the {kind} taxonomy, by slug or id (GET /api/v1/tags/?kind={kind} lists them).",
    )


class CallReportWriteSerializer(serializers.Serializer):
    """Shape only; funnel.services.call_reports checks what the values mean (terms, contacts, dates)."""

    occurred_on = serializers.DateField(help_text="When it happened; today or earlier.")
    channel = serializers.ChoiceField(choices=InteractionChannel.choices, default=InteractionChannel.CALL)
    outcome = serializers.CharField(max_length=_limit(CallReport, "outcome"), help_text="What came of it.")
    notes = serializers.CharField(max_length=_limit(CallReport, "notes"), required=False, allow_blank=True)
    next_step = serializers.CharField(max_length=_limit(CallReport, "next_step"), required=False, allow_blank=True)
    next_step_on = serializers.DateField(
        required=False, allow_null=True, help_text="When the next step is due: today or later."
    )
    contacts = _ids("Ids of the contacts met, people of the report's company.")
    marketers = _ids("Ids of the marketers who took part (active marketing people).")
    needs = _terms(TagKind.NEED)
    objections = _terms(TagKind.OBJECTION)
    competitors = _terms(TagKind.COMPETITOR)
    feedback = _terms(TagKind.FEEDBACK)
    products = _terms(TagKind.PRODUCT)
    interest_level = serializers.ChoiceField(choices=InterestLevel.choices, required=False, allow_blank=True)
    sentiment = serializers.ChoiceField(choices=Sentiment.choices, required=False, allow_blank=True)


class CallReportCreateSerializer(CallReportWriteSerializer):
    """A report on a lead (and its company) or on a company alone."""

    lead = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, help_text="A lead you see in full.")
    company = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="The company; optional when a lead is named."
    )

    def validate(self, attrs):
        if not attrs.get("lead") and not attrs.get("company"):
            raise serializers.ValidationError({"lead": "Name the lead, or the company, the report is about."})
        return attrs
