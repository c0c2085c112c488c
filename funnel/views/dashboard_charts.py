"""The dashboard's charts and tables from its stored numbers (funnel.metrics.dashboard.Dashboard): each chart
through funnel.views.charts (option, table and CSV from one structure), each table cell a Number the template
links to its leads."""

from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from crm.choices import Channel
from funnel.attribution.weights import MODEL_LABELS, MODELS
from funnel.metrics.dashboard import STAGES, Dashboard, Number
from funnel.views import charts
from leads.choices import Stage

HANDOFF_COLUMNS = [
    ("handoffs_created", "Opened"),
    ("handoffs_accepted", "Accepted"),
    ("handoffs_rejected", "Rejected"),
    ("handoff_acceptance_rate", "Acceptance"),
    ("handoff_accept_hours_median", "Median hours to accept"),
    ("handoff_accept_hours_p90", "p90 hours"),
    ("sla_accept_compliance", "Accept SLA met"),
    ("sla_first_touch_compliance", "First-touch SLA met"),
]
WIN_RATE = "Win rate (%)"
# Shown as "—" in a period without them, so the cards do not come and go between periods.
ALWAYS_SHOWN = {"revenue", "marketing_sourced_revenue", "marketing_influenced_revenue", "cost_per_lead"}
RATES = {"handoff_acceptance_rate", "sla_accept_compliance", "sla_first_touch_compliance", "win_rate"}
MONEY_KPIS = [
    ("revenue", "Revenue"),
    ("gross_margin_per_customer", "Gross margin per customer"),
    ("marketing_sourced_revenue", "Marketing-sourced revenue"),
    ("marketing_influenced_revenue", "Marketing-influenced revenue (includes sourced)"),
    ("cost_per_lead", "Cost per lead"),
    ("cost_per_mql", "Cost per MQL"),
    ("cost_per_customer", "Cost per customer"),
    ("sales_expense_to_sales", "Sales expense to sales"),
]


@dataclass
class Cell:
    """A number as shown, and the row identity its drill-down link needs (None: nothing to link)."""

    text: str
    number: Number | None = None
    currency: str = ""


def _value(number: Number | None) -> Decimal | None:
    return None if number is None else number.value


def _rounded(value: Decimal | None, places: int) -> Decimal | None:
    """As a chart's table and CSV show it: stored values carry the database's full scale (36500.000000)."""
    return None if value is None else value.quantize(Decimal(1).scaleb(-places))


def show(number: Number | None, *, rate: bool = False, money: str = "", digits: int = 1) -> Cell:
    if number is None or number.value is None:
        return Cell("—")
    if rate:
        return Cell(f"{number.value * 100:.1f} %", number)
    if money:
        places = 0 if abs(number.value) >= 1000 else 2
        return Cell(f"{number.value:,.{places}f} {money}", number, money)
    if number.value == number.value.to_integral_value():
        return Cell(f"{int(number.value):,}", number)
    return Cell(f"{number.value:,.{digits}f}", number)


def _stage_label(stage: str) -> str:
    return Stage(stage).label


def _period_label(board: Dashboard, start) -> str:
    return start.strftime("%-d %b %Y" if board.period.kind in ("day", "week") else "%b %Y")


def dashboard_charts(board: Dashboard, channel_returns: dict | None = None) -> dict[str, charts.Chart]:
    """The page's charts; `channel_returns` (funnel.metrics.dashboard.channel_returns) draws the whole company's
    campaign return per channel, where the models differ."""
    entered = [(_stage_label(s), int(_value(board.get("entered", s)) or 0)) for s in STAGES]
    found = {"funnel": charts.funnel("funnel", "Leads entering each stage", entered, labels_beside=True)}
    found["time"] = charts.grouped_bars(
        "time-in-stage",
        "Days in each stage (passes that left it in the period)",
        [_stage_label(s) for s in STAGES],
        {
            "Median": [_rounded(_value(board.get("time_in_stage_median", s)), 1) for s in STAGES],
            "90th percentile": [_rounded(_value(board.get("time_in_stage_p90", s)), 1) for s in STAGES],
        },
        unit="days",
    )
    found.update(_trend_charts(board))
    found["return"] = _channel_return_chart(channel_returns) if channel_returns else _return_chart(board)
    return found


def _channel_return_chart(returns: dict) -> charts.Chart:
    currencies = {currency for _, _, currency in returns}
    columns = sorted({(channel, currency) for channel, _, currency in returns})
    names = [Channel(c).label if c in Channel.values else c or "No channel" for c, _ in columns]
    if len(currencies) > 1:  # never one bar for dollars and euros together
        names = [f"{name} ({currency})" for name, (_, currency) in zip(names, columns, strict=True)]
    series = {
        MODEL_LABELS[m]: [_rounded(returns.get((channel, m, currency)), 2) for channel, currency in columns]
        for m in MODELS
    }
    title = "Campaign return by attribution model, per channel (×)"
    return charts.grouped_bars("return-by-model", title, names, series)


