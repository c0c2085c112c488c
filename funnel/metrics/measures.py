"""Metric groups: the rows a group of metrics is computed from, written once and used twice — aggregated into
every dimension slice by one INSERT ... SELECT (GROUPING SETS, then one output row per metric), and filtered to
list the leads behind any one number. Because both read the same rows with the same predicate, a drill-down
returns exactly the set that was counted.

A group's `base` is a SELECT with the columns `lead_id, stage, to_stage, owner_id, team_id` plus whatever its
measures read, over `{spans}` and `{purchases}` (the live tables when computing; the history as it stood at the
snapshot's newest transition when drilling down, so a number drills down to its own leads even after the
funnel moved on). It also selects `period`, the start of the period holding the row (PERIOD_KEY of the
timestamp its range reads). Parameters are `%(start)s` and `%(end)s` (the batch's bounds, or the one period a
drill-down reads), `%(kind)s` and `%(tz)s` (for `period`) and the group's own.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import QuerySet

from funnel.metrics.compute import BATCH_PERIODS, Batch
from funnel.metrics.dimensions import dimension_columns, dimension_expression, grouping_sets
from funnel.metrics.periods import Period
from leads.models import Lead

LIVE = {"spans": "funnel_stagespan", "purchases": "funnel_purchase"}
# A span's stay as it stood when transition `through` was the newest: spans opened later do not exist yet, and
# one whose closing move (the lead's next span's opening) came later was still open.
AS_OF = {
    "spans": """(SELECT s.id, s.lead_id, s.stage, s.entered_at, s.owner_id, s.team_id, s.opened_by_id,
        CASE WHEN nx.opened_by_id <= %(through)s THEN s.left_at END AS left_at,
        CASE WHEN nx.opened_by_id <= %(through)s THEN s.next_stage ELSE '' END AS next_stage
    FROM funnel_stagespan s
    LEFT JOIN LATERAL (
        SELECT n.opened_by_id FROM funnel_stagespan n
        WHERE n.lead_id = s.lead_id AND n.opened_by_id > s.opened_by_id ORDER BY n.opened_by_id LIMIT 1
    ) nx ON TRUE
    WHERE s.opened_by_id <= %(through)s)""",
    "purchases": "(SELECT * FROM funnel_purchase WHERE transition_id <= %(through)s)",
}
OWNER, TEAM = "b.owner_id", "b.team_id"
KEYS = "b.period, b.stage, b.to_stage"


@dataclass(frozen=True)
class Measure:
    """One metric of a group: SQL aggregates over the group's rows `b` for its value (and ratio parts), whether
    a slice has the metric at all (`keep`), and the predicates picking the rows behind its value (`where`) and
    behind its denominator (`of`). A measure not `stored` has no rows of its own (another row's detail carries
    its number); it names that number's drill-down."""

    metric: str
    value: str
    keep: str
    where: str
    of: str = "TRUE"
    numerator: str = "NULL"
    denominator: str = "NULL"
    detail: str = "NULL"
    stored: bool = True


def leads(where: str, distinct: bool = True) -> str:
    """How many distinct leads of the group's rows match `where`. With `distinct=False`, how many rows: the
    same number, without a sort per group and grouping set, where the rows matching `where` hold at most one
    row per lead, stage and to_stage (every grouping set keeps the stage pair) — the caller's proof to make."""
    return f"count({'DISTINCT b.lead_id' if distinct else '*'}) FILTER (WHERE {where})"


def count(metric: str, where: str, scope: str = "TRUE", distinct: bool = True, stored: bool = True) -> Measure:
    """How many distinct leads match `where`; emitted (zero included) wherever the slice has `scope` rows.
    `distinct=False` counts rows instead (see `leads`)."""
    return Measure(metric, leads(where, distinct), f"bool_or({scope})", where, of=scope, stored=stored)


def ratio(metric: str, where: str, of: str = "TRUE", detail: str = "NULL", distinct: bool = True) -> Measure:
    """Distinct leads matching `where` ÷ distinct leads matching `of`; emitted where the denominator is not 0.
    `distinct=False` counts rows instead (see `leads`)."""
    hits, base = leads(where, distinct), leads(of, distinct)
    return Measure(metric, f"{hits}::numeric / NULLIF({base}, 0)", f"{base} > 0", where, of, hits, base, detail)


