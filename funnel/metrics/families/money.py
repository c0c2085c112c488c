"""Money metrics: what a lead, an MQL and a customer cost, what campaign spend returned under each attribution
model, marketing-sourced and -influenced revenue, and sales expense to sales.

Currencies are never converted (as in funnel.attribution): every money row is one currency's, named in
`to_stage` (and in `detail.currency`). Where a cost is spread over a count that has no currency (leads, MQLs,
customers), each currency's row divides that currency's cost by the whole count, so a company spending in two
currencies reads two rows whose sum, once converted by the reader, is the blended figure. Return on spend
only credits revenue of purchases in the campaign's own currency. Rows:

- `cost_per_lead`, `cost_per_mql`, `cost_per_customer`: (campaign spend + sales expenses dated in the period)
  ÷ leads created / leads first reaching MQL (the first move that used a signed MQL definition, as
  funnel.attribution records it) / new customers (as funnel.metrics.families.outcomes counts them: a company's,
  or a companyless lead's, first purchase). For the whole company; per campaign and channel the cost is that
  campaign's (channel's) spend and the count that of the leads it sourced (the lead-source field, as every
  metric's campaign dimension). Rows exist where a cost does.
- `return_on_spend` (`stage` = attribution model): revenue credited under the model to campaigns on purchases
  in the period ÷ campaign spend in the period; whole company, campaign, channel.
- `marketing_sourced_revenue`, `marketing_influenced_revenue`: funnel.attribution's definitions (sourced =
  the first-touch credit, influenced = purchases with a touch before the opportunity milestone, or before the
  purchase without one) over purchases in the period; denominator = all revenue of those purchases in that
  currency. Influenced ⊇ sourced: never add them. Whole company, campaign, channel.
- `sales_expense_to_sales`: sales expenses dated in the period ÷ revenue of purchases in the period; whole
  company and per team (the expense's team; the purchase's is the team holding the lead when it was bought).

`money_leads` lists the leads behind any row.
"""

import json

from django.db.models import QuerySet

from funnel.attribution.services import MQL
from funnel.attribution.weights import FIRST, MODELS
from funnel.metrics.compute import IN_PERIOD, per_period
from funnel.metrics.families.drill import INSERT, leads_in
from funnel.metrics.families.outcomes import FIRST_PURCHASES
from funnel.metrics.periods import Period
from leads.models import Lead

MQL_USED = f"definition_versions @> '{json.dumps([{'code': MQL}])}'"
DATED = "spent_on >= %(first)s AND spent_on < %(last)s"
FIRST_MQL = f"""t.{MQL_USED} AND {IN_PERIOD.format("t.occurred_at")} AND NOT EXISTS (
    SELECT 1 FROM funnel_transition e WHERE e.lead_id = t.lead_id AND e.{MQL_USED}
    AND (e.occurred_at, e.id) < (t.occurred_at, t.id))"""
# As funnel.metrics.families.outcomes counts new customers: a customer is the lead's company (else the lead), new at
# its first purchase ever; `k` is a purchase span, `l` its lead.
NEW_CUSTOMER = f"""k.stage = 'purchase' AND {IN_PERIOD.format("k.entered_at")}
    AND k.id IN ({FIRST_PURCHASES.format(spans="funnel_stagespan")})"""
TOUCHED = "t.lead_id = p.lead_id AND t.occurred_at <= coalesce(p.sql_at, p.purchased_at)"
PURCHASES = f"purchases AS (SELECT * FROM funnel_purchase WHERE {IN_PERIOD.format('purchased_at')})"


def _slice(**expressions: str) -> str:
    """`dimension, dimension_value` for GROUPING SETS over `expressions` (dimension name → SQL), 'all' otherwise."""
    names = " ".join(f"WHEN GROUPING({e}) = 0 THEN '{d}'" for d, e in expressions.items())
    values = " ".join(f"WHEN GROUPING({e}) = 0 THEN COALESCE(({e})::text, '')" for d, e in expressions.items())
    return f"CASE {names} ELSE 'all' END AS dimension, CASE {values} ELSE '' END AS dimension_value"


CAMPAIGN_SLICE = _slice(campaign="c.id", channel="c.channel")
SPEND = f"""spend AS (
    SELECT {CAMPAIGN_SLICE}, s.currency, sum(s.amount) AS amount
    FROM crm_campaignspend s JOIN crm_campaign c ON c.id = s.campaign_id
    WHERE s.{DATED}
    GROUP BY GROUPING SETS ((s.currency), (c.id, s.currency), (c.channel, s.currency))
)"""

