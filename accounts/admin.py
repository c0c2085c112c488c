from django.contrib import admin, messages
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
    """Tokens are created through the service so that only the hash is stored and the secret shown once."""

    list_display = ["name", "user", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "scopes", "expires_at", *readonly_fields]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, plaintext = services.api_token_create(
            user=obj.user, name=obj.name, scopes=obj.scopes, expires_at=obj.expires_at
        )
        obj.pk, obj.prefix = token.pk, token.prefix
        messages.warning(request, f"Copy this token now; it will not be shown again: {plaintext}")

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
