"""An independent oracle: random histories written through the one door, and every funnel-flow metric the SQL
families store (whole company and per owner) recomputed in plain Python from the transition history — never
from the stage spans the SQL reads."""

import importlib
import math
import random
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from funnel.metrics.choices import Dimension
from funnel.metrics.compute import Batch, snapshot_compute, snapshots_compute
from funnel.metrics.families import FAMILIES
from funnel.metrics.families.flow import PAIRS, cohorts, entries, flow
from funnel.metrics.families.outcomes import closes
from funnel.metrics.measures import Group
from funnel.metrics.models import MetricSnapshot, MetricValue
from funnel.metrics.periods import period_of, periods_between
from funnel.models import Transition
from funnel.services.intake import lead_create
from leads.models import Lead
from tests.funnel.conftest import move

MOVES = importlib.import_module("funnel.migrations.0002_funnel_defaults").MOVES
METRICS = {
    "entered", "flow_conversion", "cohort_conversion", "time_in_stage_median", "time_in_stage_p90",
    "velocity_median", "velocity_p90", "win_rate",
    "closings", "closed_lost", "new_customers", "revenue", "gross_margin", "gross_margin_per_customer",
}  # fmt: skip
START = datetime(2025, 12, 1, tzinfo=UTC)
DISTINCT_FIELDS = ("value", "keep", "numerator", "denominator", "detail")


def random_history(people, seed: int, leads: int = 40) -> None:
    rng = random.Random(seed)
    allowed = defaultdict(list)
    for a, b in MOVES:
        allowed[a].append(b)
    owners = [people[k] for k in ("rep", "rep2", "marketer", "sdr")]
    for n in range(leads):
        at = START + timedelta(hours=rng.randrange(24 * 100))
        value = rng.choice([None, Decimal(rng.randrange(1, 50) * 1000)])
        data = {
            "last_name": f"Random {n}",
            "email": f"r{n}@mail.example",
            "company_domain": rng.choice(["a.example", "b.example", "c.example", "", f"own{n}.example"]),
            "currency": rng.choice(["USD", "EUR"]),
            "expected_value": value,
            "gross_margin": value and value * Decimal("0.3"),
        }
        lead = lead_create(actor=people["admin"], data=data, owner=rng.choice(owners), at=at)
        stage = "awareness"
        while allowed[stage] and rng.random() < 0.85:
            stage = rng.choice(allowed[stage])
            at += timedelta(hours=rng.randrange(1, 24 * 25))
            reason = "Timing" if stage in ("lost", "nurture") else ""
            move(lead, stage, people["admin"], at=at, reason=reason)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def passes_by_lead() -> dict[int, list[dict]]:
    """Each lead's passes through stages, read from its transitions in order."""
    passes: dict[int, list[dict]] = defaultdict(list)
    rows = Transition.objects.order_by("lead_id", "occurred_at", "id")
    for t in rows.values("lead_id", "to_stage", "occurred_at", "to_owner_id", "id"):
        mine = passes[t["lead_id"]]
        if mine:
            mine[-1]["left"] = t["occurred_at"]
        mine.append(
            {"stage": t["to_stage"], "at": t["occurred_at"], "left": None, "owner": t["to_owner_id"], "id": t["id"]}
        )
    return passes


class Expected:
    """Expected rows: (metric, stage, to_stage, dimension, value) → (value, numerator, denominator)."""

    def __init__(self):
        self.rows: dict[tuple, tuple] = {}

    def put(self, metric, stage, to_stage, owner, value, numerator=None, denominator=None):
        for key in (("all", ""), ("owner", "" if owner is None else str(owner))):
            self.rows[(metric, stage, to_stage, *key)] = (value, numerator, denominator)

    def slices(self, items):
        """items: (owner, x) → {slice: [x…]} for the whole company and each owner."""
        out = defaultdict(list)
        for owner, x in items:
            out[("all", "")].append(x)
            out[("owner", "" if owner is None else str(owner))].append(x)
        return out


