"""The shared target's pages: the list of targets with the propose form (and its splits), and a target's page —
its sign-off, attainment as a gauge and per split, the forecast from the open funnel, and the reverse funnel as
a table and a chart by week. Every count links to the leads behind it (among those the viewer may see)."""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team
from config.errors import DomainError
from crm.choices import Segment
from crm.models.campaigns import MAX_AMOUNT
from funnel.forms import add_service_errors
from funnel.targets import selectors, services
from funnel.targets.choices import LeadSet, TargetPeriod
from funnel.targets.models import RevenueTarget
from funnel.targets.periods import next_period_start
from funnel.views.charts import PALETTE, Chart
from leads.choices import SignOffSide, Stage
from leads.selectors import lead_list

SPLIT_ROWS = 4


START_HELP = "A period's first day: the 1st of a month; 1 Jan, 1 Apr, 1 Jul or 1 Oct for a quarter; 1 Jan for a year."


class TargetForm(forms.Form):
    period_kind = forms.ChoiceField(choices=TargetPeriod.choices, initial=TargetPeriod.QUARTER, label="Period")
    period_start = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="Starting on", help_text=START_HELP
    )
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT)
    currency = forms.RegexField(r"^[A-Z]{3}$", initial="USD", max_length=3)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)

    def __init__(self, *args, today: date, **kwargs):
        # The next period of each kind: the start defaults to the chosen kind's (static/js/target-form.js swaps
        # it when the kind changes), since the service refuses a date that does not begin its period.
        starts = {kind: next_period_start(kind=kind, today=today) for kind in TargetPeriod.values}
        super().__init__(*args, initial={"period_start": starts[TargetPeriod.QUARTER]}, **kwargs)
        self.fields["period_kind"].widget.attrs.update({f"data-next-{k}": v.isoformat() for k, v in starts.items()})


class SplitForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), required=False, empty_label="Any team")
    segment = forms.ChoiceField(choices=[("", "Any segment"), *Segment.choices], required=False)
    amount = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.01"), max_value=MAX_AMOUNT, required=False
    )

    def clean(self):
        data = super().clean()
        # A row naming a team or segment without an amount was dropped without a word.
        if (data.get("team") or data.get("segment")) and data.get("amount") is None and "amount" not in self.errors:
            raise ValidationError("give this split an amount, or clear its team and segment.")
        return data


SplitFormSet = forms.formset_factory(SplitForm, extra=SPLIT_ROWS, max_num=services.MAX_SPLITS, validate_max=True)


def _splits(formset) -> tuple[list[services.Split], list[int]]:
    """The filled rows as splits, and the formset row of each (empty rows are skipped)."""
    filled = [(i, row) for i, row in enumerate(formset.cleaned_data) if row and row.get("amount")]
    splits = [services.Split(amount=r["amount"], team=r.get("team"), segment=r.get("segment") or "") for _, r in filled]
    return splits, [i for i, _ in filled]


def _place_split_errors(exc: ValidationError, formset, rows: list[int]) -> ValidationError | None:
    """Puts each split's problem on its own row (the template reads "Row 2: …") and the splits' other problems
    (their total) above the rows; returns the errors left for the form."""
    if not hasattr(exc, "error_dict"):
        return exc
    for error in exc.error_dict.pop("splits", []):
        params = error.params or {}
        if "index" in params and params["index"] < len(rows):
            formset.forms[rows[params["index"]]].add_error(None, params["problem"])
        else:
            formset.non_form_errors().extend(error.messages)
    return exc if exc.error_dict else None


@login_required
@require_GET
def target_list(request, form=None, splits=None, status: int = 200):
    today = timezone.localdate()
    context = {
        "targets": selectors.target_list(),
        "active": selectors.target_active(on=today),
        "may_propose": request.user.is_superuser or request.user.role in services.PROPOSERS,
        "form": form or TargetForm(today=today),
        "splits": splits or SplitFormSet(prefix="split"),
    }
    return render(request, "funnel/target_list.html", context, status=status)


@login_required
@require_POST
def target_propose(request):
    form = TargetForm(request.POST, today=timezone.localdate())
    splits = SplitFormSet(request.POST, prefix="split")
    if form.is_valid() and splits.is_valid():
        shares, rows = _splits(splits)
        try:
            target = services.target_propose(**form.cleaned_data, splits=shares, proposed_by=request.user)
        except ValidationError as exc:
            if rest := _place_split_errors(exc, splits, rows):
                add_service_errors(form, rest)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Target proposed: it counts once a marketing and a sales signer commit to it.")
            return redirect("target-detail", target.pk)
    request.method = "GET"
    return target_list(request, form=form, splits=splits, status=400)


def _target(target_id: int) -> RevenueTarget:
    try:
        return selectors.target_get(target_id=target_id)
    except RevenueTarget.DoesNotExist:
        raise Http404("No such target.") from None


def gauge(attained) -> Chart:
    percent = float(attained.percent or 0)
    option = {
        "series": [
            {
                "type": "gauge",
                "min": 0,
                "max": max(100, round(percent / 25 + 0.5) * 25),
                "progress": {"show": True, "width": 14},
                "axisLine": {"lineStyle": {"width": 14}},
                "title": {"show": False},
                "detail": {"formatter": "{value} %", "fontSize": 22, "offsetCenter": [0, "75%"]},
                "data": [{"value": percent, "name": "of the target"}],
                "itemStyle": {"color": PALETTE[1] if percent >= 100 else PALETTE[0]},
            }
        ]
    }
    rows = [
        ["Revenue so far", f"{attained.revenue:,.2f}"],
        ["Target", f"{attained.amount:,.2f}"],
        ["Attained", f"{percent} %"],
    ]
    return Chart("attainment", "Attainment so far", ["", "Value"], rows, option, height=260)


