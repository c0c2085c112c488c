"""Collateral: sales's review queue, every asset with the version sales may use, and using one with a lead."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.validation import whole_number
from crm import selectors
from crm.choices import CollateralKind, CollateralStatus, PreviewDecision, Segment, Stage
from crm.models import CollateralVersion
from crm.services import collateral as services
from crm.services.campaigns import may_run
from funnel.forms import add_service_errors
from funnel.services.collateral import collateral_use_record
from funnel.views.common import error_message


class CollateralForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=CollateralKind.choices)
    stages = forms.MultipleChoiceField(choices=Stage.choices, required=False, widget=forms.CheckboxSelectMultiple)
    segments = forms.MultipleChoiceField(choices=Segment.choices, required=False, widget=forms.CheckboxSelectMultiple)
    link = forms.URLField(max_length=500, help_text="Where the file lives.")
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VersionForm(forms.Form):
    link = forms.URLField(max_length=500)
    notes = forms.CharField(max_length=2000, required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=PreviewDecision.choices, widget=forms.RadioSelect)
    comments = forms.CharField(max_length=2000, required=False)


def _page(request, form=None, status=200):
    versions = selectors.collateral_version_list()
    context = {
        "queue": versions.filter(status=CollateralStatus.IN_REVIEW).order_by("submitted_at"),
        "approved": versions.filter(status=CollateralStatus.APPROVED).order_by("reviewed_at"),
        "assets": selectors.collateral_list().prefetch_related(
            Prefetch("versions", queryset=CollateralVersion.objects.select_related("reviewer"))
        ),
        "released": {v.collateral_id: v for v in versions.filter(status=CollateralStatus.RELEASED)},
        "may_review": request.user.role in services.REVIEWERS,
        "may_run": may_run(request.user),
        "form": form or CollateralForm(),
        "review_form": ReviewForm(),
        "version_form": VersionForm(),
    }
    return render(request, "funnel/collateral.html", context, status=status)


@login_required
def collateral_page(request):
    return _page(request)


@login_required
@require_POST
def collateral_create(request):
    form = CollateralForm(request.POST)
    if form.is_valid():
        try:
            services.collateral_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{form.cleaned_data['title']} v1 is in sales review.")
            return redirect("collateral")
    return _page(request, form=form, status=400)


def _act(request, action, success: str):
    try:
        action()
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    except ObjectDoesNotExist:
        messages.error(request, "No such collateral.")
    else:
        messages.success(request, success)


@login_required
@require_POST
def collateral_version_new(request, collateral_id: int):
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " · ".join(f"{f}: {e[0]}" for f, e in form.errors.items()))
        return redirect("collateral")
    _act(
        request,
        lambda: services.collateral_version_submit(user=request.user, collateral_id=collateral_id, **form.cleaned_data),
        "The new version is in sales review; the released one stays in use until it is released.",
    )
    return redirect("collateral")


@login_required
@require_POST
def collateral_review(request, version_id: int):
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or request changes.")
        return redirect("collateral")
    _act(
        request,
        lambda: services.collateral_version_review(user=request.user, version_id=version_id, **form.cleaned_data),
        "Review recorded.",
    )
    return redirect("collateral")


@login_required
@require_POST
def collateral_release(request, version_id: int):
    _act(
        request,
        lambda: services.collateral_version_release(user=request.user, version_id=version_id),
        "Released: sales can use it with buyers now.",
    )
    return redirect("collateral")


@login_required
@require_POST
def collateral_use(request, lead_id: int):
    version = whole_number(request.POST.get("version", ""))
    if version is None:
        messages.error(request, "Choose the collateral you used.")
        return redirect("lead-detail", lead_id)
    try:
        collateral_use_record(user=request.user, version_id=version, lead_id=lead_id)
    except (DomainError, ValidationError, PermissionDenied) as exc:
        error_message(request, exc)
    except ObjectDoesNotExist:
        messages.error(request, "No such lead or collateral.")
    else:
        messages.success(request, "Recorded: the collateral was used at this stage.")
    return redirect("lead-detail", lead_id)
