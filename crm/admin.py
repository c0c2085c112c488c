from django.contrib import admin

from crm.models import CallReport, Campaign, Company, Contact


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
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "segment", "status", "owner", "starts_on", "ends_on"]
    list_filter = ["channel", "status"]
    search_fields = ["name"]


@admin.register(CallReport)
class CallReportAdmin(admin.ModelAdmin):
    list_display = ["__str__", "lead", "company", "author", "occurred_on"]
    raw_id_fields = ["lead"]
