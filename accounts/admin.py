from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import services
from accounts.models import ApiToken, Notification, OutOfOffice, SavedView, Team, User, WorkerHeartbeat
from config.admin import ReadOnlyAdmin


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "function", "parent", "manager", "time_zone", "work_starts", "work_ends"]
    list_filter = ["function"]
    search_fields = ["name"]
    autocomplete_fields = ["parent", "manager"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "role", "team", "manager", "is_active"]
    list_filter = ["role", "team", "is_active"]
    autocomplete_fields = ["team", "manager"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Role in the CRM", {"fields": ["role", "team", "manager", "title", "phone"]}),
    ]
    add_fieldsets = [
        *BaseUserAdmin.add_fieldsets,
        ("Role in the CRM", {"fields": ["role", "team", "manager"]}),
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued on the API tokens page (/system/tokens/), which shows the secret once; here they are
    listed and revoked."""

    list_display = [
        "name",
        "user",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    readonly_fields = [
        "user",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
    ]
    fields = ["name", *readonly_fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "beat_at", "runs"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "message", "created_at", "read_at"]
    list_filter = ["kind"]
    readonly_fields = ["recipient", "kind", "subject_type", "subject_id", "message", "url", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "page", "query", "created_at"]
    list_filter = ["page"]
    search_fields = ["name", "user__username"]
    autocomplete_fields = ["user"]


@admin.register(OutOfOffice)
class OutOfOfficeAdmin(ReadOnlyAdmin):
    """Set by the person or their manager on the out-of-office and team pages, where what waits is handed on."""

    list_display = ["user", "starts_at", "ends_at", "delegate", "set_by"]
