from django.contrib import admin

from crm.models import Company, Contact


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
