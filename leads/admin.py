from django.contrib import admin

from config.admin import ReadOnlyAdmin
from leads.imports.models import ImportJob, ImportRow, ImportSource
from leads.models import Lead, LeadParticipant, LeadScore, LeadScoreChange, OwnerStageCount, ScoringModelVersion
from leads.services import READ_ONLY_FIELDS


class ParticipantInline(admin.TabularInline):
    model = LeadParticipant
    extra = 0
    readonly_fields = ["user", "role", "reason", "added_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    """Stage, owner, team and owning function are read-only here: they change through a transition
    (the lead page's transition form or POST /api/v1/leads/{id}/transition/), never by editing the row."""

    list_display = ["__str__", "company", "stage", "owning_function", "owner", "score", "created_at"]
    list_filter = ["stage", "owning_function", "team"]
    search_fields = ["last_name", "first_name", "email_normalized", "company_name"]
    list_select_related = ["company", "owner"]
    readonly_fields = [*sorted(READ_ONLY_FIELDS), "email_normalized", "created_at", "updated_at"]
    autocomplete_fields = ["company", "source_campaign"]
    inlines = [ParticipantInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # capture goes through funnel.services.intake (dedupe, first history row)

    def has_delete_permission(self, request, obj=None):
        return False  # the history refers to the lead; recycle it to lost or nurture instead


@admin.register(LeadParticipant)
class LeadParticipantAdmin(admin.ModelAdmin):
    list_display = ["lead", "user", "role", "added_at"]
    raw_id_fields = ["lead"]


@admin.register(OwnerStageCount)
class OwnerStageCountAdmin(ReadOnlyAdmin):
    """Kept by a database trigger on every write to leads: shown, never edited."""

    list_display = ["owner", "stage", "n"]
    list_filter = ["stage"]


@admin.register(ScoringModelVersion)
class ScoringModelVersionAdmin(ReadOnlyAdmin):
    """Versions are proposed and signed through the service (both sides' signatures): the admin shows them."""

    list_display = ["number", "status", "proposed_by", "marketing_approver", "sales_approver", "activated_at"]


@admin.register(LeadScore)
class LeadScoreAdmin(ReadOnlyAdmin):
    list_display = ["lead", "total", "grade", "fit", "engagement", "scored_at"]
    raw_id_fields = ["lead"]


@admin.register(LeadScoreChange)
class LeadScoreChangeAdmin(ReadOnlyAdmin):
    list_display = ["lead", "score_before", "score_after", "grade_after", "cause", "changed_at"]


@admin.register(ImportSource)
class ImportSourceAdmin(ReadOnlyAdmin):
    list_display = ["name", "updated_at"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "filename", "dry_run", "status", "rows_done", "rows_total", "created_at"]
    exclude = ["content"]  # the file itself: megabytes of bytes, not something to read in a form


@admin.register(ImportRow)
class ImportRowAdmin(ReadOnlyAdmin):
    list_display = ["job", "number", "outcome", "lead", "note"]
    raw_id_fields = ["job", "lead"]
