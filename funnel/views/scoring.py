"""The scoring model's page: the active rules as rows, the score distribution, proposals with what they would
change, sign-off, and an editor that proposes a new version row by row."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F
from django.db.models.functions import Least
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.validation import whole_number
from crm.choices import TouchKind
from funnel.simulation.scoring import scoring_version_preview
from funnel.templatetags import ui
from funnel.views.charts import bars
from funnel.views.common import error_message
from leads import criteria
from leads.choices import VersionStatus
from leads.models import Lead, LeadScore
from leads.scoring import rules, services
from leads.scoring.models import ScoringModelVersion
from leads.signoff import SIGNERS

BLANK_FIT_ROWS = 3
OPS = sorted({op for ops in criteria.OPERATORS.values() for op in ops})


class FitRow(forms.Form):
    label = forms.CharField(max_length=200, required=False)
    field = forms.ChoiceField(choices=[("", "—")] + [(f, f) for f in rules.FIT_FIELDS], required=False)
    op = forms.ChoiceField(choices=[(op, criteria.OPERATOR_WORDS[op]) for op in OPS], required=False)
    value = forms.CharField(max_length=2000, required=False, help_text="Comma-separate the values of “is one of”.")
    points = forms.IntegerField(min_value=-100, max_value=100, required=False)


class EngagementRow(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    points = forms.IntegerField(min_value=-100, max_value=100, required=False)
    half_life_days = forms.IntegerField(min_value=1, max_value=rules.MAX_HALF_LIFE_DAYS, required=False)
    cap = forms.IntegerField(min_value=1, max_value=100, required=False)


FitRows = forms.formset_factory(FitRow, extra=0, max_num=rules.MAX_FIT_RULES, validate_max=True)
EngagementRows = forms.formset_factory(EngagementRow, extra=0, max_num=len(TouchKind.values), validate_max=True)


def _condition(row: dict) -> dict:
    op, field = row["op"], row["field"]
    if op in criteria.NO_VALUE:
        return {"field": field, "op": op}
    value: object = row["value"].strip()
    if op in ("in", "not_in"):
        value = [part.strip() for part in str(value).split(",") if part.strip()]
    elif criteria.FIELDS.get(field) == criteria.NUMBER:
        value = criteria.as_number(value)
        value = None if value is None else (int(value) if value == int(value) else float(value))
    return {"field": field, "op": op, "value": value}


def _rules_from(fit: forms.BaseFormSet, engagement: forms.BaseFormSet) -> tuple[list, list]:
    fit_rules = []
    for row in fit.cleaned_data:
        if row.get("field"):
            rule = {"when": _condition(row), "points": row.get("points")}
            if row.get("label"):
                rule["label"] = row["label"]
            fit_rules.append(rule)
    engagement_rules = [
        {
            "kind": row["kind"],
            "points": row["points"],
            "half_life_days": row.get("half_life_days"),
            "cap": row.get("cap"),
        }
        for row in engagement.cleaned_data
        if row.get("points") not in (None, 0)
    ]
    return fit_rules, engagement_rules


def _initial(version: ScoringModelVersion | None) -> tuple[list, list]:
    fit = []
    for rule in version.fit_rules if version else []:
        when = rule["when"]
        value = when.get("value", "")
        fit.append(
            {
                "label": rule.get("label", ""),
                "field": when.get("field", ""),
                "op": when.get("op", "eq"),
                "value": ", ".join(value) if isinstance(value, list) else value,
                "points": rule["points"],
            }
        )
    fit += [{}] * BLANK_FIT_ROWS
    by_kind = {rule["kind"]: rule for rule in (version.engagement_rules if version else [])}
    engagement = [{"kind": kind, **by_kind.get(kind, {})} for kind in TouchKind.values]
    return fit, engagement


def _distribution():
    bands = Lead.objects.annotate(band=Least(F("score") / 10, 9)).values("band").annotate(n=Count("id"))
    counts = {row["band"]: row["n"] for row in bands}
    labels = [f"{10 * b}–{10 * b + 9 if b < 9 else 100}" for b in range(10)]
    return bars("distribution", "Leads by score", labels, [counts.get(b, 0) for b in range(10)], "Leads")


def _preview(version: ScoringModelVersion) -> dict:
    report = scoring_version_preview(version=version)
    codes = report["definitions"]
    headers = ["Segment", "Source campaign", "Leads", "Grade moves"]
    headers += [f"{verb} {code}" for code in codes for verb in ("Newly", "No longer")]
    names = ["leads", "grade_moves", *(f"{code}:{m}" for code in codes for m in ("newly_met", "no_longer_met"))]
    rows = [
        list(
            zip(
                headers,
                [ui.label(row["segment"], "segment"), row["source"] or "—", *(row[n] for n in names)],
                strict=True,
            )
        )
        for row in report["by_segment_and_source"]
    ]
    summary = [
        (code, report["totals"][f"{code}:newly_met"], report["totals"][f"{code}:no_longer_met"]) for code in codes
    ]
    return {"version": version, "totals": report["totals"], "summary": summary, "headers": headers, "rows": rows}


def _grade_matrix() -> list[tuple[str, list[int]]]:
    counts = dict(LeadScore.objects.values("grade").annotate(n=Count("lead")).values_list("grade", "n"))
    return [(letter, [counts.get(f"{letter}{digit}", 0) for digit in "1234"]) for letter in "ABCD"]


def _page(request, fit=None, engagement=None, problems=None, status=200):
    active = services.scoring_version_active()
    proposals = list(ScoringModelVersion.objects.filter(status=VersionStatus.PROPOSED).select_related("proposed_by"))
    preview_id = whole_number(request.GET.get("preview", ""))
    preview = None
    if preview_id is not None:
        version = next((v for v in proposals if v.pk == preview_id), None)
        preview = _preview(version) if version else None
    fit_initial, engagement_initial = _initial(active)
    context = {
        "active": active,
        "active_fit": [
            (r.get("label") or criteria.describe(r["when"]), r["points"]) for r in (active.fit_rules if active else [])
        ],
        "proposals": proposals,
        "preview": preview,
        "grades": _grade_matrix(),
        "chart": _distribution(),
        "fit": fit or FitRows(initial=fit_initial, prefix="fit"),
        "engagement": engagement or EngagementRows(initial=engagement_initial, prefix="engagement"),
        "kind_labels": dict(TouchKind.choices),
        "problems": problems or [],
        "may_propose": request.user.role in services.PROPOSERS or request.user.is_superuser,
        "sides": [side for side, roles in SIGNERS.items() if request.user.role in roles],
    }
    return render(request, "funnel/scoring.html", context, status=status)


@login_required
def scoring_page(request):
    return _page(request)


@login_required
@require_POST
def scoring_propose(request):
    fit, engagement = FitRows(request.POST, prefix="fit"), EngagementRows(request.POST, prefix="engagement")
    if not (fit.is_valid() and engagement.is_valid()):
        return _page(request, fit, engagement, ["Check the rows marked below."], status=400)
    fit_rules, engagement_rules = _rules_from(fit, engagement)
    try:
        version = services.scoring_version_propose(
            user=request.user,
            fit_rules=fit_rules,
            engagement_rules=engagement_rules,
            note=request.POST.get("note", "")[:2000],
        )
    except ValidationError as exc:
        lines = [m for messages_ in exc.message_dict.values() for m in messages_]
        return _page(request, fit, engagement, lines, status=400)
    except DomainError as exc:
        return _page(request, fit, engagement, [exc.message], status=403)
    messages.success(request, f"Scoring v{version.number} proposed: see what it would change, then both sides sign.")
    return redirect(f"{reverse('scoring')}?preview={version.pk}#v{version.pk}")


@login_required
@require_POST
def scoring_sign_off(request, version_id: int):
    get_object_or_404(ScoringModelVersion, pk=version_id)
    try:
        version = services.scoring_version_sign_off(
            version_id=version_id, user=request.user, side=request.POST.get("side") or None
        )
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        done = "is active: every lead is being rescored" if version.status == VersionStatus.ACTIVE else "is signed"
        messages.success(request, f"Scoring v{version.number} {done}.")
    return redirect("scoring")
