"""The diagnostic's page: answer the questionnaire, read the level with its evidence and next steps, and see how
it moved over time."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.validation import whole_number
from funnel.diagnostic import levels, questionnaire, selectors, services
from funnel.diagnostic.choices import Level, Respondent
from funnel.views.charts import PALETTE, Chart
from funnel.views.common import error_message

LEVEL_TEXT = {
    Level.UNDEFINED: "Each team runs on its own agenda; they meet when something has gone wrong.",
    Level.DEFINED: "Rules and handoff points keep the peace; a shared language is starting, a lead first.",
    Level.ALIGNED: "Clear but flexible boundaries: the teams plan, meet and sell important accounts together.",
    Level.INTEGRATED: "Shared numbers, processes and rewards: the two win or lose as one.",
}


def _num(value) -> float | None:
    return None if value is None else float(value)


def trend_chart(assessments) -> Chart:
    """Mean totals over time, overall and per side, against the band bounds."""
    days = [a.computed_at.date().isoformat() for a in assessments]
    series = {
        "All respondents": [_num(a.mean_total) for a in assessments],
        "Marketing": [_num(a.marketing_mean) for a in assessments],
        "Sales": [_num(a.sales_mean) for a in assessments],
    }
    bounds = {"data": [{"yAxis": y, "name": str(y)} for y in (40, 60, 80)], "symbol": "none", "silent": True}
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": days, "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "min": 20, "max": 100, "interval": 20},
        "series": [
            {"name": name, "type": "line", "data": values, "connectNulls": True}
            | ({"markLine": {**bounds, "lineStyle": {"type": "dashed", "color": "#9aa3b2"}}} if i == 0 else {})
            for i, (name, values) in enumerate(series.items())
        ],
    }
    rows = [
        [
            day,
            Level(a.level).label,
            *(
                v if v is not None else "—"
                for v in (_num(a.mean_total), _num(a.marketing_mean), _num(a.sales_mean), _num(a.gap))
            ),
        ]
        for day, a in zip(days, assessments, strict=True)
    ]
    headers = ["Assessed", "Level", "All", "Marketing", "Sales", "Gap"]
    return Chart("diagnostic-trend", "Questionnaire totals over time", headers, rows, option)


def group_chart(groups: dict) -> Chart:
    """Each group's mean rating per side: where the two see the relationship differently (dashboard only)."""
    keys = list(questionnaire.GROUPS)
    labels = [questionnaire.GROUPS[k][0] for k in keys]
    sides = {Respondent(f).label: [groups.get(f, {}).get(k) for k in keys] for f in Respondent.values}
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "min": 0, "max": 5, "interval": 1},
        "yAxis": {"type": "category", "data": labels, "inverse": True},
        "series": [{"name": name, "type": "bar", "data": values} for name, values in sides.items()],
    }
    rows = [
        [label, *(v if v is not None else "—" for v in values)]
        for label, *values in zip(labels, *sides.values(), strict=True)
    ]
    return Chart("diagnostic-groups", "Mean rating by group and side (1–5)", ["Group", *sides], rows, option, 360)


def threshold_text(item: dict) -> str:
    if item["key"] == "target":
        return "one signed for the period"
    if item["unit"] == "days":
        return f"at most {item['threshold']:.0f} days ago"
    return f"at least {item['threshold']:.0%}"


def _statements(submitted: dict, errors: dict) -> list[dict]:
    return [
        {"s": s, "value": submitted.get(str(s.number)), "error": " ".join(errors.get(f"answers.{s.number}", []))}
        for s in questionnaire.statement_list()
    ]


def _context(request, submitted: dict | None = None, errors: dict | None = None) -> dict:
    latest = selectors.assessment_latest()
    mine = selectors.response_list(user=request.user).first()
    trend = selectors.assessment_trend()
    own = request.user.function if request.user.function in Respondent.values else None
    return {
        "latest": latest,
        "evidence": [
            {**item, "threshold_text": threshold_text(item)}
            for item in selectors.evidence_for(evidence=latest.evidence, user=request.user)
        ]
        if latest
        else [],
        "level_text": LEVEL_TEXT,
        "levels": [(level, LEVEL_TEXT[level]) for level in Level],
        "mine": mine,
        "statements": _statements(submitted if submitted is not None else (mine.answers if mine else {}), errors or {}),
        "scale": questionnaire.SCALE_LABELS,
        "own_function": own,
        "sides": Respondent.choices,
        "chosen_function": (submitted or {}).get("function") or (mine.function if mine else ""),
        "errors": errors or {},
        "may_assess": services.may_assess(request.user),
        "charts": [trend_chart(trend), group_chart(latest.groups)] if latest else [],
        "level_rules": levels.__doc__,
    }


@login_required
def diagnostic(request):
    return render(request, "funnel/diagnostic.html", _context(request))


@login_required
@require_POST
def diagnostic_answer(request):
    raw = {k[1:]: v for k, v in request.POST.items() if k.startswith("s") and k[1:].isdigit()}
    # Not a whole number ('²', 5,000 digits): passed on as text, which the service refuses by statement.
    answers = {k: v if whole_number(v, max_digits=3) is None else int(v) for k, v in raw.items()}
    try:
        response = services.response_submit(user=request.user, answers=answers, function=request.POST.get("function"))
    except ValidationError as exc:
        context = _context(request, {**raw, "function": request.POST.get("function", "")}, exc.message_dict)
        return render(request, "funnel/diagnostic.html", context, status=400)
    except DomainError as exc:
        error_message(request, exc)
        return redirect("diagnostic")
    messages.success(request, f"Thank you: your answers total {response.total} of 100.")
    return redirect("diagnostic")


@login_required
@require_POST
def diagnostic_assess(request):
    try:
        assessment = services.assessment_create(user=request.user)
    except DomainError as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"Assessed: {Level(assessment.level).label.lower()}.")
    return redirect("diagnostic")
