"""Funnel-flow metrics, read from the stage spans (never from the transition history). For a period P, for
the whole company and every dimension (the owner and team are the span's: who held the lead in that stage):

- `entered` (stage X): leads that entered X during P (a lead entering twice counts once, sliced by its first
  entry in P).
- `cohort_conversion` (X → Y, Y a later funnel stage): of the leads that entered X during P (the cohort, the
  denominator), the share that entered Y at any time after that entry (the numerator). The row splits the
  cohort as the history stands now: reached Y (the numerator); else sits in lost (`detail.lost`); else sits in
  nurture (`detail.recycled`); else still in the funnel short of Y (`detail.open`). They add up to the cohort.
  The parts drill down as `cohort_reached`, `cohort_lost`, `cohort_recycled` and `cohort_open`, which have no
  rows of their own (they were 4 of every 5 cohort rows, ~3 s of a month of days, repeating these numbers).
  A cohort is *immature* (`detail.immature`) until MATURITY_DAYS after the period ends: its leads have had less
  time to reach Y than older cohorts, so its rate is a floor, not a comparable figure (`detail.mature_on`).
- `flow_conversion` (X → Y): leads entering Y during P ÷ leads entering X during P. Mixes cohorts and can
  exceed 1; it is the "period" rate of REFERENCE §6, labelled apart from the cohort rate (`detail.kind`).
- `time_in_stage_median`, `time_in_stage_p90` (stage X): days spent in X by the passes that left X during P
  (each pass counts; denominator = passes).
- `velocity_median`, `velocity_p90` (awareness → purchase): days from the lead's first awareness entry to its
  purchase, for purchases during P (leads that never sat in awareness are left out).
"""

from funnel.metrics.compute import BATCH_PERIODS, IN_PERIOD, PERIOD_END, PERIOD_KEY, Batch
from funnel.metrics.dimensions import dimension_columns, grouping_sets
from funnel.metrics.families.drill import INSERT
from funnel.metrics.measures import LIVE, Group, count, percentile, ratio
from funnel.metrics.measures import leads as lead_count
from leads.choices import FUNNEL_STAGES

MATURITY_DAYS = 30
FUNNEL = [str(stage) for stage in FUNNEL_STAGES]
PAIRS = [(x, y) for i, x in enumerate(FUNNEL) for y in FUNNEL[i + 1 :]]
# A funnel stage's bit in a set of stages kept as an integer: testing `later & bit` costs a fraction of searching a
# text array, 45 times per cohort row and grouping set (a month's cohorts: 3.4 s -> 2.7 s).
BIT = {stage: 1 << n for n, stage in enumerate(FUNNEL)}
STAGE_BIT = "CASE {0} " + " ".join(f"WHEN '{stage}' THEN {bit}" for stage, bit in BIT.items()) + " ELSE 0 END"
PAIR_PARAMS = {"pair_from": [x for x, _ in PAIRS], "pair_to": [y for _, y in PAIRS]}
DAYS = "extract(epoch FROM {0}) / 86400"

# Each lead's first entry into each stage during each period.
FIRST_ENTRIES = f"""SELECT DISTINCT ON (k.period, s.lead_id, s.stage)
        k.period, s.id, s.lead_id, s.stage, s.entered_at, s.owner_id, s.team_id
    FROM {{spans}} s CROSS JOIN LATERAL (SELECT {PERIOD_KEY.format("s.entered_at")} AS period) k
    WHERE {IN_PERIOD.format("s.entered_at")}
    ORDER BY k.period, s.lead_id, s.stage, s.entered_at, s.id"""

ENTRIES_SQL = f"""
WITH firsts AS ({FIRST_ENTRIES})
SELECT f.period, f.lead_id, f.stage, ''::text AS to_stage, f.owner_id, f.team_id, 'entered' AS role FROM firsts f
UNION ALL
SELECT f.period, f.lead_id, p.x, p.y, f.owner_id, f.team_id, CASE WHEN f.stage = p.x THEN 'from' ELSE 'to' END
FROM firsts f JOIN unnest(%(pair_from)s::text[], %(pair_to)s::text[]) AS p(x, y) ON f.stage IN (p.x, p.y)
"""
# A lead has one first entry per stage, so each role holds at most one row per lead and stage pair: rows counted
# are leads counted.
FLOW_DETAIL = "jsonb_build_object('kind', 'flow')"
entries = Group(
    name="entries",
    base=ENTRIES_SQL,
    measures=(
        count("entered", "b.role = 'entered'", scope="b.role = 'entered'", distinct=False),
        ratio("flow_conversion", "b.role = 'to'", of="b.role = 'from'", detail=FLOW_DETAIL, distinct=False),
    ),
    params=PAIR_PARAMS,
)

