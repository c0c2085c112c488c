"""The data bench/metrics.py measures on, and its floor: the hand-written SQL over the transition history.

On top of bench/generate.py's 1M leads / ~5M transitions (and handoffs), once each, every step skipped when the
database already holds its rows:
- the stage spans, built from the history by the very statement of funnel migration 0014 (BACKFILL), with the
  span table's secondary indexes rebuilt after it, as generate.py does for its own tables;
- campaign spend, ~5M touches, purchases and attribution credits: bench/marketing.py's loader;
- sales expenses: one line a month for a year per sales and sales-development team.
Runs with Django set up (settings from the environment).
"""

import importlib
import time
from contextlib import contextmanager

from django.db import connection, transaction

SPAN_TABLE = "funnel_stagespan"


@contextmanager
def phase(name: str):
    started = time.perf_counter()
    print(f"{name} …", end=" ", flush=True)
    yield
    print(f"{time.perf_counter() - started:.1f} s", flush=True)


def _count(cur, table: str) -> int:
    cur.execute(f"SELECT count(*) FROM {table}")
    return cur.fetchone()[0]


def load_spans() -> None:
    """The spans of every transition, when the table does not hold exactly one per transition."""
    backfill = importlib.import_module("funnel.migrations.0014_metrics_spans").BACKFILL
    with connection.cursor() as cur:
        if _count(cur, SPAN_TABLE) == _count(cur, "funnel_transition"):
            return
        with transaction.atomic(), phase("Stage spans from the history (migration 0014's BACKFILL)"):
            cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cur.execute("SET LOCAL work_mem = '256MB'")
            # Every key the statement writes comes from rows already there, so the per-row foreign-key triggers
            # have nothing to find; the indexes are built once at the end instead of 5M times.
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid) "
                "AND NOT i.indisunique",
                [SPAN_TABLE],
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f"DROP INDEX {name}")
            cur.execute(f"TRUNCATE {SPAN_TABLE}")
            cur.execute(backfill)
            for _, definition in indexes:
                cur.execute(definition)
        with phase("VACUUM ANALYZE spans"):
            cur.execute(f"VACUUM (ANALYZE) {SPAN_TABLE}")


def load_expenses() -> None:
    """A month's expense line per sales-side bench team for the last twelve months, once."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM funnel_salesexpense WHERE note = 'bench'")
        if cur.fetchone()[0]:
            return
        cur.execute("SELECT id FROM accounts_user WHERE username = 'bench_leader'")
        recorder = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO funnel_salesexpense (team_id, spent_on, amount, currency, category, note, recorded_by_id, "
            "recorded_at) SELECT t.id, date_trunc('month', current_date)::date - make_interval(months => m), "
            "20000 + (t.id * 131 + m * 17) %% 15000, 'USD', 'salaries', 'bench', %s, now() "
            "FROM accounts_team t CROSS JOIN generate_series(0, 11) m "
            "WHERE t.name LIKE 'bench %%' AND t.function IN ('sales', 'shared')",
            [recorder],
        )


def load_all() -> dict:
    """Spans, marketing data and expenses; returns the row counts of what the metrics read."""
    from bench import marketing

    load_spans()
    marketing.load_marketing_data()
    load_expenses()
    tables = ("leads_lead", "funnel_transition", "funnel_stagespan", "crm_touch", "funnel_handoff")
    tables += ("funnel_purchase", "crm_campaignspend", "funnel_salesexpense")
    with connection.cursor() as cur:
        counts = {table: _count(cur, table) for table in tables}
        cur.execute("SELECT min(occurred_at), max(occurred_at) FROM funnel_transition")
        counts["history"] = cur.fetchone()
    return counts


# ---- the floor ---------------------------------------------------------------------------------------------

STAGES = ["awareness", "interest", "consideration", "intent", "evaluation", "purchase", "lost", "nurture"]
FUNNEL = STAGES[:6]
BITS = ", ".join(f"('{stage}', {1 << n})" for n, stage in enumerate(STAGES))
# Per later funnel stage Y: of the cohort, reached Y; else now lost; else now in nurture (the rest is open).
COHORT = ",\n       ".join(
    f"count(*) FILTER (WHERE l.later & {1 << n} <> 0) AS reached_{y}, "
    f"count(*) FILTER (WHERE l.later & {1 << n} = 0 AND l.now_in = 'lost') AS lost_{y}, "
    f"count(*) FILTER (WHERE l.later & {1 << n} = 0 AND l.now_in = 'nurture') AS recycled_{y}"
    for n, y in enumerate(FUNNEL)
    if n
)
NO_COHORT = ", ".join("NULL::bigint, NULL::bigint, NULL::bigint" for _ in FUNNEL[1:])


def floor_sql() -> str:
    """One statement over funnel_transition giving what the flow family's entries, cohorts and stage_times give,
    by month of the year, per stage and dimension slice (the same GROUPING SETS): the leads entering each stage
    (a lead's first entry in the month), the cohort split per later funnel stage (reached it, else now lost,
    else now in nurture; the rest open), and the median and p90 days in the stage of the passes that left it in
    the month.

    One sort serves every window: each lead's moves newest first, by month. The pass's exit is the newer move
    (lag), the stages reached after it a running bit_or over the newer moves, the lead's stage now the newest
    move, and whether the lead entered the stage earlier in the month a bit_or over the older moves of the month.
    The rows are wide (a column per later stage) so no row is multiplied by the stage pairs.
    """
    from funnel.metrics.dimensions import dimension_columns, grouping_sets

    # The dimension expressions read the lead as `l` and its campaign as `c`: the pass rows carry the lead's columns.
    dims = dimension_columns(owner="l.owner_id", team="l.team_id")
    sets = grouping_sets(extra="l.month, l.stage", owner="l.owner_id", team="l.team_id")
    return f"""