COST_SQL = f"""
WITH {SPEND},
costs AS (
    SELECT dimension, dimension_value, currency, sum(amount) AS amount FROM (
        SELECT * FROM spend
        UNION ALL
        SELECT 'all', '', currency, amount FROM funnel_salesexpense WHERE {DATED}
    ) x GROUP BY 1, 2, 3
),
reached AS (
    SELECT id AS lead_id, 'lead' AS kind FROM leads_lead WHERE {IN_PERIOD.format("created_at")}
    UNION ALL SELECT t.lead_id, 'mql' FROM funnel_transition t WHERE {FIRST_MQL}
    UNION ALL
    SELECT k.lead_id, 'customer' FROM funnel_stagespan k JOIN leads_lead l ON l.id = k.lead_id WHERE {NEW_CUSTOMER}
),
counts AS (
    SELECT {_slice(campaign="l.source_campaign_id", channel="c.channel")},
        count(*) FILTER (WHERE r.kind = 'lead') AS leads,
        count(*) FILTER (WHERE r.kind = 'mql') AS mqls,
        count(*) FILTER (WHERE r.kind = 'customer') AS customers
    FROM reached r JOIN leads_lead l ON l.id = r.lead_id LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id
    GROUP BY GROUPING SETS ((), (l.source_campaign_id), (c.channel))
)
{INSERT}
SELECT %(snapshot)s, m.metric, '', k.currency, k.dimension, k.dimension_value, k.amount / NULLIF(m.n, 0),
       k.amount, m.n, jsonb_build_object('currency', k.currency)
FROM costs k
LEFT JOIN counts n USING (dimension, dimension_value)
CROSS JOIN LATERAL (VALUES
    ('cost_per_lead', coalesce(n.leads, 0)),
    ('cost_per_mql', coalesce(n.mqls, 0)),
    ('cost_per_customer', coalesce(n.customers, 0))
) AS m(metric, n)
"""

RETURN_SQL = f"""
WITH {SPEND}, {PURCHASES},
credited AS (
    SELECT cr.model, {CAMPAIGN_SLICE}, c.currency, sum(cr.revenue) AS revenue
    FROM purchases p
    JOIN funnel_attributioncredit cr ON cr.purchase_id = p.id
    JOIN crm_campaign c ON c.id = cr.campaign_id AND c.currency = p.currency
    GROUP BY GROUPING SETS ((cr.model, c.currency), (cr.model, c.id, c.currency), (cr.model, c.channel, c.currency))
),
spent AS (SELECT * FROM spend CROSS JOIN unnest(%(models)s::text[]) AS mm(model))
{INSERT}
SELECT %(snapshot)s, 'return_on_spend', model, currency, dimension, dimension_value,
       coalesce(x.revenue, 0) / NULLIF(sp.amount, 0), coalesce(x.revenue, 0), coalesce(sp.amount, 0),
       jsonb_build_object('currency', currency)
FROM spent sp FULL JOIN credited x USING (model, dimension, dimension_value, currency)
"""

REVENUE_SQL = f"""
WITH {PURCHASES},
totals AS (SELECT currency, sum(revenue) AS revenue FROM purchases GROUP BY currency),
sourced AS (
    SELECT {CAMPAIGN_SLICE}, p.currency, sum(cr.revenue) AS revenue
    FROM purchases p
    JOIN funnel_attributioncredit cr ON cr.purchase_id = p.id AND cr.model = %(first_model)s
    JOIN crm_campaign c ON c.id = cr.campaign_id
    GROUP BY GROUPING SETS ((p.currency), (c.id, p.currency), (c.channel, p.currency))
),
touched AS (
    SELECT DISTINCT p.id AS purchase_id, c.id AS campaign_id, c.channel
    FROM purchases p JOIN crm_touch t ON {TOUCHED} JOIN crm_campaign c ON c.id = t.campaign_id
),
influenced AS (
    SELECT 'all' AS dimension, '' AS dimension_value, p.currency, sum(p.revenue) AS revenue FROM purchases p
    WHERE p.id IN (SELECT purchase_id FROM touched) GROUP BY p.currency
    UNION ALL
    SELECT 'campaign', x.campaign_id::text, p.currency, sum(p.revenue)
    FROM touched x JOIN purchases p ON p.id = x.purchase_id GROUP BY 2, 3
    UNION ALL
    SELECT 'channel', y.channel, p.currency, sum(p.revenue)
    FROM (SELECT DISTINCT purchase_id, channel FROM touched) y JOIN purchases p ON p.id = y.purchase_id GROUP BY 2, 3
)
{INSERT}
SELECT %(snapshot)s, r.metric, '', r.currency, r.dimension, r.dimension_value, coalesce(r.revenue, 0),
       coalesce(r.revenue, 0), t.revenue, jsonb_build_object('currency', r.currency)
FROM (
    SELECT 'marketing_sourced_revenue' AS metric, * FROM sourced
    UNION ALL SELECT 'marketing_influenced_revenue', * FROM influenced
) r
JOIN totals t ON t.currency = r.currency
"""

