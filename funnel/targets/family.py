"""Metric family `target_attainment`: for a month or quarter that has an active shared target, the revenue of
the period's purchases in the target's currency against it (value = revenue ÷ target, numerator = revenue,
denominator = target; detail names the target and split).

Rows: dimension `all` for the whole target; one per split — dimension `team` (value: the team's id) or
`segment` (the segment), and for a split naming both, dimension `team` with value `<team id>/<segment>`. A
purchase counts for a team when the lead was the team's at the purchase (its stage span), as on the target's
page (funnel.targets.selectors.target_attainment). Periods without a target (days, weeks, years' parts) get
no row."""

from funnel.metrics.compute import per_period
from funnel.metrics.periods import Period

ATTAINMENT_SQL = """
WITH t AS (
    SELECT id, amount, currency FROM funnel_revenuetarget
    WHERE status = 'active' AND period_kind = %(kind)s AND period_start = %(start)s
),
p AS (
    SELECT p.revenue, s.team_id, l.segment
    FROM funnel_purchase p
    JOIN t ON t.currency = p.currency
    JOIN leads_lead l ON l.id = p.lead_id
    LEFT JOIN funnel_stagespan s ON s.opened_by_id = p.transition_id
    WHERE p.purchased_at >= %(starts)s AND p.purchased_at < %(ends)s AND p.revenue IS NOT NULL
),
r AS (
    SELECT 'all' AS dimension, '' AS dimension_value, t.amount AS target, t.id AS target_id, NULL::bigint AS split_id,
           t.currency, (SELECT coalesce(sum(revenue), 0) FROM p) AS revenue
    FROM t
    UNION ALL
    SELECT CASE WHEN sp.team_id IS NULL THEN 'segment' ELSE 'team' END,
           CASE WHEN sp.team_id IS NULL THEN sp.segment
                WHEN sp.segment = '' THEN sp.team_id::text
                ELSE sp.team_id::text || '/' || sp.segment END,
           sp.amount, t.id, sp.id, t.currency,
           (SELECT coalesce(sum(revenue), 0) FROM p
            WHERE (sp.team_id IS NULL OR p.team_id = sp.team_id) AND (sp.segment = '' OR p.segment = sp.segment))
    FROM t JOIN funnel_targetsplit sp ON sp.target_id = t.id
)
INSERT INTO funnel_metricvalue
    (snapshot_id, metric, stage, to_stage, dimension, dimension_value, value, numerator, denominator, detail)
SELECT %(snapshot)s, 'target_attainment', '', '', dimension, dimension_value, round(revenue / target, 6),
       revenue, target, jsonb_build_object('target', target_id, 'split', split_id, 'currency', currency)
FROM r
"""


@per_period
def target_attainment(cursor, period: Period, snapshot_id: int) -> None:
    cursor.execute(
        ATTAINMENT_SQL,
        {
            "kind": period.kind,
            "start": period.start,
            "starts": period.starts_at,
            "ends": period.ends_at,
            "snapshot": snapshot_id,
        },
    )