CREATE TEMP TABLE bench_floor ON COMMIT DROP AS
WITH moves AS (
    SELECT t.lead_id, t.to_stage AS stage, t.to_owner_id AS owner_id, t.occurred_at, b.bit, m.month,
           lag(t.occurred_at) OVER w AS left_at,
           first_value(t.to_stage) OVER w AS now_in,
           coalesce(bit_or(b.bit) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS later,
           coalesce(bit_or(b.bit) OVER (wm ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS earlier_in_month
    FROM funnel_transition t
    JOIN (VALUES {BITS}) b(stage, bit) ON b.stage = t.to_stage
    CROSS JOIN LATERAL (SELECT date_trunc('month', t.occurred_at AT TIME ZONE %(tz)s)::date AS month) m
    WINDOW w AS (PARTITION BY t.lead_id ORDER BY m.month DESC, t.occurred_at DESC, t.id DESC),
           wm AS (PARTITION BY t.lead_id, m.month ORDER BY t.occurred_at DESC, t.id DESC)
), pass AS MATERIALIZED (
    SELECT mv.stage, mv.owner_id, u.team_id, mv.month, mv.later, mv.now_in,
           mv.month >= %(start)s AND mv.earlier_in_month & mv.bit = 0 AS first_in_month,
           date_trunc('month', mv.left_at AT TIME ZONE %(tz)s)::date AS left_month,
           extract(epoch FROM mv.left_at - mv.occurred_at) / 86400 AS days,
           l.company_id, l.source_campaign_id, l.segment
    FROM moves mv
    JOIN leads_lead l ON l.id = mv.lead_id
    LEFT JOIN accounts_user u ON u.id = mv.owner_id
    WHERE (mv.month >= %(start)s AND mv.earlier_in_month & mv.bit = 0) OR mv.left_at >= %(start_at)s
)
SELECT 'cohort' AS part, l.month, l.stage, {dims}, count(*) AS entered,
       {COHORT}, NULL::float8 AS days_p50, NULL::float8 AS days_p90
FROM pass l LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id
WHERE l.first_in_month AND l.month < %(end)s
GROUP BY {sets}
UNION ALL
SELECT 'time', l.month, l.stage, {dims}, count(*), {NO_COHORT},
       percentile_cont(0.5) WITHIN GROUP (ORDER BY l.days), percentile_cont(0.9) WITHIN GROUP (ORDER BY l.days)
FROM (SELECT stage, owner_id, team_id, left_month AS month, days, company_id, source_campaign_id, segment
      FROM pass WHERE left_month >= %(start)s AND left_month < %(end)s) l
LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id
GROUP BY {sets}
"""


def floor_run(*, start, end, tz: str) -> tuple[int, dict]:
    """Runs the floor into a temporary table (ours writes its rows too); returns how many rows it made and its
    whole-company entry counts {(month, stage): leads}, to check ours against."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(floor_sql(), {"start": start.date(), "start_at": start, "end": end, "tz": tz})
        rows = cur.rowcount
        cur.execute("SELECT month, stage, entered FROM bench_floor WHERE part = 'cohort' AND dimension = 'all'")
        entered = {(month, stage): count for month, stage, count in cur.fetchall()}
        transaction.set_rollback(True)
    return rows, entered
