from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction

from config.admin import ReadOnlyAdmin
from config.fields import JSONFormField
from funnel.diagnostic.models import Assessment, DiagnosticResponse
from funnel.models import (
    AgendaItem,
    ApprovalRequest,
    AttributionCredit,
    DefinitionCrossing,
    Digest,
    DigestCount,
    DigestDelivery,
    Handoff,
    HandoffRule,
    InsightResponse,
    JointMeeting,
    LeadDefinition,
    LeadDefinitionVersion,
    MetricInvalidation,
    MetricJob,
    MetricSnapshot,
    MetricValue,
    Purchase,
    Reassignment,
    RejectionReason,
    RevenueTarget,
    RoutingCursor,
    RuleStateChange,
    SalesExpense,
    ScoreChangeCursor,
    ShadowResult,
    Simulation,
    SlaBreach,
    Stage,
    StageMove,
    StageSpan,
    TargetSplit,
    Transition,
)
from funnel.services.rules import handoff_rule_validate, state_follow_switch, state_switch_record


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["key", "position", "owning_function", "is_outcome"]
    list_editable = ["owning_function"]
    readonly_fields = ["key", "position", "is_outcome"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StageMove)
class StageMoveAdmin(admin.ModelAdmin):
    list_display = ["from_stage", "to_stage"]
    list_filter = ["from_stage"]


class HandoffRuleForm(forms.ModelForm):
    class Meta:
        model = HandoffRule
        fields = HandoffRule.EDITABLE_FIELDS
        field_classes = dict.fromkeys(("preconditions", "routing", "escalations"), JSONFormField)

    def clean(self):
        cleaned = super().clean()
        candidate = HandoffRule(**{k: v for k, v in cleaned.items() if k in {f.name for f in HandoffRule._meta.fields}})
        try:
            handoff_rule_validate(candidate)  # the same validation the API runs
        except ValidationError as exc:
            raise ValidationError(
                [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
            ) from None
        return cleaned


@admin.register(HandoffRule)
class HandoffRuleAdmin(admin.ModelAdmin):
    form = HandoffRuleForm
    list_display = ["name", "priority", "state", "from_stages", "to_stages", "accept_within_hours"]
    list_filter = ["state"]
    readonly_fields = ["state", "state_since"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        before = state_follow_switch(obj)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change:
                state_switch_record(rule=obj, before=before, actor=request.user)


@admin.register(LeadDefinition)
class LeadDefinitionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "rank"]


@admin.register(LeadDefinitionVersion)
class LeadDefinitionVersionAdmin(ReadOnlyAdmin):
    """Versions are proposed and signed off through the API or the web UI, where dual sign-off is enforced."""

    list_display = ["definition", "number", "status", "proposed_by", "marketing_approver", "sales_approver"]
    list_filter = ["definition", "status"]


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = ["lead", "from_stage", "to_stage", "actor", "occurred_at"]
    list_filter = ["to_stage"]
    raw_id_fields = ["lead"]
    show_full_result_count = False


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ["lead", "from_function", "to_function", "to_owner", "status", "accept_due_at"]
    list_filter = ["status", "to_function"]


@admin.register(SlaBreach)
class SlaBreachAdmin(ReadOnlyAdmin):
    list_display = ["handoff", "kind", "due_at", "recorded_at", "escalated_to"]


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ReadOnlyAdmin):
    list_display = ["lead", "to_stage", "role", "status", "requested_by", "decided_by"]


@admin.register(RejectionReason)
class RejectionReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "procedural", "note_required", "is_active"]


@admin.register(RoutingCursor)
class RoutingCursorAdmin(ReadOnlyAdmin):
    list_display = ["team", "position"]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["lead", "revenue", "gross_margin", "currency", "purchased_at", "sql_at"]
    raw_id_fields = ["lead"]


@admin.register(AttributionCredit)
class AttributionCreditAdmin(ReadOnlyAdmin):
    list_display = ["purchase", "model", "campaign", "revenue", "gross_margin"]
    list_filter = ["model"]


@admin.register(DefinitionCrossing)
class DefinitionCrossingAdmin(ReadOnlyAdmin):
    list_display = ["lead", "version", "met", "score_before", "score_after", "at"]
    raw_id_fields = ["lead"]


@admin.register(ScoreChangeCursor)
class ScoreChangeCursorAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_change_id"]