# The funnel stages a lead entered after a first entry (`later`, their BITs) and its current stage (a lead has one
# open span), in one pass over the lead's spans, for stages some pair starts from.
LATER_AND_NOW = f"""SELECT bit_or({STAGE_BIT.format("n.stage")})
                   FILTER (WHERE (n.entered_at, n.id) > (k.entered_at, k.id)) AS later,
               max(n.stage) FILTER (WHERE n.left_at IS NULL) AS now_in
        FROM {{spans}} n WHERE n.lead_id = k.lead_id AND k.stage = ANY(%(pair_from)s::text[])"""
FIRSTS_LATER = f"""SELECT k.period, k.lead_id, k.stage, k.owner_id, k.team_id, coalesce(nx.later, 0) AS later,
           coalesce(nx.now_in, '') AS now_in
    FROM ({FIRST_ENTRIES}) k
    CROSS JOIN LATERAL ({LATER_AND_NOW}) nx"""
COHORT_CTE = f"""cohort AS MATERIALIZED ({FIRSTS_LATER}
    WHERE k.stage = ANY(%(pair_from)s::text[])
)"""
COHORTS_SQL = f"""
WITH {COHORT_CTE}
SELECT k.period, k.lead_id, k.stage, p.y AS to_stage, k.owner_id, k.team_id,
       k.later & ({STAGE_BIT.format("p.y")}) <> 0 AS reached, k.now_in
FROM cohort k
JOIN unnest(%(pair_from)s::text[], %(pair_to)s::text[]) AS p(x, y) ON p.x = k.stage
"""
LOST = "NOT b.reached AND b.now_in = 'lost'"
RECYCLED = "NOT b.reached AND b.now_in = 'nurture'"
OPEN = "NOT b.reached AND b.now_in NOT IN ('lost', 'nurture')"
# Judged when computed (%(now)s), from the end of the period (`{0}`: its first day), in the company's time zone.
MATURE_ON = f"({PERIOD_END} + {MATURITY_DAYS})"
MATURITY = f"'immature', %(now)s < {MATURE_ON}::timestamp AT TIME ZONE %(tz)s, 'mature_on', {MATURE_ON}::text"
COHORT_DETAIL = f"""jsonb_build_object('kind', 'cohort',
    'lost', {lead_count(LOST, distinct=False)},
    'recycled', {lead_count(RECYCLED, distinct=False)},
    'open', {lead_count(OPEN, distinct=False)}, {MATURITY.format("b.period")})"""


# Per cohort row, one count per later stage and outcome (reached it; else now lost; else now in nurture).
LATER = FUNNEL[1:]
NOT_REACHED = "k.later & {0} = 0"
WIDE = ",\n    ".join(
    f"count(*) FILTER (WHERE k.later & {BIT[y]} <> 0) AS reached_{y}, "
    f"count(*) FILTER (WHERE {NOT_REACHED.format(BIT[y])} AND k.now_in = 'lost') AS lost_{y}, "
    f"count(*) FILTER (WHERE {NOT_REACHED.format(BIT[y])} AND k.now_in = 'nurture') AS recycled_{y}"
    for y in LATER
)


def _for_pair(part: str) -> str:
    cases = " ".join(f"WHEN '{y}' THEN g.{part}_{y}" for y in LATER)
    return f"CASE p.y {cases} END AS {part}"


