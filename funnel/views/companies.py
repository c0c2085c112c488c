"""Company and contact pages: the company list (search, filters, key accounts), a company's page — its fields,
contacts and their buying roles, the leads you may see, recent call reports, key-account reviews, merges —
and a contact's page to fix one. Every write goes through crm.services.records."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.choices import Role
from accounts.models import User
from config.errors import DomainError, NotAllowed
from config.pagination import MAX_ID
from crm import selectors
from crm.choices import BuyingRole, KeyAccountTier, MergeKind, Segment, SizeBand
from crm.models import AccountReview, CallReport, Company, Contact
from crm.services import records as services
from funnel.directory import directory_for_company
from funnel.forms import add_service_errors
from leads.selectors import lead_list

PAGE = 100
RECENT = 20


def _people():
    return User.objects.filter(is_active=True).exclude(role=Role.INTEGRATION).order_by("first_name", "username")


class CompanyFilterForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label="Search")
    segment = forms.ChoiceField(choices=[("", "Any"), *Segment.choices], required=False)
    territory = forms.CharField(max_length=50, required=False)
    key = forms.ChoiceField(
        choices=[("", "Any"), ("yes", "Key accounts"), ("no", "Not key accounts")], required=False, label="Key account"
    )
    tier = forms.TypedChoiceField(
        choices=[("", "Any"), *KeyAccountTier.choices], coerce=int, empty_value=None, required=False
    )
    owner = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class CompanyForm(forms.Form):
    name = forms.CharField(max_length=200)
    domain = forms.CharField(max_length=2000, required=False, help_text="e.g. acme.com; any spelling is tidied.")
    industry = forms.CharField(max_length=100, required=False)
    segment = forms.ChoiceField(choices=[("", "—"), *Segment.choices], required=False)
    territory = forms.CharField(max_length=50, required=False, help_text="e.g. EMEA, NA-East.")
    employees = forms.IntegerField(min_value=0, max_value=10_000_000, required=False)
    size_band = forms.ChoiceField(choices=[("", "—"), *SizeBand.choices], required=False, label="Size band")
    is_key_account = forms.BooleanField(required=False, label="Key account")
    key_account_tier = forms.TypedChoiceField(
        choices=[("", "—"), *KeyAccountTier.choices], coerce=int, empty_value=None, required=False, label="Tier"
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Nobody")

    def __init__(self, *args, steward: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if steward:
            self.fields["owner"].queryset = _people()
        else:  # marking key accounts and naming owners is a manager's call: the fields are not offered
            for name in services.STEWARD_FIELDS:
                del self.fields[name]

    @classmethod
    def initial_for(cls, company: Company) -> dict:
        return {name: getattr(company, name) for name in services.COMPANY_FIELDS}

    def changed_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100, required=False)
    email = forms.CharField(max_length=254, required=False)
    phone = forms.CharField(max_length=40, required=False)
    title = forms.CharField(max_length=100, required=False)
    buying_role = forms.ChoiceField(choices=[("", "—"), *BuyingRole.choices], required=False, label="Buying role")

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        return {name: getattr(contact, name) for name in cls.base_fields}

    def changed_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data}


class MergeForm(forms.Form):
    duplicate = forms.IntegerField(min_value=1, max_value=MAX_ID, label="Id of the duplicate to fold in")


def _save(form, write) -> object | None:
    """Calls the service with the form's data; puts its refusal on the form (a refusal of the person, not of
    the data, is the 403 page saying who may). The record, or None."""
    try:
        return write()
    except ValidationError as exc:
        add_service_errors(form, exc)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from None
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


# The list -----------------------------------------------------------------------------------------------------


@login_required
def company_list(request, form: CompanyForm | None = None, status: int = 200):
    filters = CompanyFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    key = {"yes": True, "no": False}.get(chosen.get("key") or "")
    companies = selectors.company_list(
        search=chosen.get("q", ""),
        segment=chosen.get("segment", ""),
        territory=chosen.get("territory", ""),
        is_key_account=key,
        tier=chosen.get("tier"),
        owner_id=chosen.get("owner"),
    )
    context = {
        "filters": filters,
        "companies": list(companies[: PAGE + 1]),
        "page": PAGE,
        "territories": selectors.company_territories(),
        "owners": _people().filter(owned_companies__isnull=False).distinct(),
        "form": form or CompanyForm(steward=services.may_steward(request.user)),
        "may_create": services.may_edit(request.user),
    }
    return render(request, "funnel/company_list.html", context, status=status)


@login_required
@require_POST
def company_create(request):
    form = CompanyForm(request.POST, steward=services.may_steward(request.user))
    if form.is_valid():
        company = _save(form, lambda: services.company_create(user=request.user, **form.cleaned_data))
        if company is not None:
            messages.success(request, f"{company.name} is added.")
            return redirect("company-detail", company.pk)
    return company_list(request, form=form, status=400)


# A company's page ----------------------------------------------------------------------------------------------


def _company_context(request, company: Company) -> dict:
    user = request.user
    visible_leads = lead_list(user=user)
    # Reports on the company, or on one of its leads, that the user may see; subqueries rather than a join
    # through leads, so each side uses its own index (call reports by company, by lead).
    on_its_leads = Q(lead_id__in=visible_leads.filter(company=company).values("pk"))
    on_it = Q(company=company) & (Q(lead__isnull=True) | Q(lead_id__in=visible_leads.values("pk")))
    reports = (
        CallReport.objects.filter(on_its_leads | on_it)
        .select_related("author", "lead")
        .prefetch_related("contacts")
        .order_by("-occurred_on", "-id")[:RECENT]
    )
    reviews = (
        AccountReview.objects.filter(company=company)
        .annotate(open_actions=Count("action_items", filter=Q(action_items__status="open")))
        .prefetch_related("attendees")[:RECENT]
    )
    return {
        "company": company,
        "contacts": selectors.contact_list(company_id=company.pk),
        "leads": visible_leads.filter(company=company).select_related("owner").order_by("-id")[:PAGE],
        "reports": reports,
        "reviews": reviews,
        "merges": selectors.record_merge_list(kind=MergeKind.COMPANY, kept_id=company.pk)[:RECENT],
        "duplicates": selectors.company_duplicates_of(company=company)[:10],
        "may_edit": services.may_edit(user),
        "may_merge": services.may_steward(user),
        # The "who to call" panel: the directory's answer for this company.
        "who_to_call": directory_for_company(company),
    }


def _company_page(request, company_id: int, status: int = 200, **forms_in):
    company = get_object_or_404(selectors.company_list(), pk=company_id)
    context = _company_context(request, company)
    steward = context["may_merge"]
    context["edit_form"] = forms_in.get("edit_form") or CompanyForm(
        initial=CompanyForm.initial_for(company), steward=steward
    )
    context["contact_form"] = forms_in.get("contact_form") or ContactForm()
    context["merge_form"] = forms_in.get("merge_form") or MergeForm()
    return render(request, "funnel/company_detail.html", context, status=status)


@login_required
def company_detail(request, company_id: int):
    return _company_page(request, company_id)


@login_required
@require_POST
def company_edit(request, company_id: int):
    company = get_object_or_404(Company, pk=company_id)
    form = CompanyForm(
        request.POST, initial=CompanyForm.initial_for(company), steward=services.may_steward(request.user)
    )
    if form.is_valid():
        fields = form.changed_fields()
        done = _save(form, lambda: services.company_update(user=request.user, company_id=company.pk, **fields))
        if done is not None:
            messages.success(request, f"{done.name} is saved.")
            return redirect("company-detail", company.pk)
    return _company_page(request, company_id, status=400, edit_form=form)


@login_required
@require_POST
def company_contact_add(request, company_id: int):
    company = get_object_or_404(Company, pk=company_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        data = {"company": company, **form.cleaned_data}
        contact = _save(form, lambda: services.contact_create(user=request.user, **data))
        if contact is not None:
            messages.success(request, f"{contact} is added to {company.name}.")
            return redirect("company-detail", company.pk)
    return _company_page(request, company_id, status=400, contact_form=form)


@login_required
@require_POST
def company_merge(request, company_id: int):
    company = get_object_or_404(Company, pk=company_id)
    form = MergeForm(request.POST)
    if form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        done = _save(form, lambda: services.company_merge(keep=company.pk, duplicate=duplicate, by=request.user))
        if done is not None:
            messages.success(request, f"{done.removed.get('name')} is merged into {company.name}.")
            return redirect("company-detail", company.pk)
    return _company_page(request, company_id, status=400, merge_form=form)


# A contact's page ----------------------------------------------------------------------------------------------


def _contact_page(request, contact_id: int, status: int = 200, **forms_in):
    contact = get_object_or_404(selectors.contact_list(), pk=contact_id)
    user = request.user
    context = {
        "contact": contact,
        "leads": lead_list(user=user).filter(contacts=contact).select_related("owner").order_by("-id")[:PAGE],
        "duplicates": selectors.contact_duplicates_of(contact=contact)[:10],
        "merges": selectors.record_merge_list(kind=MergeKind.CONTACT, kept_id=contact.pk)[:RECENT],
        "may_edit": services.may_edit(user),
        "may_merge": services.may_steward(user),
        "edit_form": forms_in.get("edit_form") or ContactForm(initial=ContactForm.initial_for(contact)),
        "merge_form": forms_in.get("merge_form") or MergeForm(),
    }
    return render(request, "funnel/contact_detail.html", context, status=status)


@login_required
def contact_detail(request, contact_id: int):
    return _contact_page(request, contact_id)


@login_required
@require_POST
def contact_edit(request, contact_id: int):
    contact = get_object_or_404(Contact, pk=contact_id)
    form = ContactForm(request.POST, initial=ContactForm.initial_for(contact))
    if form.is_valid():
        fields = form.changed_fields()
        done = _save(form, lambda: services.contact_update(user=request.user, contact_id=contact.pk, **fields))
        if done is not None:
            messages.success(request, f"{done} is saved.")
            return redirect("contact-detail", contact.pk)
    return _contact_page(request, contact_id, status=400, edit_form=form)


@login_required
@require_POST
def contact_merge(request, contact_id: int):
    contact = get_object_or_404(Contact, pk=contact_id)
    form = MergeForm(request.POST)
    if form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        done = _save(form, lambda: services.contact_merge(keep=contact.pk, duplicate=duplicate, by=request.user))
        if done is not None:
            gone = f"{done.removed.get('first_name', '')} {done.removed.get('last_name', '')}".strip()
            messages.success(request, f"{gone} is merged into {contact}.")
            return redirect("contact-detail", contact.pk)
    return _contact_page(request, contact_id, status=400, merge_form=form)
