"""The historical rates the forecast and the reverse funnel plan with, each read in one SQL statement over a
trailing window (12 months before `now` unless told).

How milestones are counted — the same convention as attribution's Purchase.mql_at / sql_at:
- a lead is an **MQL** (an **SQL**) from its first transition that used a signed MQL (SQL) definition version,
  as recorded in the transition's `definition_versions`. Definition crossings (a score change that made a lead
  meet a definition) are not counted: they never move a lead, and only the move is where both teams' rules
  accepted the qualification;
- a **new lead** is a lead created in the window; a **purchase** is the lead's first move to purchase.
Cohort rates (REFERENCE §6): of the leads that reached milestone A in the window, the share that later reached
B; the lag is the median days from A to B among those that did. Recent cohorts have had less time to convert,
so rates read this way lean low — the safe side for a plan.

Stage win rates (the forecast): of the leads that entered a stage in the window (their first entry there), the
share with a later purchase span, and the median days from that entry to the purchase.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone

from config.db_router import read_connection

WINDOW = timedelta(days=365)

STAGE_RATES_SQL = """
WITH cohort AS (
    SELECT lead_id, stage, min(entered_at) AS entered_at FROM funnel_stagespan
    WHERE entered_at >= %(since)s AND entered_at < %(until)s AND stage = ANY(%(stages)s)
    GROUP BY lead_id, stage
),
won AS (
    SELECT c.lead_id, c.stage, extract(epoch FROM min(p.entered_at) - c.entered_at) / 86400 AS days
    FROM cohort c
    JOIN funnel_stagespan p ON p.lead_id = c.lead_id AND p.stage = 'purchase' AND p.entered_at > c.entered_at
    GROUP BY c.lead_id, c.stage, c.entered_at
)
SELECT c.stage, count(*), count(w.lead_id), percentile_cont(0.5) WITHIN GROUP (ORDER BY w.days)
FROM cohort c LEFT JOIN won w ON w.lead_id = c.lead_id AND w.stage = c.stage
GROUP BY c.stage
"""

MILESTONE_RATES_SQL = """
WITH firsts AS (
    SELECT lead_id,
           min(occurred_at) FILTER (WHERE definition_versions @> '[{"code": "MQL"}]') AS mql_at,
           min(occurred_at) FILTER (WHERE definition_versions @> '[{"code": "SQL"}]') AS sql_at,
           min(occurred_at) FILTER (WHERE to_stage = 'purchase') AS won_at
    FROM funnel_transition GROUP BY lead_id
),
m AS (
    SELECT l.created_at, f.mql_at, f.sql_at, f.won_at,
           l.created_at >= %(since)s AND l.created_at < %(until)s AS new_in,
           f.mql_at >= %(since)s AND f.mql_at < %(until)s AS mql_in,
           f.sql_at >= %(since)s AND f.sql_at < %(until)s AS sql_in
    FROM leads_lead l JOIN firsts f ON f.lead_id = l.id
)
SELECT
    count(*) FILTER (WHERE new_in),
    count(*) FILTER (WHERE new_in AND mql_at >= created_at),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM mql_at - created_at) / 86400)
        FILTER (WHERE new_in AND mql_at >= created_at),
    count(*) FILTER (WHERE mql_in),
    count(*) FILTER (WHERE mql_in AND sql_at >= mql_at),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sql_at - mql_at) / 86400)
        FILTER (WHERE mql_in AND sql_at >= mql_at),
    count(*) FILTER (WHERE sql_in),
    count(*) FILTER (WHERE sql_in AND won_at >= sql_at),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM won_at - sql_at) / 86400)
        FILTER (WHERE sql_in AND won_at >= sql_at),
    (SELECT avg(revenue) FROM funnel_purchase WHERE purchased_at >= %(since)s AND purchased_at < %(until)s
        AND currency = %(currency)s AND revenue IS NOT NULL),
    (SELECT count(*) FROM funnel_purchase WHERE purchased_at >= %(since)s AND purchased_at < %(until)s
        AND currency = %(currency)s AND revenue IS NOT NULL)
FROM m
"""


@dataclass(frozen=True)
class Rate:
    """`reached` of `entered` went on to the next milestone, a median `lag_days` later."""

    entered: int
    reached: int
    lag_days: float | None

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.reached, self.entered) if self.entered and self.reached else None

    @property
    def percent(self) -> float | None:
        return round(100 * self.reached / self.entered, 1) if self.entered else None


@dataclass(frozen=True)
class FunnelRates:
    since: datetime
    until: datetime
    lead_to_mql: Rate
    mql_to_sql: Rate
    sql_to_purchase: Rate
    average_deal: Decimal | None
    deals: int  # the purchases (in the target's currency) the average is taken over


def window(now: datetime | None) -> tuple[datetime, datetime]:
    until = now or timezone.now()
    return until - WINDOW, until


def stage_win_rates(*, stages: list[str], now: datetime | None = None) -> dict[str, Rate]:
    since, until = window(now)
    with read_connection().cursor() as cursor:
        cursor.execute(STAGE_RATES_SQL, {"since": since, "until": until, "stages": list(stages)})
        return {stage: Rate(entered, won, days) for stage, entered, won, days in cursor.fetchall()}


def funnel_rates(*, currency: str, now: datetime | None = None) -> FunnelRates:
    since, until = window(now)
    with read_connection().cursor() as cursor:
        cursor.execute(MILESTONE_RATES_SQL, {"since": since, "until": until, "currency": currency})
        row = cursor.fetchone()
    average = row[9].quantize(Decimal("0.01")) if row[9] is not None else None
    return FunnelRates(
        since, until, Rate(*row[0:3]), Rate(*row[3:6]), Rate(*row[6:9]), average_deal=average, deals=row[10]
    )
