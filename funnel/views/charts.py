"""Charts for the web pages: one structure gives the ECharts option, the same numbers as a table (the
fallback a screen reader and a printer use) and as a CSV download. No chart ships numbers the table lacks."""

import csv
import io
import json
from dataclasses import dataclass, field
from urllib.parse import quote

from config.spreadsheets import formula_like
from funnel.queues import OPEN_STAGES, Workload
from leads.choices import Stage

PALETTE = ["#2357c6", "#1e7a3c", "#b36b00", "#6a3fa0", "#b3261e", "#0f7b8a", "#5b6475"]


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run (config.spreadsheets); a number such as -5 stays a number."""
    text = str(value)
    return f"'{text}" if formula_like(text) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class Chart:
    key: str
    title: str
    headers: list[str]
    rows: list[list[object]]
    option: dict = field(default_factory=dict)
    height: int = 300

    @property
    def labelled_rows(self) -> list[list[tuple[str, object]]]:
        """Each cell with its column's header: a phone shows the table as label and value cards."""
        return [list(zip(self.headers, row, strict=True)) for row in self.rows]

    @property
    def option_json(self) -> str:
        return json.dumps(self.option, separators=(",", ":"))

    @property
    def csv_href(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_cell(h) for h in self.headers])
        writer.writerows([[_cell(v) for v in row] for row in self.rows])
        return "data:text/csv;charset=utf-8," + quote(out.getvalue())


def stacked_bars(key: str, title: str, categories: list[str], series: dict[str, list[int]]) -> Chart:
    """Horizontal stacked bars: one bar per category (a person), one segment per series (a stage)."""
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": categories, "inverse": True},
        "series": [
            {"name": name, "type": "bar", "stack": "total", "data": values, "emphasis": {"focus": "series"}}
            for name, values in series.items()
        ],
    }
    rows = [[category, *(values[i] for values in series.values())] for i, category in enumerate(categories)]
    return Chart(key, title, ["", *series], rows, option, height=max(220, 60 + 34 * len(categories)))


def bars(key: str, title: str, categories: list[str], values: list, value_name: str, money: bool = False) -> Chart:
    """Vertical bars, one per category (a score band, a week, an attribution model)."""
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"hideOverlap": True}},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": value_name, "type": "bar", "data": [float(v) if money else v for v in values]}],
    }
    return Chart(key, title, ["", value_name], [[c, v] for c, v in zip(categories, values, strict=True)], option)


def funnel(key: str, title: str, stages: list[tuple[str, int]], labels_beside: bool = False) -> Chart:
    """A funnel; `labels_beside` writes each stage's label to its right, for funnels whose tip is too narrow
    to hold its label."""
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
        "series": [
            {
                "type": "funnel",
                "sort": "none",
                "left": "4%" if labels_beside else "10%",
                "width": "56%" if labels_beside else "80%",
                "minSize": "8%",
                "label": {"show": True, "position": "right" if labels_beside else "inside", "formatter": "{b}: {c}"},
                "data": [{"name": name, "value": value} for name, value in stages],
            }
        ],
    }
    return Chart(key, title, ["Stage", "Leads"], [[name, value] for name, value in stages], option)


def workload_bars(workload: list[Workload]) -> Chart:
    """Open leads per person by stage as stacked bars."""
    people = [w.person.get_full_name() or w.person.get_username() for w in workload]
    series = {Stage(stage).label: [w.by_stage[stage] for w in workload] for stage in OPEN_STAGES}
    return stacked_bars("workload", "Open leads per person, by stage", people, series)


def workload_charts(workload: list[Workload]) -> list[Chart]:
    """Open leads per person by stage as stacked bars, and the same totals as a funnel."""
    totals = [(Stage(stage).label, sum(w.by_stage[stage] for w in workload)) for stage in OPEN_STAGES]
    totals = [(name, n) for name, n in totals if n]  # a team that holds no awareness leads draws no empty tip
    return [workload_bars(workload), funnel("team-funnel", "Open leads by stage", totals)]


def lines(key: str, title: str, categories: list[str], series: dict[str, list], right: tuple[str, ...] = ()) -> Chart:
    """One line per series over the categories (periods): a trend. A period not computed is a gap (None). The
    series named in `right` (a rate beside amounts) read off their own axis on the right."""
    axes = [{"type": "value"}] + (
        [{"type": "value", "position": "right", "splitLine": {"show": False}}] if right else []
    )
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"hideOverlap": True}},
        "yAxis": axes,
        "series": [
            {
                "name": name,
                "type": "line",
                "yAxisIndex": 1 if name in right else 0,
                "connectNulls": False,
                "data": [_plain(v, True) for v in values],
            }
            for name, values in series.items()
        ],
    }
    rows = [[category, *(_blank(values[i]) for values in series.values())] for i, category in enumerate(categories)]
    return Chart(key, title, ["", *series], rows, option)


def grouped_bars(key: str, title: str, categories: list[str], series: dict[str, list], unit: str = "") -> Chart:
    """Vertical bars side by side per category (a stage's median and p90)."""
    option = {
        "color": PALETTE,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 8, "right": 16, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "name": unit},
        "series": [
            {"name": name, "type": "bar", "data": [_plain(v, True) for v in values]} for name, values in series.items()
        ],
    }
    rows = [[category, *(_blank(values[i]) for values in series.values())] for i, category in enumerate(categories)]
    return Chart(key, title, ["", *series], rows, option)


def _plain(value: object, money: bool) -> object:
    """A number ECharts can draw (Decimals as floats); None stays a gap."""
    if value is None:
        return None
    return float(value) if money or not isinstance(value, int) else value


def _blank(value: object) -> object:
    return "" if value is None else value
