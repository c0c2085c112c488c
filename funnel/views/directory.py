"""The "who to call" directory page: its lines searched by segment, territory, product, key account or person,
each with when it was last confirmed (flagged after 180 days), who answers for the slice searched, and — for
managers, revenue leaders and administrators — adding, editing, confirming and removing lines."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.choices import MANAGER_ROLES, Function, Role
from accounts.models import User
from config.errors import DomainError
from crm.choices import Segment, TagKind, TagStatus
from crm.directory import STALE_AFTER, directory_lookup, line_label, responsibility_list
from crm.models import Company, Responsibility, Tag
from crm.services import directory as services
from funnel.forms import add_service_errors
from funnel.views.common import back, error_message

ANY_SEGMENT = [("", "Any segment"), *Segment.choices]


def _people(**filters) -> forms.ModelChoiceField:
    people = User.objects.filter(is_active=True).exclude(role=Role.INTEGRATION).filter(**filters)
    return forms.ModelChoiceField(queryset=people.order_by("first_name", "username"), required=False)


def _products():
    return Tag.objects.filter(kind=TagKind.PRODUCT).exclude(status=TagStatus.REJECTED).order_by("label")


def _key_accounts():
    return Company.objects.filter(is_key_account=True).order_by("name")


class ResponsibilityForm(forms.Form):
    segment = forms.ChoiceField(choices=ANY_SEGMENT, required=False)
    territory = forms.CharField(max_length=50, required=False, help_text="Blank: any territory.")
    product = forms.ModelChoiceField(queryset=_products(), required=False, empty_label="Any product")
    company = forms.ModelChoiceField(
        queryset=_key_accounts(), required=False, empty_label="Any company", label="Key account"
    )
    rep = _people(team__function=Function.SALES)
    marketer = _people(team__function=Function.MARKETING)
    liaison = _people()
    manager = _people(role__in=MANAGER_ROLES)
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Fresh querysets per form: people and key accounts change between requests.
        self.fields["product"].queryset = _products()
        self.fields["company"].queryset = _key_accounts()
        for name in services.ROLES:
            self.fields[name].queryset = self.fields[name].queryset.all()

    @staticmethod
    def initial_for(line: Responsibility) -> dict:
        return {field: getattr(line, field) for field in services.EDITABLE_FIELDS}


class SearchForm(forms.Form):
    segment = forms.ChoiceField(choices=ANY_SEGMENT, required=False)
    territory = forms.CharField(max_length=50, required=False)
    product = forms.ModelChoiceField(queryset=_products(), required=False, empty_label="Any product")
    company = forms.ModelChoiceField(queryset=_key_accounts(), required=False, empty_label="Any key account")
    person = forms.ModelChoiceField(
        queryset=User.objects.exclude(role=Role.INTEGRATION).order_by("first_name", "username"),
        required=False,
        empty_label="Anyone",
    )
    stale = forms.BooleanField(required=False, label=f"Not confirmed in {STALE_AFTER.days} days")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = _products()
        self.fields["company"].queryset = _key_accounts()


def _lines(search: SearchForm):
    if not search.is_valid():
        return responsibility_list().none()
    data = search.cleaned_data
    return responsibility_list(
        segment=data["segment"],
        territory=data["territory"].strip(),
        product_id=data["product"].pk if data["product"] else None,
        company_id=data["company"].pk if data["company"] else None,
        person_id=data["person"].pk if data["person"] else None,
        stale=data["stale"],
    )


def _answer(search: SearchForm):
    """Who answers for the slice searched (blank lines included), when the search names one."""
    if not search.is_valid():
        return None
    data = search.cleaned_data
    if not (data["segment"] or data["territory"].strip() or data["product"] or data["company"]):
        return None
    return directory_lookup(
        segment=data["segment"],
        territory=data["territory"].strip(),
        company_id=data["company"].pk if data["company"] else None,
        product_ids=[data["product"].pk] if data["product"] else [],
    )


def slice_of(line: Responsibility) -> str:
    return line_label(
        segment=line.segment,
        territory=line.territory,
        product=line.product.label if line.product_id else "",
        company=line.company.name if line.company_id else "",
    )


def _page(request, form: ResponsibilityForm | None = None, status: int = 200):
    search = SearchForm(request.GET, auto_id="search_%s")  # the add form below uses the plain ids
    if request.GET and not search.is_valid():
        status = 400
    lines = list(_lines(search))
    for line in lines:
        line.slice = slice_of(line)
    context = {
        "search": search,
        "lines": lines,
        "stale_before": timezone.now() - STALE_AFTER,
        "answer": _answer(search),
        "may_write": services.may_write(request.user),
        "form": form or ResponsibilityForm(),
        "stale_days": STALE_AFTER.days,
    }
    return render(request, "funnel/directory.html", context, status=status)


@login_required
def directory_page(request):
    return _page(request)


def _save(request, form: ResponsibilityForm, line_id: int | None):
    try:
        if line_id is None:
            line = services.responsibility_create(user=request.user, **form.cleaned_data)
        else:
            line = services.responsibility_update(user=request.user, responsibility_id=line_id, **form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
    except DomainError as exc:
        form.add_error(None, exc.message)
    else:
        messages.success(request, f"Saved the line for {slice_of(line)}; confirmed now.")
        return True
    return False


@login_required
@require_POST
def directory_create(request):
    form = ResponsibilityForm(request.POST)
    if form.is_valid() and _save(request, form, None):
        return redirect("directory")
    return _page(request, form=form, status=400)


@login_required
def directory_edit(request, line_id: int):
    line = get_object_or_404(responsibility_list(), pk=line_id)
    if not services.may_write(request.user):
        messages.error(request, "Managers, revenue leaders and administrators keep the directory.")
        return redirect("directory")
    form = ResponsibilityForm(request.POST or None, initial=ResponsibilityForm.initial_for(line))
    if request.method == "POST" and form.is_valid() and _save(request, form, line.pk):
        return redirect("directory")
    status = 400 if form.errors else 200
    context = {"form": form, "line": line, "slice": slice_of(line)}
    return render(request, "funnel/directory_edit.html", context, status=status)


@login_required
@require_POST
def directory_confirm(request, line_id: int):
    try:
        line = services.responsibility_confirm(user=request.user, responsibility_id=line_id)
    except Responsibility.DoesNotExist:
        messages.error(request, "No such directory line.")
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"Confirmed the line for {slice_of(line)}.")
    return back(request, "directory")


@login_required
@require_POST
def directory_delete(request, line_id: int):
    try:
        services.responsibility_delete(user=request.user, responsibility_id=line_id)
    except Responsibility.DoesNotExist:
        messages.error(request, "No such directory line.")
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        messages.success(request, "Removed the line.")
    return back(request, "directory")