EXPENSE_SQL = f"""
WITH {PURCHASES},
expenses AS (
    SELECT {_slice(team="team_id")}, currency, sum(amount) AS amount FROM funnel_salesexpense WHERE {DATED}
    GROUP BY GROUPING SETS ((currency), (team_id, currency))
),
sales AS (
    SELECT {_slice(team="s.team_id")}, p.currency, sum(p.revenue) AS revenue
    FROM purchases p LEFT JOIN funnel_stagespan s ON s.opened_by_id = p.transition_id
    GROUP BY GROUPING SETS ((p.currency), (s.team_id, p.currency))
)
{INSERT}
SELECT %(snapshot)s, 'sales_expense_to_sales', '', currency, dimension, dimension_value,
       coalesce(e.amount, 0) / NULLIF(s.revenue, 0), coalesce(e.amount, 0), coalesce(s.revenue, 0),
       jsonb_build_object('currency', currency)
FROM expenses e FULL JOIN sales s USING (dimension, dimension_value, currency)
"""


def _params(period: Period, snapshot_id: int | None = None) -> dict:
    return {
        "start": period.starts_at,
        "end": period.ends_at,
        "first": period.start,
        "last": period.end,
        "snapshot": snapshot_id,
        "models": list(MODELS),
        "first_model": FIRST,
    }


@per_period
def money_family(cursor, period: Period, snapshot_id: int) -> None:
    """Writes the cost, return, sourced/influenced revenue and expense ratio rows of `period`."""
    for sql in (COST_SQL, RETURN_SQL, REVENUE_SQL, EXPENSE_SQL):
        cursor.execute(sql, _params(period, snapshot_id))


# metric -> (lead-id query, {dimension: the SQL it slices by}, whether the row's currency narrows it)
PURCHASE = "FROM funnel_purchase p WHERE " + IN_PERIOD.format("p.purchased_at")
CREDITED = "JOIN funnel_attributioncredit cr ON cr.purchase_id = p.id JOIN crm_campaign c ON c.id = cr.campaign_id"
BY_CAMPAIGN = {"campaign": "c.id", "channel": "c.channel"}
DRILLS = {
    "cost_per_lead": (
        "SELECT l.id FROM leads_lead l LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id"
        f" WHERE {IN_PERIOD.format('l.created_at')}",
        {"campaign": "l.source_campaign_id", "channel": "c.channel"},
        False,
    ),
    "cost_per_mql": (
        "SELECT t.lead_id FROM funnel_transition t JOIN leads_lead l ON l.id = t.lead_id"
        f" LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id WHERE {FIRST_MQL}",
        {"campaign": "l.source_campaign_id", "channel": "c.channel"},
        False,
    ),
    "cost_per_customer": (
        "SELECT k.lead_id FROM funnel_stagespan k JOIN leads_lead l ON l.id = k.lead_id"
        f" LEFT JOIN crm_campaign c ON c.id = l.source_campaign_id WHERE {NEW_CUSTOMER}",
        {"campaign": "l.source_campaign_id", "channel": "c.channel"},
        False,
    ),
    "return_on_spend": (
        f"SELECT p.lead_id {PURCHASE.replace('WHERE', CREDITED + ' WHERE')}"
        " AND cr.model = %(stage)s AND c.currency = p.currency",
        BY_CAMPAIGN,
        True,
    ),
    "marketing_sourced_revenue": (
        f"SELECT p.lead_id {PURCHASE.replace('WHERE', CREDITED + ' WHERE')} AND cr.model = %(first_model)s",
        BY_CAMPAIGN,
        True,
    ),
    "marketing_influenced_revenue": (
        "SELECT p.lead_id FROM funnel_purchase p JOIN crm_touch t ON " + TOUCHED + " JOIN crm_campaign c"
        f" ON c.id = t.campaign_id WHERE {IN_PERIOD.format('p.purchased_at')}",
        BY_CAMPAIGN,
        True,
    ),
    "sales_expense_to_sales": (
        "SELECT p.lead_id FROM funnel_purchase p LEFT JOIN funnel_stagespan s ON s.opened_by_id = p.transition_id"
        f" WHERE {IN_PERIOD.format('p.purchased_at')}",
        {"team": "s.team_id"},
        True,
    ),
}


def money_leads(
    *, metric: str, period: Period, dimension: str = "all", value: str = "", stage: str = "", to_stage: str = ""
) -> QuerySet[Lead]:
    """The leads behind one money row: those counted in a cost's denominator, or whose purchases make up a
    revenue figure (in the row's currency, `to_stage`; `stage` is the model of a return-on-spend row)."""
    sql, slices, by_currency = DRILLS[metric]
    params = {**_params(period), "stage": stage, "value": value, "currency": to_stage}
    if dimension != "all":
        if dimension not in slices:
            return Lead.objects.none()
        sql += f" AND COALESCE(({slices[dimension]})::text, '') = %(value)s"
    if by_currency and to_stage:
        sql += " AND p.currency = %(currency)s"
    return leads_in(sql, params)
