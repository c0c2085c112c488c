import django_filters

from audit.choices import AuditAction, AuditObject
from audit.models import AuditEntry
from config.filters import IdFilter, IsoDateTimeFilter


class AuditFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(choices=AuditObject.choices, help_text="What kind of object changed.")
    object_id = IdFilter(help_text="The object's id (with object_type).")
    actor = IdFilter(field_name="actor_id", help_text="The user who made the change (a token's user included).")
    token = IdFilter(field_name="token_id", help_text="The API token the change was made with.")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices)
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte", help_text="Changes at or after this time.")
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt", help_text="Changes before this time.")

    class Meta:
        model = AuditEntry
        fields = ["object_type", "object_id", "actor", "token", "action", "since", "until"]