def weekly_chart(funnel) -> Chart:
    """The shortfall per week (the headline's "Short by", spread over the weeks), not the gross need."""
    names = selectors.NEED_NAMES
    weeks = [row["week"].strftime("%d %b") for row in funnel.weeks]
    series = {label: [row["short"][key] or 0 for row in funnel.weeks] for key, label in names.items()}
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": weeks, "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": n, "type": "bar", "data": values} for n, values in series.items()],
    }
    rows = [[w, *(values[i] for values in series.values())] for i, w in enumerate(weeks)]
    title = "Short by, in the week it must happen (beyond what the funnel holds now)"
    return Chart("reverse-funnel", title, ["Week of", *series], rows, option)


def week_rows(funnel) -> list[dict]:
    """The by-week table: per milestone, the shortfall and the gross need of the week; overdue in words."""
    return [
        {
            "week": row["week"],
            "overdue": selectors.need_words(row["overdue"]),
            "cells": [(name, row["short"][name], row[name]) for name in selectors.NEED_NAMES],
        }
        for row in funnel.weeks
    ]


def _report(target: RevenueTarget) -> dict:
    attainment = selectors.target_attainment(target=target)
    forecast = selectors.target_forecast(target=target, attained=attainment.total.revenue)
    funnel = selectors.target_reverse_funnel(target=target, attained=attainment.total.revenue, forecast=forecast)
    needs = [
        {
            "need": need,
            "label": selectors.NEED_NAMES[need.name],
            "held": funnel.held[need.name],
            "gap": funnel.gap(need.name),
            "set": HELD_SETS.get(need.name),
        }
        for need in funnel.needs
    ]
    return {
        "attainment": attainment,
        "forecast": forecast,
        "funnel": funnel,
        "needs": needs,
        "weeks": week_rows(funnel),
        "charts": [gauge(attainment.total)] + ([weekly_chart(funnel)] if funnel.weeks else []),
    }


HELD_SETS = {"sql": LeadSet.HELD_SQLS, "mql": LeadSet.HELD_MQLS, "lead": LeadSet.HELD_LEADS}


@login_required
@require_GET
def target_detail(request, target_id: int):
    target = _target(target_id)
    user = request.user
    context = {
        "target": target,
        "signatures": selectors.target_signatures(target=target, user=user),
        "may_withdraw": target.status == "proposed" and services._may_withdraw(user, target),
        "lead_sets": LeadSet,
        "need_names": selectors.NEED_NAMES,
        **_report(target),
    }
    return render(request, "funnel/target_detail.html", context)


@login_required
@require_POST
def target_sign_off(request, target_id: int):
    target = _target(target_id)
    side = request.POST.get("side") or None
    if side not in (None, *SignOffSide.values):
        messages.error(request, f"side: {side!r} is neither marketing nor sales.")
        return redirect("target-detail", target.pk)
    try:
        signed = services.target_sign_off(target_id=target.pk, user=request.user, side=side)
    except (ValidationError, DomainError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [exc.message]))
    else:
        _signed_message(request, before=target, after=signed)
    return redirect("target-detail", target.pk)


def _signed_message(request, *, before: RevenueTarget, after: RevenueTarget) -> None:
    # Signing again changes nothing (the service is idempotent): say so rather than "Signed." a second time.
    side = SignOffSide.MARKETING if after.marketing_approver_id == request.user.pk else SignOffSide.SALES
    if getattr(before, f"{side}_approver_id") == request.user.pk:
        on = timezone.localtime(getattr(before, f"{side}_signed_at"))
        messages.info(request, f"You had already signed for {side} on {on.day} {on:%b %Y}; nothing changed.")
        return
    done = "It is the number now." if after.status == "active" else "It waits for the other side."
    messages.success(request, f"Signed. {done}")


@login_required
@require_POST
def target_withdraw(request, target_id: int):
    target = _target(target_id)
    try:
        services.target_withdraw(target_id=target.pk, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Proposal withdrawn.")
    return redirect("target-detail", target.pk)


class DrillForm(forms.Form):
    set = forms.ChoiceField(choices=LeadSet.choices)
    split = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    stage = forms.ChoiceField(choices=Stage.choices, required=False)


@login_required
@require_GET
def target_leads(request, target_id: int):
    """The leads behind one number of the target's page, as they are now, among those the viewer may see."""
    target = _target(target_id)
    form = DrillForm(request.GET)
    if not form.is_valid():
        message = " · ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
        return render(
            request,
            "error.html",
            {"status": 400, "title": "That number cannot be listed", "message": message},
            status=400,
        )
    split = None
    if form.cleaned_data["split"]:
        split = target.splits.filter(pk=form.cleaned_data["split"]).first()
        if split is None:
            raise Http404("This target has no such split.")
    stage = form.cleaned_data["stage"]
    behind = selectors.target_leads(target=target, which=form.cleaned_data["set"], split=split)
    if stage:
        behind = behind.filter(stage=stage)
    leads = (
        lead_list(user=request.user)
        .filter(pk__in=behind.values("pk"))
        .select_related("owner", "company")
        .order_by("-expected_value", "-id")
    )
    page = Paginator(leads, 50).get_page(request.GET.get("page"))
    context = {
        "target": target,
        "split": split,
        "stage": stage,
        "what": LeadSet(form.cleaned_data["set"]).label,
        "page": page,
        "behind": behind.count(),  # the number on the target's page; the viewer may see fewer of them
        "back": reverse("target-detail", args=[target.pk]),
        "stages": Stage,
    }
    return render(request, "funnel/target_leads.html", context)
