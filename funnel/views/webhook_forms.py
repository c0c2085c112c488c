"""The forms of the administrators' webhooks pages. They check shape only; the address, the token and its
scopes are the services' to judge (integrations.webhooks.subscriptions), and their refusals land on the field
they are about (`service_error`)."""

from django import forms

from accounts.scopes import RESOURCES
from config.errors import DomainError
from integrations.choices import EventType
from integrations.webhooks.events import EVENT_RESOURCES
from integrations.webhooks.selectors import webhook_token_choices

RESOURCE_LABELS = {resource.name: resource.label for resource in RESOURCES}
MAX_OVERLAP_HOURS = 24 * 14  # as the API allows


def event_type_labels(values: list[str]) -> list[str]:
    """Stored event types as a person reads them, in the order the choices list them."""
    return [label for value, label in EventType.choices if value in values]


class TokenChoice(forms.ModelChoiceField):
    def label_from_instance(self, token) -> str:
        return f"{token.name} — {token.user.username} ({token.prefix}…)"


class WebhookForm(forms.Form):
    url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        label="URL",
        help_text="Where the events are POSTed (http or https). Internal addresses only if the deployment allows them.",
    )
    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Event types",
        error_messages={"required": "Tick at least one event type."},
    )
    description = forms.CharField(max_length=200, required=False, help_text="Optional: who receives it and why.")

    def event_groups(self) -> list[tuple[str, str, list[tuple[str, str, bool]]]]:
        """(resource label, the read scope it needs, its event types as (value, label, ticked)), one group per
        resource: the token must read a group's resource for its events to be chosen."""
        ticked = set(self["event_types"].value() or [])
        groups: dict[str, list] = {}
        for value, label in EventType.choices:
            groups.setdefault(EVENT_RESOURCES[value], []).append((value, label, value in ticked))
        return [(RESOURCE_LABELS[resource], f"{resource}:read", items) for resource, items in groups.items()]


class NewWebhookForm(WebhookForm):
    token = TokenChoice(
        queryset=None,
        label="Integration token",
        empty_label=None,
        help_text="Its scopes limit what the payloads carry; it must read what the chosen events are about.",
    )
    field_order = ["url", "token", "description", "event_types"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].queryset = webhook_token_choices()


class RotateForm(forms.Form):
    overlap_hours = forms.IntegerField(
        min_value=0,
        max_value=MAX_OVERLAP_HOURS,
        initial=24,
        label="Old secret keeps signing for (hours)",
        help_text="Time for the receiver to switch; 0 stops the old secret now.",
    )


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, delete this webhook and its delivery log",
        error_messages={"required": "Tick the box to confirm: deleting cannot be undone."},
    )


def service_error(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal next to the field it is about: the address on the URL, a missing scope on the event
    types (untick them, or choose a token that reads them), another token problem on the token."""
    if exc.details.get("field") in form.fields:
        form.add_error(exc.details["field"], exc.message)
    elif exc.details.get("missing_scopes"):
        form.add_error("event_types", exc.message)
    elif "token" in form.fields:
        form.add_error("token", exc.message)
    else:
        form.add_error(None, exc.message)