# Entries, flow conversion and cohorts in one statement, with the same rows as the generic statements over
# ENTRIES_SQL and COHORTS_SQL (which the drill-downs read). All three start from each lead's first entry into each
# stage in the period, so those are read, sorted and joined to their leads once; only a first entry into a stage
# some pair starts from reads the lead's later spans (LATER_AND_NOW's gate). Each cohort row is grouped once, with
# a count per later stage, as the floor does, and the pairs are joined to the grouped counts; a pair's flow is
# the slice's entries of Y over those of X.
FLOW_INSERT = f"""
WITH cohort AS MATERIALIZED ({FIRSTS_LATER.format(**LIVE)}),
g AS (
    SELECT ps.snapshot, a.* FROM (
        SELECT k.period, k.stage, {dimension_columns(owner="k.owner_id", team="k.team_id")}, count(*) AS n,
        {WIDE}
        FROM cohort k JOIN leads_lead l ON l.id = k.lead_id LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id
        GROUP BY {grouping_sets(extra="k.period, k.stage", owner="k.owner_id", team="k.team_id")}
    ) a JOIN {BATCH_PERIODS} ON ps.start = a.period
),
s AS (
    SELECT g.snapshot, g.period, g.stage, p.y, g.dimension, g.dimension_value, g.n,
           {_for_pair("reached")}, {_for_pair("lost")}, {_for_pair("recycled")}
    FROM g JOIN unnest(%(pair_from)s::text[], %(pair_to)s::text[]) AS p(x, y) ON p.x = g.stage
)
{INSERT}
SELECT g.snapshot, 'entered', g.stage, '', g.dimension, g.dimension_value, g.n, NULL, NULL, NULL FROM g
UNION ALL
SELECT x.snapshot, 'flow_conversion', x.stage, p.y, x.dimension, x.dimension_value,
       coalesce(y.n, 0)::numeric / x.n, coalesce(y.n, 0), x.n, {FLOW_DETAIL}
FROM unnest(%(pair_from)s::text[], %(pair_to)s::text[]) AS p(x, y)
JOIN g x ON x.stage = p.x
LEFT JOIN g y ON y.snapshot = x.snapshot AND y.stage = p.y AND y.dimension = x.dimension
    AND y.dimension_value = x.dimension_value
UNION ALL
SELECT s.snapshot, 'cohort_conversion', s.stage, s.y, s.dimension, s.dimension_value, s.reached::numeric / s.n,
       s.reached, s.n,
       jsonb_build_object('kind', 'cohort', 'lost', s.lost, 'recycled', s.recycled,
                          'open', s.n - s.reached - s.lost - s.recycled, {MATURITY.format("s.period")})
FROM s
"""


def flow(cursor, batch: Batch) -> None:
    """Writes the entries, flow and cohort rows of the batch (FLOW_INSERT); `entries` and `cohorts` drill down."""
    cursor.execute(FLOW_INSERT, {**batch.params(), **PAIR_PARAMS})


# One cohort row per lead and stage (its first entry), joined to distinct pairs: one row per lead and pair.
cohorts = Group(
    name="cohorts",
    base=COHORTS_SQL,
    measures=(
        ratio("cohort_conversion", "b.reached", detail=COHORT_DETAIL, distinct=False),
        count("cohort_reached", "b.reached", distinct=False, stored=False),
        count("cohort_lost", LOST, distinct=False, stored=False),
        count("cohort_recycled", RECYCLED, distinct=False, stored=False),
        count("cohort_open", OPEN, distinct=False, stored=False),
    ),
    params=PAIR_PARAMS,
)

STAGE_TIMES_SQL = f"""
SELECT {PERIOD_KEY.format("s.left_at")} AS period, s.lead_id, s.stage, ''::text AS to_stage, s.owner_id, s.team_id,
       {DAYS.format("s.left_at - s.entered_at")} AS days
FROM {{spans}} s WHERE {IN_PERIOD.format("s.left_at")}
"""
stage_times = Group(
    name="stage_times",
    base=STAGE_TIMES_SQL,
    measures=(
        percentile("time_in_stage_median", 0.5, "b.days"),
        percentile("time_in_stage_p90", 0.9, "b.days"),
    ),
)

VELOCITY_SQL = f"""
SELECT {PERIOD_KEY.format("s.entered_at")} AS period, s.lead_id, 'awareness'::text AS stage,
       'purchase'::text AS to_stage, s.owner_id, s.team_id,
       {DAYS.format("s.entered_at - first.at")} AS days
FROM {{spans}} s
LEFT JOIN LATERAL (
    SELECT min(a.entered_at) AS at FROM {{spans}} a
    WHERE a.lead_id = s.lead_id AND a.stage = 'awareness' AND a.entered_at <= s.entered_at
) first ON TRUE
WHERE s.stage = 'purchase' AND {IN_PERIOD.format("s.entered_at")}
"""
velocity = Group(
    name="velocity",
    base=VELOCITY_SQL,
    measures=(percentile("velocity_median", 0.5, "b.days"), percentile("velocity_p90", 0.9, "b.days")),
)