def _trend_charts(board: Dashboard) -> dict[str, charts.Chart]:
    labels = [_period_label(board, p.start) for p, _ in board.trend]
    entered = {_stage_label(s): [int(_value(n.get(("entered", s, ""))) or 0) for _, n in board.trend] for s in STAGES}
    currencies = sorted({to for _, n in board.trend for (m, _, to) in n if m == "revenue"})
    revenue = {
        f"Revenue ({c})": [_rounded(_value(n.get(("revenue", "", c))), 2) for _, n in board.trend] for c in currencies
    }
    rates = [_value(n.get(("win_rate", "", ""))) for _, n in board.trend]
    revenue[WIN_RATE] = [None if rate is None else _rounded(rate * 100, 1) for rate in rates]
    kind = board.period.kind
    return {
        "trend": charts.lines("trend-entered", f"Leads entering each stage, by {kind}", labels, entered),
        "revenue": charts.lines(
            "trend-revenue", f"Revenue and win rate, by {kind}", labels, revenue, right=(WIN_RATE,)
        ),
    }


def _return_chart(board: Dashboard) -> charts.Chart:
    rows = board.all("return_on_spend")
    currencies = sorted({n.to_stage for n in rows})
    series = {
        f"Return on {c} spend (×)": [_rounded(_value(board.get("return_on_spend", m, c)), 2) for m in MODELS]
        for c in currencies
    }
    return charts.grouped_bars(
        "return-by-model", "Campaign return by attribution model", [MODEL_LABELS[m] for m in MODELS], series
    )


def dashboard_tables(board: Dashboard) -> dict[str, list]:
    return {"conversions": _conversions(board), "handoffs": _handoffs(board), "kpis": _kpis(board)}


def _conversions(board: Dashboard) -> list[dict]:
    rows = []
    for here, after in pairwise(STAGES):
        cohort = board.get("cohort_conversion", here, after)
        rows.append(
            {
                "from": here,
                "to": after,
                "cohort": show(cohort, rate=True),
                "entered": show(_part(cohort, "denominator")),
                "reached": show(_part(cohort, "numerator")),
                "immature": bool(cohort and (cohort.detail or {}).get("immature")),
                "flow": show(board.get("flow_conversion", here, after), rate=True),
            }
        )
    return rows


def _part(number: Number | None, which: str) -> Number | None:
    """The numerator or denominator of a ratio as a Number of its own (its link lists that part's leads)."""
    if number is None:
        return None
    part = Number(number.metric, getattr(number, which), stage=number.stage, to_stage=number.to_stage)
    part.detail = {"part": which}
    return part


def _directions(board: Dashboard) -> list[tuple[str, str]]:
    """Both ways first, then each direction (owning function to owning function) that saw a handoff."""
    found = {(n.stage, n.to_stage) for metric, _ in HANDOFF_COLUMNS for n in board.all(metric) if n.stage}
    return [("", ""), *sorted(found)]


def _handoffs(board: Dashboard) -> list[dict]:
    rows = []
    for source, target in _directions(board):
        cells = [show(board.get(metric, source, target), rate=metric in RATES) for metric, _ in HANDOFF_COLUMNS]
        if any(cell.number for cell in cells):
            rows.append({"direction": f"{source} → {target}" if source else "Both ways", "cells": cells})
    return rows


def _kpis(board: Dashboard) -> list[dict]:
    kpis = [
        {"label": "Closings (purchases)", "cell": show(board.get("closings"))},
        {"label": "New customers", "cell": show(board.get("new_customers"))},
        {"label": "Win rate", "cell": show(board.get("win_rate"), rate=True)},
        {
            "label": "Median days awareness → purchase",
            "cell": show(board.get("velocity_median", "awareness", "purchase")),
        },
    ]
    for metric, label in MONEY_KPIS:
        if not board.all(metric) and metric in ALWAYS_SHOWN:
            kpis.append({"label": label, "cell": Cell("—")})
        for number in sorted(board.all(metric), key=lambda n: n.to_stage):
            is_ratio = metric == "sales_expense_to_sales"
            cell = show(number, rate=is_ratio, money="" if is_ratio else number.to_stage)
            kpis.append({"label": f"{label}" + (f" ({number.to_stage})" if is_ratio else ""), "cell": cell})
    return kpis
