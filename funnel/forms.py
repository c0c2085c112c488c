"""Web forms of the funnel UI. They check shape only: every write goes through a service, so no form saves a
model, and none has a stage, owner, team or owning-function field (those change only by transition)."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.http import QueryDict
from django.utils import timezone
from django.utils.functional import cached_property

from accounts.models import User
from config.fields import JSONFormField
from config.pagination import MAX_ID
from crm.choices import InteractionChannel, InterestLevel, Sentiment
from crm.models import CallReport
from funnel.choices import SlaClock
from funnel.models import LeadDefinitionVersion, RejectionReason
from leads import criteria as conditions
from leads.choices import SignOffSide, Stage
from leads.models import CONTACT_FIELDS, FACT_FIELDS, FIT_FIELDS, Lead

CAPTURE_FIELDS = [*CONTACT_FIELDS, *FIT_FIELDS, "expected_value", "gross_margin", "currency"]


class LeadForm(forms.Form):
    """The editable fields of a new lead, built from the model so limits and labels stay in step with it."""

    model_fields = CAPTURE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = fields_for_model(Lead, fields=self.model_fields)
        domain = forms.CharField(
            required=False, max_length=253, help_text="The company's web domain, e.g. acme.com; links the company."
        )
        for name in self.model_fields:
            self.fields[name] = fields[name]
            if name == "company_name":
                self.fields["company_domain"] = domain

    def changed_fields(self) -> dict:
        """Only what the user changed, so an untouched company domain never unlinks the company."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class LeadEditForm(LeadForm):
    """Non-stage fields of an existing lead, qualification facts included (they feed the definitions)."""

    model_fields = [*CAPTURE_FIELDS, *FACT_FIELDS]

    @classmethod
    def initial_for(cls, lead: Lead) -> dict:
        initial = {name: getattr(lead, name) for name in cls.model_fields}
        initial["company_domain"] = lead.company.domain if lead.company_id else ""
        return initial


class TransitionForm(forms.Form):
    """A move: accepts any stage (the service decides whether the funnel allows it) but offers only the
    stages reachable from the one shown; `from_stage` is that stage, so a stale page gets a conflict."""

    to_stage = forms.ChoiceField(choices=Stage.choices, label="Move to")
    reason = forms.CharField(
        required=False, max_length=500, help_text="Required when moving to lost or nurture.", strip=True
    )
    from_stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)

    def __init__(self, *args, reachable: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].widget.choices = [("", "Choose a stage…"), *reachable]


class IdListField(forms.Field):
    """Several ids from checkboxes of one name (a page of leads chosen for a bulk action)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value or []
        if not all(isinstance(v, str) and v.isascii() and v.isdigit() and len(v) < 19 for v in values):
            raise ValidationError("Choose leads from the list.")
        return list(dict.fromkeys(int(v) for v in values))

    def validate(self, value):
        super().validate(value)
        if not value:
            raise ValidationError("Choose at least one lead.")


class BulkMoveForm(forms.Form):
    ids = IdListField()
    to_stage = forms.ChoiceField(choices=Stage.choices, label="Move to")
    reason = forms.CharField(required=False, max_length=500, strip=True)


class BulkReassignForm(forms.Form):
    ids = IdListField()
    to_owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), label="Give to")
    reason = forms.CharField(max_length=500, strip=True)


class HandOverForm(forms.Form):
    """All of one person's leads to another, e.g. when a rep leaves."""

    from_owner = forms.ModelChoiceField(queryset=User.objects.all(), label="All leads of")
    to_owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), label="Give to")
    reason = forms.CharField(max_length=500, strip=True)


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60, strip=True)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def saved_query(self) -> QueryDict:
        return QueryDict(self.cleaned_data["query"])


class ApprovalAskForm(forms.Form):
    to_stage = forms.ChoiceField(choices=Stage.choices, widget=forms.HiddenInput)


class TagListField(forms.Field):
    """The terms of one taxonomy a form names (slugs, one value per checkbox or chip); the call report service
    resolves them and names any unknown one with the allowed list."""

    widget = forms.MultipleHiddenInput
    MAX = 20

    def to_python(self, value):
        values = [str(v).strip() for v in (value or []) if str(v).strip()]
        if len(values) > self.MAX or any(len(v) > 60 or "\x00" in v for v in values):
            raise ValidationError(f"At most {self.MAX} terms, each named by its short code.")
        return list(dict.fromkeys(values))