def percentile(metric: str, fraction: float, expr: str, where: str = "TRUE") -> Measure:
    """The continuous percentile of `expr` over the rows matching `where`; denominator = how many rows."""
    rows = f"({where}) AND ({expr}) IS NOT NULL"
    value = f"percentile_cont({fraction}) WITHIN GROUP (ORDER BY ({expr})::float8) FILTER (WHERE {rows})"
    many = f"count(*) FILTER (WHERE {rows})"
    detail = f"jsonb_build_object('leads', {leads(rows)})"
    return Measure(metric, value, f"{many} > 0", rows, rows, denominator=many, detail=detail)


def total(metric: str, expr: str, where: str = "TRUE", per: str = "", detail: str = "NULL") -> Measure:
    """The sum of `expr` over the rows matching `where`; with `per`, divided by the distinct values of `per`."""
    amount = f"coalesce(sum({expr}) FILTER (WHERE {where}), 0)"
    if not per:
        return Measure(metric, amount, f"bool_or({where})", where, where, detail=detail)
    divisor = f"count(DISTINCT {per}) FILTER (WHERE {where})"
    value = f"{amount} / NULLIF({divisor}, 0)"
    return Measure(metric, value, f"{divisor} > 0", where, where, amount, divisor, detail)


@dataclass(frozen=True)
class Group:
    """Metrics computed together from one set of rows: a snapshot family (`group(cursor, batch)`)
    and the drill-down of each of its metrics."""

    name: str
    base: str
    measures: tuple[Measure, ...]
    params: Mapping[str, object] = field(default_factory=dict)

    def __call__(self, cursor, batch: Batch) -> None:
        cursor.execute(self.insert_sql(), {**batch.params(), **self.params})

    @property
    def metrics(self) -> list[str]:
        return [m.metric for m in self.measures]

    def _params(self, period: Period, through: int | None = None) -> dict:
        return {
            "start": period.starts_at,
            "end": period.ends_at,
            "kind": period.kind,
            "tz": settings.TIME_ZONE,
            "through": through,
            **self.params,
        }

    def insert_sql(self) -> str:
        stored = [m for m in self.measures if m.stored]
        columns = ",\n".join(
            f"{m.value} AS v{i}, {m.numerator} AS n{i}, {m.denominator} AS d{i}, {m.detail} AS x{i}, {m.keep} AS k{i}"
            for i, m in enumerate(stored)
        )
        rows = ",\n".join(
            f"('{m.metric}', a.v{i}::numeric, a.n{i}::numeric, a.d{i}::numeric, a.x{i}::jsonb, a.k{i})"
            for i, m in enumerate(stored)
        )
        return f"""
INSERT INTO funnel_metricvalue
    (snapshot_id, metric, stage, to_stage, dimension, dimension_value, value, numerator, denominator, detail)
SELECT ps.snapshot, v.metric, a.stage, a.to_stage, a.dimension, a.dimension_value, v.value, v.numerator,
       v.denominator, v.detail
FROM (
    SELECT b.period, b.stage, b.to_stage, {dimension_columns(owner=OWNER, team=TEAM)},
    {columns}
    FROM ({self.base.format(**LIVE)}) b
    JOIN leads_lead l ON l.id = b.lead_id
    LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id
    GROUP BY {grouping_sets(extra=KEYS, owner=OWNER, team=TEAM)}
) a
JOIN {BATCH_PERIODS} ON ps.start = a.period
CROSS JOIN LATERAL (VALUES {rows}) AS v(metric, value, numerator, denominator, detail, keep)
WHERE v.keep"""

    def leads(
        self,
        *,
        metric: str,
        period: Period,
        through: int | None,
        dimension: str,
        value: str,
        stage: str,
        to_stage: str,
        denominator: bool = False,
    ) -> QuerySet[Lead]:
        """The leads behind one row (its denominator's with `denominator`), the history read as of `through`."""
        from funnel.metrics.families.drill import leads_in  # the families package imports this module

        measure = next(m for m in self.measures if m.metric == metric)
        where = [f"({measure.of if denominator else measure.where})", "b.stage = %(stage)s", "b.to_stage = %(to)s"]
        expression = dimension_expression(dimension, owner=OWNER, team=TEAM)
        if expression is not None:
            where.append(f"COALESCE(({expression})::text, '') = %(value)s")
        sql = f"""SELECT b.lead_id FROM ({self.base.format(**AS_OF)}) b
            JOIN leads_lead l ON l.id = b.lead_id LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id
            WHERE {" AND ".join(where)}"""
        params = {**self._params(period, through), "stage": stage, "to": to_stage, "value": value}
        return leads_in(sql, params)
