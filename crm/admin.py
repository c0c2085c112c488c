from django.contrib import admin

from config.admin import ReadOnlyAdmin
from crm.models import (
    CallReport,
    Campaign,
    CampaignPreview,
    CampaignSpend,
    Collateral,
    CollateralUse,
    CollateralVersion,
    Company,
    Contact,
    Touch,
)


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "segment", "territory", "industry"]
    list_filter = ["segment", "territory"]
    search_fields = ["name", "domain"]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "company", "email", "title"]
    search_fields = ["first_name", "last_name", "email"]
    autocomplete_fields = ["company"]


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
class CallReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "lead", "company", "author", "occurred_on"]
    raw_id_fields = ["lead"]


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