class CallReportForm(forms.Form):
    """A call report in a few clicks: today and a call by default, outcome quick picks, the taxonomies' terms as
    chips; who was there, the next step and notes are folded behind "More"."""

    occurred_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Date")
    channel = forms.ChoiceField(
        choices=InteractionChannel.choices, initial=InteractionChannel.CALL, widget=forms.RadioSelect
    )
    outcome = forms.CharField(
        max_length=CallReport._meta.get_field("outcome").max_length,
        widget=forms.TextInput(attrs={"list": "outcome-picks", "placeholder": "What came of it"}),
    )
    needs = TagListField(required=False)
    objections = TagListField(required=False)
    competitors = TagListField(required=False, label="Competitors mentioned")
    feedback = TagListField(required=False, label="Product feedback")
    products = TagListField(required=False)
    interest_level = forms.ChoiceField(
        choices=InterestLevel.choices, required=False, widget=forms.RadioSelect, label="Interest"
    )
    sentiment = forms.ChoiceField(choices=Sentiment.choices, required=False, widget=forms.RadioSelect)
    contacts = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Contacts met"
    )
    marketers = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Marketers who took part"
    )
    next_step = forms.CharField(max_length=200, required=False, label="Next step")
    next_step_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), required=False, label="Next step due"
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=CallReport._meta.get_field("notes").max_length,
    )

    MORE = ("contacts", "marketers", "next_step", "next_step_on", "notes")

    def __init__(self, *args, contacts=(), marketers=(), **kwargs):
        kwargs.setdefault("initial", {"occurred_on": timezone.localdate(), "channel": InteractionChannel.CALL})
        super().__init__(*args, **kwargs)
        self.fields["contacts"].choices = [(c.pk, f"{c}{f' — {c.title}' if c.title else ''}") for c in contacts]
        self.fields["marketers"].choices = [(u.pk, u.get_full_name() or u.get_username()) for u in marketers]

    @property
    def more_has_errors(self) -> bool:
        return any(name in self.errors for name in self.MORE)


class HandoffRejectForm(forms.Form):
    reason_code = forms.ModelChoiceField(
        queryset=RejectionReason.objects.filter(is_active=True),
        to_field_name="code",
        label="Reason",
        empty_label="Reason…",
    )
    note = forms.CharField(required=False, max_length=1000, widget=forms.TextInput(attrs={"placeholder": "Note"}))

    @cached_property
    def reasons(self) -> list[tuple[str, str]]:
        """(code, label) of the active reasons, read once however many handoffs a page lists."""
        return [(reason.code, reason.label) for reason in self.fields["reason_code"].queryset]


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=1000, widget=forms.TextInput(attrs={"placeholder": "Note"}))


class SignOffForm(forms.Form):
    side = forms.ChoiceField(choices=SignOffSide.choices, required=False)
    simulation = forms.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="The simulation the signer had in front of them."
    )


class PrettyJSONField(JSONFormField):
    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class ProposeForm(forms.Form):
    """A new version's criteria: JSON underneath, edited as rows of field / operator / value where JavaScript
    runs (static/js/criteria-editor.js reads the language from the textarea's data-language)."""

    criteria = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "data-language": json.dumps(conditions.language())}),
        help_text='{"conditions": [{"field": "score", "op": "gte", "value": 40}, '
        '{"facts": ["budget", "authority", "need", "timeline"], "at_least": 3}]}',
    )
    note = forms.CharField(
        required=False,
        max_length=LeadDefinitionVersion._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed and why.",
    )


def error_lines(exc: Exception) -> list[str]:
    """One readable line per problem: each failed rule check by rule name and reason, or each field error."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [f"{field}: {msg}" for field, msgs in exc.message_dict.items() for msg in msgs]
        return list(exc.messages)
    failed = getattr(exc, "details", {}).get("failed") or []
    return [f"{c['rule']}: {c['check']} — {c['reason']}" for c in failed] or [getattr(exc, "message", str(exc))]


def add_service_errors(form, exc: ValidationError) -> None:
    """Puts a service's ValidationError on the form: each field's messages on that field if the form has it."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, msgs in exc.message_dict.items():
        if field in form.fields:
            form.add_error(field, msgs)
        else:
            form.add_error(None, [f"{field}: {m}" for m in msgs])


def _json_editor(part: str) -> forms.Textarea:
    """The JSON of a rule's part, turned into rows by static/js/rule-editor.js where JavaScript runs."""
    return forms.Textarea(attrs={"rows": 6, "class": "code", "data-rule-part": part})


class RuleForm(forms.Form):
    """A rule of engagement as the web shows it: plain fields, and the structured parts edited as rows. The
    service (funnel.services.rules) validates every part, as it does for the API and the admin."""

    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    priority = forms.IntegerField(
        min_value=0, max_value=32767, initial=100, help_text="Lower runs first; the first rule that routes wins."
    )
    from_stages = forms.MultipleChoiceField(
        choices=Stage.choices, required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: any."
    )
    to_stages = forms.MultipleChoiceField(
        choices=Stage.choices, required=False, widget=forms.CheckboxSelectMultiple, help_text="None ticked: any."
    )
    preconditions = JSONFormField(required=False, widget=_json_editor("preconditions"), initial=list)
    routing = JSONFormField(required=False, widget=_json_editor("routing"), initial=dict)
    escalations = JSONFormField(required=False, widget=_json_editor("escalations"), initial=list)
    accept_within_hours = forms.IntegerField(required=False, min_value=1, max_value=2000, label="Accept within (h)")
    first_touch_within_hours = forms.IntegerField(
        required=False, min_value=1, max_value=2000, label="First touch within (h)"
    )
    sla_clock = forms.ChoiceField(choices=SlaClock.choices, label="SLA clock")

    def rule_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["preconditions"] = data["preconditions"] or []
        data["routing"] = data["routing"] or {"kind": "keep"}
        data["escalations"] = data["escalations"] or []
        return data
