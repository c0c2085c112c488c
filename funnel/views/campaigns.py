"""Campaign pages: the list with spend against budget, and a campaign's page — its spend entries, the sales
preview, touches over time and what it brought under each attribution model."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.db_router import reads_from_replica
from config.errors import DomainError
from crm import selectors
from crm.choices import CampaignStatus, Channel, PreviewDecision, Segment
from crm.models import Campaign, Touch
from crm.services import campaigns as services
from funnel.attribution.selectors import (
    campaign_credit_by_model,
    campaign_performance,
    campaign_performance_cached,
)
from funnel.attribution.weights import LINEAR, MODEL_LABELS, MODELS, SHORT_LABELS
from funnel.forms import add_service_errors
from funnel.views.charts import bars
from funnel.views.common import error_message


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    channel = forms.ChoiceField(choices=Channel.choices)
    segments = forms.MultipleChoiceField(choices=Segment.choices, required=False, widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    budget = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False)
    currency = forms.RegexField(r"^[A-Z]{3}$", initial="USD", max_length=3)
    requires_sales_preview = forms.BooleanField(required=False, initial=True, label="Sales previews it first")
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))


class SpendForm(forms.Form):
    spent_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=14, decimal_places=2)
    note = forms.CharField(max_length=300, required=False)


class PreviewForm(forms.Form):
    decision = forms.ChoiceField(choices=PreviewDecision.choices, widget=forms.RadioSelect)
    comments = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


@login_required
@reads_from_replica
def campaign_list(request, form: CampaignForm | None = None, status: int = 200):
    model = request.GET.get("model") if request.GET.get("model") in MODELS else LINEAR
    report, computed_at = campaign_performance_cached(model=model)
    performance = {row.campaign: row for row in report}
    campaigns = selectors.campaign_list()
    if request.GET.get("status") in CampaignStatus.values:
        campaigns = campaigns.filter(status=request.GET["status"])
    rows = [(c, performance.get(c.pk), _spent_share(c)) for c in campaigns]
    context = {
        "rows": rows,
        "model": model,
        "models": [(m, MODEL_LABELS[m]) for m in MODELS],
        "statuses": CampaignStatus.choices,
        "form": form or CampaignForm(),
        "may_create": services.may_run(request.user),
        "computed_at": computed_at,
    }
    return render(request, "funnel/campaign_list.html", context, status=status)


def _spent_share(campaign: Campaign) -> int | None:
    if not campaign.budget:
        return None
    return min(100, round(campaign.spent / campaign.budget * 100))


@login_required
@require_POST
def campaign_create(request):
    form = CampaignForm(request.POST)
    if form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{campaign.name} is planned.")
            return redirect("campaign-detail", campaign.pk)
    return campaign_list(request, form=form, status=400)


def _touch_chart(campaign: Campaign):
    weeks = (
        Touch.objects.filter(campaign=campaign)
        .annotate(week=TruncWeek("occurred_at"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    rows = [(w["week"].date(), w["n"]) for w in weeks]
    if not rows:
        return None
    filled, day, counts = [], rows[0][0], dict(rows)
    while day <= rows[-1][0]:  # weeks without a touch show as zero, not as a gap the eye skips
        filled.append((day.isoformat(), counts.get(day, 0)))
        day += timedelta(days=7)
    return bars("touches", "Touches per week", [d for d, _ in filled], [n for _, n in filled], "Touches")


def _campaign_page(request, campaign_id: int, spend_form=None, preview_form=None, status: int = 200):
    campaign = get_object_or_404(selectors.campaign_list(), pk=campaign_id)
    credited = campaign_credit_by_model(campaign_id=campaign.pk)
    performance = campaign_performance(model=LINEAR, campaign_id=campaign.pk)[0]
    revenue_chart = bars(
        "by-model",
        "Revenue credited to this campaign, by attribution model",
        [SHORT_LABELS[m] for m in MODELS],
        [credited.get(m, 0) for m in MODELS],
        f"Revenue ({campaign.currency})",
        money=True,
    )
    may_run = services.may_run(request.user, campaign)
    context = {
        "campaign": campaign,
        "performance": performance,
        "spend": selectors.campaign_spend_list(campaign=campaign),
        "previews": selectors.campaign_preview_list(campaign=campaign),
        "charts": [chart for chart in (_touch_chart(campaign), revenue_chart) if chart],
        "may_run": may_run,
        "may_record_spend": may_run and campaign.status not in services.FINAL,
        "may_preview": campaign.status == CampaignStatus.AWAITING_PREVIEW and request.user.role in services.PREVIEWERS,
        "spend_form": spend_form or SpendForm(),
        "preview_form": preview_form or PreviewForm(),
        "spent_share": _spent_share(campaign),
    }
    return render(request, "funnel/campaign_detail.html", context, status=status)


@login_required
@reads_from_replica
def campaign_detail(request, campaign_id: int):
    return _campaign_page(request, campaign_id)


@login_required
@require_POST
def campaign_spend(request, campaign_id: int):
    form = SpendForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_spend_record(user=request.user, campaign_id=campaign_id, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Spend recorded.")
            return redirect("campaign-detail", campaign_id)
    return _campaign_page(request, campaign_id, spend_form=form, status=400)


@login_required
@require_POST
def campaign_preview(request, campaign_id: int):
    form = PreviewForm(request.POST)
    if form.is_valid():
        try:
            services.campaign_preview_decide(user=request.user, campaign_id=campaign_id, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Preview recorded.")
            return redirect("campaign-detail", campaign_id)
    return _campaign_page(request, campaign_id, preview_form=form, status=400)


STEPS = {
    "submit": services.campaign_submit_for_preview,
    "activate": services.campaign_activate,
    "complete": services.campaign_complete,
    "cancel": services.campaign_cancel,
}


@login_required
@require_POST
def campaign_step(request, campaign_id: int, step: str):
    try:
        campaign = STEPS[step](user=request.user, campaign_id=campaign_id)
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    except Campaign.DoesNotExist:
        messages.error(request, "No such campaign.")
        return redirect("campaign-list")
    else:
        messages.success(request, f"{campaign.name} is {campaign.get_status_display().lower()}.")
    return redirect("campaign-detail", campaign_id)
