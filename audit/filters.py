import django_filters
from django import forms

from audit.choices import AuditAction, AuditObject
from audit.models import AuditEntry
from config.filters import IdFilter, IsoDateTimeFilter


class AuditFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:  # an empty log would read as "nothing changed"
            self.add_error(
                "until", f"The range ends ({until:%Y-%m-%d %H:%M}) before it starts ({since:%Y-%m-%d %H:%M})."
            )
        return data


class AuditFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(
        choices=AuditObject.choices, label="Object type", help_text="What kind of object changed."
    )
    object_id = IdFilter(label="Object id", help_text="The object's id (with object_type).")
    actor = IdFilter(
        field_name="actor_id", label="Who", help_text="The user who made the change (a token's user included)."
    )
    token = IdFilter(field_name="token_id", label="Token", help_text="The API token the change was made with.")
    action = django_filters.ChoiceFilter(choices=AuditAction.choices, label="Action")
    since = IsoDateTimeFilter(
        field_name="at", lookup_expr="gte", label="Since", help_text="Changes at or after this time."
    )
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt", label="Until", help_text="Changes before this time.")

    class Meta:
        model = AuditEntry
        form = AuditFilterForm
        fields = ["object_type", "object_id", "actor", "token", "action", "since", "until"]
