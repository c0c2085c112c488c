"""The taxonomies' curation page (administrators and managers): every term by kind with its synonyms and how
many reports carry it; reps' suggestions to accept, reject or merge into an accepted term; a new term."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError
from crm.choices import TagKind, TagStatus
from crm.models import Tag
from crm.services import taxonomy
from funnel.forms import add_service_errors
from funnel.views.common import error_message


class TermForm(forms.Form):
    kind = forms.ChoiceField(choices=TagKind.choices)
    label = forms.CharField(max_length=100)
    synonyms = forms.CharField(
        max_length=2000, required=False, help_text="Other wordings, separated by commas.", label="Synonyms"
    )


class MergeForm(forms.Form):
    into = forms.IntegerField(min_value=1, max_value=2**63 - 1)


def _curator(request) -> None:
    if not taxonomy.may_curate(request.user):
        raise PermissionDenied("Administrators and managers curate the taxonomies.")


def _page(request, form: TermForm | None = None, status: int = 200):
    terms = list(taxonomy.tag_curation_list().order_by("kind", "label"))
    kinds = []
    for kind, label in TagKind.choices:
        of_kind = [t for t in terms if t.kind == kind]
        kinds.append(
            {
                "kind": kind,
                "label": label,
                "accepted": [t for t in of_kind if t.status == TagStatus.ACCEPTED],
                "rejected": [t for t in of_kind if t.status == TagStatus.REJECTED],
            }
        )
    suggestions = [t for t in terms if t.status == TagStatus.SUGGESTED]
    targets = {k["kind"]: k["accepted"] for k in kinds}
    context = {
        "kinds": kinds,
        "suggestions": [(t, targets[t.kind]) for t in suggestions],
        "form": form or TermForm(),
    }
    return render(request, "funnel/taxonomy.html", context, status=status)


@login_required
def taxonomy_page(request):
    _curator(request)
    return _page(request)


@login_required
@require_POST
def taxonomy_term_add(request):
    _curator(request)
    form = TermForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        synonyms = [s for s in data["synonyms"].split(",") if s.strip()]
        try:
            tag = taxonomy.tag_suggest(user=request.user, kind=data["kind"], label=data["label"], synonyms=synonyms)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"“{tag.label}” is a {tag.get_kind_display().lower()} term ({tag.slug}).")
            return redirect("taxonomy")
    return _page(request, form=form, status=400)


def _decide(request, verb, tag_id: int):
    _curator(request)
    try:
        tag = verb(user=request.user, tag_id=tag_id)
    except Tag.DoesNotExist:
        messages.error(request, "No such term.")
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"“{tag.label}” is {tag.get_status_display().lower()}.")
    return redirect("taxonomy")


@login_required
@require_POST
def taxonomy_accept(request, tag_id: int):
    return _decide(request, taxonomy.tag_accept, tag_id)


@login_required
@require_POST
def taxonomy_reject(request, tag_id: int):
    return _decide(request, taxonomy.tag_reject, tag_id)


@login_required
@require_POST
def taxonomy_merge(request, tag_id: int):
    _curator(request)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the accepted term to merge into.")
        return redirect("taxonomy")
    try:
        kept = taxonomy.tag_merge(user=request.user, tag_id=tag_id, into_id=form.cleaned_data["into"])
    except Tag.DoesNotExist:
        messages.error(request, "No such term.")
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"Merged into “{kept.label}”: its reports carry it, and the wording is a synonym.")
    return redirect("taxonomy")
