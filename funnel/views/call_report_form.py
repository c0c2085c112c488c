"""The call report form as the lead page (and a company's page) shows it: the taxonomies' terms as quick-pick
chips, the people who could have been there, and the form's data handed to the one service that logs it."""

from collections import Counter
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError

from accounts.choices import Function
from accounts.models import User
from crm.choices import TagStatus
from crm.models import CallReport, CallReportTag, Company, Contact, Tag
from funnel.forms import CallReportForm, add_service_errors
from funnel.services.call_reports import TAG_FIELDS, call_report_log
from leads.models import Lead

# A taxonomy this small shows every term as a chip; a bigger one shows the author's most used and a search.
ALL_AS_CHIPS = 12
MOST_USED = 8
RECENT_REPORTS = 100
MAX_LISTED = 100  # contacts or marketers offered as checkboxes
OUTCOME_PICKS = [
    "Connected — next step agreed",
    "Discovery call done",
    "Demo given",
    "Proposal discussed",
    "Left a voicemail",
    "No answer",
    "Not interested for now",
]
LABELS = {
    "needs": "Needs",
    "objections": "Objections",
    "competitors": "Competitors mentioned",
    "feedback": "Product feedback",
    "products": "Products",
}


@dataclass
class Picker:
    """One taxonomy's picker: chips to toggle (`quick`), chosen terms that are not among them (`extra`)."""

    field: str
    kind: str
    label: str
    quick: list[tuple[str, str, bool]] = field(default_factory=list)  # (slug, label, checked)
    extra: list[Tag] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def call_report_form(*, subject: Lead | Company | None, data=None) -> CallReportForm:
    company_id = subject.company_id if isinstance(subject, Lead) else getattr(subject, "pk", None)
    contacts = Contact.objects.filter(company_id=company_id)[:MAX_LISTED] if company_id else []
    marketers = User.objects.filter(is_active=True, team__function=Function.MARKETING).order_by("first_name")
    return CallReportForm(data, contacts=contacts, marketers=marketers[:MAX_LISTED])


def _most_used(author: User) -> Counter:
    recent = CallReport.objects.filter(author=author).order_by("-occurred_on", "-id").values("pk")[:RECENT_REPORTS]
    return Counter(CallReportTag.objects.filter(report_id__in=recent).values_list("tag_id", flat=True))


def pickers(form: CallReportForm, author: User) -> list[Picker]:
    """The five taxonomies' pickers, with what the form (re-shown after an error) had chosen still chosen."""
    accepted = list(Tag.objects.filter(status=TagStatus.ACCEPTED).order_by("label"))
    chosen = {name: form.data.getlist(name) if form.is_bound else [] for name in TAG_FIELDS}
    used: Counter | None = None
    out = []
    for name, kind in TAG_FIELDS.items():
        terms = [tag for tag in accepted if tag.kind == kind]
        if len(terms) > ALL_AS_CHIPS:
            used = _most_used(author) if used is None else used
            terms = sorted((tag for tag in terms if used[tag.pk]), key=lambda tag: -used[tag.pk])[:MOST_USED]
        picker = Picker(field=name, kind=kind, label=LABELS[name], errors=form.errors.get(name, []))
        picker.quick = [(tag.slug, tag.label, tag.slug in chosen[name]) for tag in terms]
        shown = {tag.slug for tag in terms}
        rest = [slug for slug in chosen[name] if slug not in shown]
        if rest:
            found = {t.slug: t for t in Tag.objects.filter(kind=kind, slug__in=rest).exclude(status=TagStatus.REJECTED)}
            picker.extra = [found[slug] for slug in rest if slug in found]
        out.append(picker)
    return out


def call_report_context(*, form: CallReportForm, author: User) -> dict:
    return {"call_report_form": form, "pickers": pickers(form, author), "outcome_picks": OUTCOME_PICKS}


def call_report_submit(request, form: CallReportForm, *, lead: Lead | None = None, company=None) -> bool:
    """Logs the form's report through the service; False (errors on the form) if anything was refused."""
    if not form.is_valid():
        return False
    try:
        call_report_log(author=request.user, lead=lead, company=company, **form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, "Call report logged.")
    return True
