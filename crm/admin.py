from django.contrib import admin

from config.admin import ReadOnlyAdmin
from crm.models import (
    AccountReview,
    ActionItem,
    CallReport,
    CallReportTag,
    Campaign,
    CampaignPreview,
    CampaignSpend,
    Collateral,
    CollateralUse,
    CollateralVersion,
    Company,
    Contact,
    RecordMerge,
    Responsibility,
    Tag,
    Touch,
)


@admin.register(Company)
class CompanyAdmin(ReadOnlyAdmin):
    """Companies change through crm.services.records (domain normalised and deduplicated, key-account rules,
    merges that keep every link and are recorded): the pages and the API do it; the admin only shows them."""

    list_display = ["name", "domain", "segment", "territory", "is_key_account", "key_account_tier", "owner"]
    list_filter = ["segment", "is_key_account", "key_account_tier"]
    search_fields = ["name", "domain"]


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "company", "email", "title", "buying_role"]
    search_fields = ["first_name", "last_name", "email"]


@admin.register(RecordMerge)
class RecordMergeAdmin(ReadOnlyAdmin):
    list_display = ["kind", "kept_id", "removed_id", "merged_by", "merged_at"]
    list_filter = ["kind"]


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    """Terms are curated on the taxonomy page (suggest, accept, reject, merge), which keeps report links whole."""

    list_display = ["label", "kind", "slug", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["label", "slug"]


@admin.register(Responsibility)
class ResponsibilityAdmin(ReadOnlyAdmin):
    """Directory lines are written on the directory page and API, which check each person's function."""

    list_display = ["__str__", "rep", "marketer", "liaison", "manager", "confirmed_at"]


@admin.register(AccountReview)
class AccountReviewAdmin(ReadOnlyAdmin):
    """Reviews go through crm.services.reviews, which holds the rule that marketing attends top-tier reviews."""

    list_display = ["company", "held_on", "created_by"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "owner", "due_on", "status"]
    list_filter = ["status"]


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    """Campaigns change through crm.services.campaigns (owner in marketing, no currency change once spend is
    recorded, the sales preview): the campaign pages and the API do it; the admin only shows them."""

    list_display = ["name", "channel", "status", "owner", "starts_on", "ends_on", "budget", "currency"]
    list_filter = ["channel", "status"]
    search_fields = ["name"]


@admin.register(CampaignSpend)
class CampaignSpendAdmin(ReadOnlyAdmin):
    """Spend goes through the service (its dates, currency and amount checks): the admin only shows it."""

    list_display = ["campaign", "spent_on", "amount", "currency", "recorded_by"]


@admin.register(CampaignPreview)
class CampaignPreviewAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "decision", "reviewer", "decided_at"]


@admin.register(Touch)
class TouchAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "lead", "campaign", "kind", "occurred_at", "recorded_by"]
    list_filter = ["kind"]


@admin.register(CallReport)
class CallReportAdmin(ReadOnlyAdmin):
    """Reports go through the call report service (taxonomy terms, contacts of the company, marketers, the
    handoff's first-touch clock)."""

    list_display = ["__str__", "lead", "company", "author", "occurred_on"]


@admin.register(CallReportTag)
class CallReportTagAdmin(ReadOnlyAdmin):
    list_display = ["report", "tag"]


@admin.register(Collateral)
class CollateralAdmin(ReadOnlyAdmin):
    """Collateral is created, reviewed and released through the service (sales's review gate)."""

    list_display = ["title", "kind", "owner", "created_at"]


@admin.register(CollateralVersion)
class CollateralVersionAdmin(ReadOnlyAdmin):
    list_display = ["collateral", "number", "status", "submitted_by", "reviewer", "released_at"]
    list_filter = ["status"]


@admin.register(CollateralUse)
class CollateralUseAdmin(ReadOnlyAdmin):
    list_display = ["version", "lead", "stage", "used_by", "used_at"]
