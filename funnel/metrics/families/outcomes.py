"""How the funnel closed in a period: HBR's shared measures (new customers, closings, gross margin per customer)
and the win rate, for the whole company and every dimension (owner and team: who held the lead when it closed).

- `win_rate`: won ÷ (won + lost) over the leads closed during P — those that entered purchase or lost during
  P, open ones excluded. A lead both lost and bought in P counts as won; it is sliced by its first closing span
  in P (its purchase when won). `closings` (won, the numerator) and `closed_lost` count the two sides.
- `new_customers`: customers whose first purchase ever falls in P; a customer is the lead's company, or the lead
  itself when it has none. Counted once, at the lead whose purchase was the first.
- `revenue`, `gross_margin`: sums over the purchases recorded during P (funnel_purchase: the value and margin
  as they stood when bought); `gross_margin_per_customer` = that margin ÷ the distinct customers who bought in
  P. Money is never summed across currencies: each currency has its own row, named in `to_stage` (as the
  money family does).
"""

from funnel.metrics.compute import IN_PERIOD, PERIOD_KEY
from funnel.metrics.measures import Group, count, ratio, total

# Each customer's first purchase span up to the batch's end (the first up to a period's end, where it falls in that
# period, is the customer's first ever), found once rather than probed per purchase; a
# customer is the lead's company, else the lead itself (negated so it never meets a company id). The
# lead's company is a scalar lookup per purchase: as a join, the planner hashed all 1M leads for 32k purchases
# (0.44 s of a day's 0.50 s statement; with the lookups the statement takes 0.31-0.38 s).
FIRST_PURCHASES = """SELECT DISTINCT ON (fc.customer) fc.id
    FROM (
        SELECT f.id, f.entered_at,
               coalesce((SELECT fl.company_id FROM leads_lead fl WHERE fl.id = f.lead_id), -f.lead_id) AS customer
        FROM {spans} f WHERE f.stage = 'purchase' AND f.entered_at < %(end)s
    ) fc
    ORDER BY fc.customer, fc.entered_at, fc.id"""

CLOSES_SQL = f"""
WITH closes AS (
    SELECT DISTINCT ON (k.period, s.lead_id) k.period, s.id, s.lead_id, s.stage, s.entered_at, s.owner_id, s.team_id
    FROM {{spans}} s CROSS JOIN LATERAL (SELECT {PERIOD_KEY.format("s.entered_at")} AS period) k
    WHERE s.stage IN ('purchase', 'lost') AND {IN_PERIOD.format("s.entered_at")}
    ORDER BY k.period, s.lead_id, s.stage = 'purchase' DESC, s.entered_at, s.id
)
SELECT k.period, k.lead_id, ''::text AS stage, ''::text AS to_stage, k.owner_id, k.team_id, k.stage = 'purchase' AS won,
       k.stage = 'purchase' AND k.id IN ({FIRST_PURCHASES}) AS new_customer
FROM closes k
"""
# One closing span per lead and period (DISTINCT ON), so rows counted are leads counted.
closes = Group(
    name="closes",
    base=CLOSES_SQL,
    measures=(
        ratio("win_rate", "b.won", distinct=False),
        count("closings", "b.won", distinct=False),
        count("closed_lost", "NOT b.won", distinct=False),
        count("new_customers", "b.new_customer", distinct=False),
    ),
)

SALES_SQL = f"""
SELECT {PERIOD_KEY.format("p.purchased_at")} AS period, p.lead_id, ''::text AS stage, p.currency::text AS to_stage,
       s.owner_id, s.team_id, p.revenue, p.gross_margin,
       coalesce('company ' || pl.company_id, 'lead ' || p.lead_id) AS customer
FROM {{purchases}} p
JOIN leads_lead pl ON pl.id = p.lead_id
LEFT JOIN {{spans}} s ON s.opened_by_id = p.transition_id
WHERE {IN_PERIOD.format("p.purchased_at")}
"""
PURCHASES = "jsonb_build_object('purchases', count(*))"
sales = Group(
    name="sales",
    base=SALES_SQL,
    measures=(
        total("revenue", "b.revenue", detail=PURCHASES),
        total("gross_margin", "b.gross_margin", detail=PURCHASES),
        total("gross_margin_per_customer", "b.gross_margin", per="b.customer", detail=PURCHASES),
    ),
)