def expected_rows(passes, leads, start, end) -> dict:
    exp = Expected()
    inside = lambda t: t is not None and start <= t < end  # noqa: E731
    firsts = defaultdict(dict)  # stage -> lead -> (index of first entry in P, owner)
    for lead, mine in passes.items():
        for i, p in enumerate(mine):
            if inside(p["at"]) and lead not in firsts[p["stage"]]:
                firsts[p["stage"]][lead] = (i, p["owner"])
    counts = {}
    for stage, entered in firsts.items():
        for sl, members in exp.slices((o, lead) for lead, (_, o) in entered.items()).items():
            counts[stage, sl] = set(members)
            exp.rows[("entered", stage, "", *sl)] = (len(members), None, None)
    for x, y in PAIRS:
        for sl in {sl for (stage, sl) in counts if stage == x}:
            den, num = len(counts[x, sl]), len(counts.get((y, sl), ()))
            exp.rows[("flow_conversion", x, y, *sl)] = (num / den, num, den)
        cohort = [(o, (lead, i)) for lead, (i, o) in firsts.get(x, {}).items()]
        for sl, members in exp.slices(cohort).items():
            outcome = defaultdict(int)
            for lead, i in members:
                later = {p["stage"] for p in passes[lead][i + 1 :]}
                now_in = passes[lead][-1]["stage"]
                kind = "reached" if y in later else {"lost": "lost", "nurture": "recycled"}.get(now_in, "open")
                outcome[kind] += 1
            exp.rows[("cohort_conversion", x, y, *sl)] = (
                outcome["reached"] / len(members),
                outcome["reached"],
                len(members),
                *(outcome[kind] for kind in ("lost", "recycled", "open")),
            )
    days = lambda a, b: (b - a).total_seconds() / 86400  # noqa: E731
    left = [
        (p["owner"], (p["stage"], days(p["at"], p["left"]))) for m in passes.values() for p in m if inside(p["left"])
    ]
    for sl, items in exp.slices(left).items():
        for stage in {s for s, _ in items}:
            values = [d for s, d in items if s == stage]
            exp.rows[("time_in_stage_median", stage, "", *sl)] = (percentile(values, 0.5), None, len(values))
            exp.rows[("time_in_stage_p90", stage, "", *sl)] = (percentile(values, 0.9), None, len(values))
    bought = []
    for mine in passes.values():
        for p in mine:
            if p["stage"] == "purchase" and inside(p["at"]):
                aware = [q["at"] for q in mine if q["stage"] == "awareness" and q["at"] <= p["at"]]
                if aware:
                    bought.append((p["owner"], days(min(aware), p["at"])))
    for sl, values in exp.slices(bought).items():
        exp.rows[("velocity_median", "awareness", "purchase", *sl)] = (percentile(values, 0.5), None, len(values))
        exp.rows[("velocity_p90", "awareness", "purchase", *sl)] = (percentile(values, 0.9), None, len(values))
    closes_and_money(exp, passes, leads, inside)
    return exp.rows


def closes_and_money(exp, passes, leads, inside) -> None:
    customer = {lead: ("company", c) if c else ("lead", lead) for lead, (c, *_) in leads.items()}
    purchases = sorted((p["at"], p["id"], lead) for lead, m in passes.items() for p in m if p["stage"] == "purchase")
    first_of = {}
    for _, tid, lead in purchases:
        first_of.setdefault(customer[lead], tid)
    closed = []
    for lead, mine in passes.items():
        ends = [p for p in mine if p["stage"] in ("purchase", "lost") and inside(p["at"])]
        if ends:
            end = min(ends, key=lambda p: (p["stage"] != "purchase", p["at"], p["id"]))
            won = end["stage"] == "purchase"
            closed.append((end["owner"], (won, won and first_of[customer[lead]] == end["id"])))
    for sl, items in exp.slices(closed).items():
        won = sum(1 for w, _ in items if w)
        exp.rows[("win_rate", "", "", *sl)] = (won / len(items), won, len(items))
        exp.rows[("closings", "", "", *sl)] = (won, None, None)
        exp.rows[("closed_lost", "", "", *sl)] = (len(items) - won, None, None)
        exp.rows[("new_customers", "", "", *sl)] = (sum(1 for _, new in items if new), None, None)
    sold = [(p["owner"], lead) for lead, m in passes.items() for p in m if p["stage"] == "purchase" and inside(p["at"])]
    for sl, members in exp.slices(sold).items():
        for currency in {leads[lead][1] for lead in members}:
            mine = [lead for lead in members if leads[lead][1] == currency]
            revenue = sum(leads[lead][2] or 0 for lead in mine)
            margin = sum(leads[lead][3] or 0 for lead in mine)
            customers = len({customer[lead] for lead in mine})
            exp.rows[("revenue", "", currency, *sl)] = (revenue, None, None)
            exp.rows[("gross_margin", "", currency, *sl)] = (margin, None, None)
            exp.rows[("gross_margin_per_customer", "", currency, *sl)] = (margin / customers, margin, customers)