@admin.register(Reassignment)
class ReassignmentAdmin(ReadOnlyAdmin):
    list_display = ["lead", "from_owner", "to_owner", "actor", "occurred_at"]
    raw_id_fields = ["lead"]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    """Digests are computed by the weekly job (or "Recompute" on the Insights page) from the call reports."""

    list_display = ["period_kind", "period_start", "report_count", "computed_at"]
    list_filter = ["period_kind"]


@admin.register(DigestCount)
class DigestCountAdmin(ReadOnlyAdmin):
    list_display = ["digest", "dimension", "value", "tag", "count", "previous_count"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["digest", "recipient", "sent_at"]


@admin.register(InsightResponse)
class InsightResponseAdmin(ReadOnlyAdmin):
    list_display = ["tag", "collateral", "campaign", "created_by", "created_at"]


@admin.register(JointMeeting)
class JointMeetingAdmin(ReadOnlyAdmin):
    """Meetings and their agendas are made on the joint meeting page, from the data."""

    list_display = ["held_on", "title", "opportunity_threshold", "agenda_generated_at"]


@admin.register(AgendaItem)
class AgendaItemAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "position", "kind", "title"]


@admin.register(Simulation)
class SimulationAdmin(ReadOnlyAdmin):
    """Simulations are asked for on the definitions and rule pages or the API, and run as jobs."""

    list_display = ["id", "kind", "definition_version", "rule", "window_days", "status", "requested_at"]
    list_filter = ["kind", "status"]


@admin.register(ShadowResult)
class ShadowResultAdmin(ReadOnlyAdmin):
    list_display = ["rule", "transition", "passed", "at"]
    raw_id_fields = ["transition"]
    show_full_result_count = False


@admin.register(RuleStateChange)
class RuleStateChangeAdmin(ReadOnlyAdmin):
    list_display = ["rule", "from_state", "to_state", "actor", "at", "simulation"]


@admin.register(StageSpan)
class StageSpanAdmin(ReadOnlyAdmin):
    """Written by the one door with each transition; read-only like the history it mirrors."""

    list_display = ["lead", "stage", "entered_at", "left_at", "next_stage", "owner", "team"]
    raw_id_fields = ["lead", "opened_by"]
    show_full_result_count = False


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["period_kind", "period_start", "computed_at", "history_through_at", "duration_ms"]


@admin.register(MetricValue)
class MetricValueAdmin(ReadOnlyAdmin):
    list_display = ["snapshot", "metric", "stage", "to_stage", "dimension", "dimension_value", "value"]
    show_full_result_count = False


@admin.register(MetricInvalidation)
class MetricInvalidationAdmin(ReadOnlyAdmin):
    """Written by the invalidation task after a late change; the snapshot is stale while it is newer."""

    list_display = ["period_kind", "period_start", "changed_at", "cause"]


@admin.register(MetricJob)
class MetricJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "period_kind", "status", "progress", "requested_at", "finished_at"]


@admin.register(SalesExpense)
class SalesExpenseAdmin(ReadOnlyAdmin):
    """Expenses are recorded through the service (page and API) so every door checks the same things."""

    list_display = ["team", "spent_on", "amount", "currency", "category", "recorded_by"]


class TargetSplitInline(admin.TabularInline):
    model = TargetSplit
    extra = 0
    can_delete = False
    readonly_fields = ["team", "segment", "amount"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RevenueTarget)
class RevenueTargetAdmin(ReadOnlyAdmin):
    """Targets are proposed and signed on the Targets page or the API, so both sides' signatures are checked."""

    list_display = ["period_kind", "period_start", "amount", "currency", "status", "activated_at"]
    list_filter = ["status", "period_kind"]
    inlines = [TargetSplitInline]


@admin.register(TargetSplit)
class TargetSplitAdmin(ReadOnlyAdmin):
    list_display = ["target", "team", "segment", "amount"]


@admin.register(DiagnosticResponse)
class DiagnosticResponseAdmin(ReadOnlyAdmin):
    """Answers are given on the diagnostic page or the API; a person's ratings are never edited afterwards."""

    list_display = ["respondent", "function", "total", "submitted_at"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["computed_at", "trigger", "level", "questionnaire_level", "evidence_level", "mean_total", "gap"]