def stored_rows(snapshot) -> dict:
    """{key: (value, numerator, denominator)}, a cohort row's lost, recycled and open after them."""
    rows = MetricValue.objects.filter(snapshot=snapshot, metric__in=METRICS, dimension__in=["all", "owner"])
    fields = ("metric", "stage", "to_stage", "dimension", "dimension_value", "value", "numerator", "denominator")
    parts = lambda d: (d["lost"], d["recycled"], d["open"]) if (d or {}).get("kind") == "cohort" else ()  # noqa: E731
    return {tuple(r[:5]): (*r[5:8], *parts(r[8])) for r in rows.values_list(*fields, "detail")}


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-5


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [2026])  # one seed keeps it ~10 s; change it locally to explore
def test_every_flow_metric_equals_a_python_computation_over_the_transitions(people, seed):
    random_history(people, seed)
    leads = {
        lead.pk: (lead.company_id, lead.currency, lead.expected_value, lead.gross_margin) for lead in Lead.objects.all()
    }
    passes = passes_by_lead()
    compared = 0
    for kind, day in (
        ("month", date(2026, 1, 1)),
        ("month", date(2026, 2, 1)),
        ("quarter", date(2026, 1, 1)),
        ("week", date(2026, 1, 12)),
    ):
        period = period_of(kind=kind, day=day)
        snapshot = snapshot_compute(period=period, families=FAMILIES)
        got = stored_rows(snapshot)
        expected = expected_rows(passes, leads, period.starts_at, period.ends_at)
        assert set(got) == set(expected), (kind, day, set(got) ^ set(expected))
        for key, want in expected.items():
            assert all(same(g, w) for g, w in zip(got[key], want, strict=True)), (key, got[key], want)
        compared += len(expected)
    assert compared > 500


@pytest.mark.django_db
def test_the_fast_statements_write_what_the_distinct_lead_counts_write_in_every_dimension(people):
    """`flow` (entries, flow and cohorts in one statement, each aggregated before its pairs) and the groups
    counting rows instead of distinct leads write exactly the rows of the generic statement of each group counting
    distinct leads, in every dimension slice."""
    random_history(people, 11)
    period = period_of(kind="month", day=date(2026, 1, 1))
    ours = snapshot_compute(period=period, families=[flow, closes])
    reference = MetricSnapshot.objects.create(
        period_kind="day", period_start=date(2000, 1, 1), period_end=date(2000, 1, 2)
    )
    distinct = lambda sql: sql.replace("count(*) FILTER", "count(DISTINCT b.lead_id) FILTER")  # noqa: E731
    with connection.cursor() as cursor:
        for family in (entries, cohorts, closes):
            measures = [replace(m, **{f: distinct(getattr(m, f)) for f in DISTINCT_FIELDS}) for m in family.measures]
            generic = replace(family, measures=tuple(measures))
            batch = Batch(period.kind, (period,), (reference.pk,))
            cursor.execute(Group.insert_sql(generic), {**batch.params(), **generic.params})
    fields = ("metric", "stage", "to_stage", "dimension", "dimension_value", "value", "numerator", "denominator")
    rows = {
        snapshot.pk: sorted(MetricValue.objects.filter(snapshot=snapshot).values_list(*fields, "detail"), key=str)
        for snapshot in (ours, reference)
    }
    assert rows[ours.pk] == rows[reference.pk]
    assert {row[3] for row in rows[ours.pk]} == {d.value for d in Dimension}
    assert len(rows[ours.pk]) > 300


def all_rows(snapshot) -> list:
    fields = ("metric", "stage", "to_stage", "dimension", "dimension_value", "value", "numerator", "denominator")
    return sorted(MetricValue.objects.filter(snapshot=snapshot).values_list(*fields, "detail"), key=str)


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu"])  # +05:45: a period key off by the offset shows
def test_a_batch_of_periods_writes_exactly_the_rows_each_period_computed_alone_writes(people, settings, zone):
    """The families key every row by its period: a batch (with a gap, as a stale list has) must not leak a row
    into a neighbouring period nor lose one at a boundary, in any family or kind."""
    settings.TIME_ZONE = zone
    random_history(people, 7, leads=80)
    january = [period_of(kind="day", day=date(2026, 1, d)) for d in range(1, 32) if d not in (10, 11, 12)]
    batches = [
        january,
        periods_between(kind="week", first=date(2025, 12, 1), last=date(2026, 3, 31)),
        periods_between(kind="month", first=date(2025, 12, 1), last=date(2026, 3, 31)),
    ]
    compared = 0
    for periods in batches:
        batched = {s.period_start: all_rows(s) for s in snapshots_compute(periods=periods, families=FAMILIES)}
        assert len(batched) == len(periods)
        for period in periods:
            alone = all_rows(snapshot_compute(period=period, families=FAMILIES))
            assert batched[period.start] == alone, (period, set(map(str, batched[period.start])) ^ set(map(str, alone)))
            compared += len(alone)
    assert compared > 5000
    assert MetricSnapshot.objects.filter(period_kind="day").count() == len(january)  # none made for the gap
