"""Campaign performance: what each campaign cost and what it brought, under one attribution model — computed in
one SQL statement over touches, transitions, purchases, credits and spend.

Counts are of distinct leads a campaign touched (in the period, when one is given): how many, and how many of
them ever reached the MQL and SQL milestones (the first move that used the signed definition) and purchase.
Revenue and margin are the model's credits on purchases in the period; marketing-sourced revenue is the revenue
of purchases whose first touch was the campaign's, marketing-influenced the revenue of purchases with any of its
touches before the opportunity milestone (before the purchase when there was none). Influenced ⊇ sourced:
never add them.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.cache import cache
from django.utils import timezone

from config.db_router import read_connection
from funnel.attribution.weights import FIRST

PERFORMANCE_SQL = """
WITH touched AS (
    SELECT DISTINCT campaign_id, lead_id FROM crm_touch
    WHERE (%(since)s::date IS NULL OR occurred_at >= %(since)s::date)
      AND (%(until)s::date IS NULL OR occurred_at < %(until)s::date + 1)
      AND (%(campaign)s::bigint IS NULL OR campaign_id = %(campaign)s::bigint)
),
milestones AS (
    -- For every campaign, every lead's in one pass over the history (cheaper than probing it per touched
    -- lead); for one campaign, only its leads'.
    SELECT lead_id,
           bool_or(definition_versions @> '[{{"code": "MQL"}}]') AS mql,
           bool_or(definition_versions @> '[{{"code": "SQL"}}]') AS sql,
           bool_or(to_stage = 'purchase') AS customer
    FROM funnel_transition {milestone_filter} GROUP BY lead_id
),
reach AS (
    SELECT t.campaign_id, count(*) AS leads, count(*) FILTER (WHERE m.mql) AS mqls,
           count(*) FILTER (WHERE m.sql) AS sqls, count(*) FILTER (WHERE m.customer) AS customers
    FROM touched t LEFT JOIN milestones m ON m.lead_id = t.lead_id GROUP BY t.campaign_id
),
purchases AS (
    SELECT * FROM funnel_purchase
    WHERE (%(since)s::date IS NULL OR purchased_at >= %(since)s::date)
      AND (%(until)s::date IS NULL OR purchased_at < %(until)s::date + 1)
),
credited AS (
    SELECT c.campaign_id, c.model, sum(c.revenue) AS revenue, sum(c.gross_margin) AS margin
    FROM funnel_attributioncredit c JOIN purchases p ON p.id = c.purchase_id
    WHERE c.model = ANY(%(models)s::text[]) GROUP BY c.campaign_id, c.model
),
sourced AS (
    SELECT c.campaign_id, sum(c.revenue) AS revenue
    FROM funnel_attributioncredit c JOIN purchases p ON p.id = c.purchase_id
    WHERE c.model = %(first)s GROUP BY c.campaign_id
),
influenced AS (
    SELECT x.campaign_id, sum(p.revenue) AS revenue
    FROM (
        SELECT DISTINCT t.campaign_id, p.id AS purchase_id FROM purchases p
        JOIN crm_touch t ON t.lead_id = p.lead_id AND t.occurred_at <= coalesce(p.sql_at, p.purchased_at)
    ) x JOIN purchases p ON p.id = x.purchase_id GROUP BY x.campaign_id
),
spent AS (
    SELECT campaign_id, sum(amount) AS amount FROM crm_campaignspend
    WHERE (%(since)s::date IS NULL OR spent_on >= %(since)s::date)
      AND (%(until)s::date IS NULL OR spent_on <= %(until)s::date)
    GROUP BY campaign_id
)
SELECT m.model, c.id, c.name, c.channel, c.currency, c.budget,
       coalesce(r.leads, 0), coalesce(r.mqls, 0), coalesce(r.sqls, 0), coalesce(r.customers, 0),
       coalesce(s.amount, 0), coalesce(cr.revenue, 0), coalesce(cr.margin, 0), coalesce(so.revenue, 0),
       coalesce(i.revenue, 0)
FROM crm_campaign c
CROSS JOIN unnest(%(models)s::text[]) AS m(model)
LEFT JOIN reach r ON r.campaign_id = c.id
LEFT JOIN credited cr ON cr.campaign_id = c.id AND cr.model = m.model
LEFT JOIN sourced so ON so.campaign_id = c.id
LEFT JOIN influenced i ON i.campaign_id = c.id
LEFT JOIN spent s ON s.campaign_id = c.id
WHERE %(campaign)s::bigint IS NULL OR c.id = %(campaign)s::bigint
ORDER BY m.model, c.name
"""
COUNTS = ("leads", "mqls", "sqls", "customers")
AMOUNTS = ("spend", "revenue", "gross_margin", "sourced_revenue", "influenced_revenue")


@dataclass(frozen=True)
class Performance:
    campaign: int | None
    name: str
    channel: str
    currency: str
    budget: Decimal | None
    leads: int
    mqls: int
    sqls: int
    customers: int
    spend: Decimal
    revenue: Decimal
    gross_margin: Decimal
    sourced_revenue: Decimal
    influenced_revenue: Decimal

    def _per(self, count: int) -> Decimal | None:
        return (self.spend / count).quantize(Decimal("0.01")) if count and self.spend else None

    @property
    def cost_per_lead(self) -> Decimal | None:
        return self._per(self.leads)

    @property
    def cost_per_mql(self) -> Decimal | None:
        return self._per(self.mqls)

    @property
    def cost_per_customer(self) -> Decimal | None:
        return self._per(self.customers)

    @property
    def return_on_spend(self) -> Decimal | None:
        """Attributed revenue per unit of spend (5.00: every dollar spent brought five)."""
        return (self.revenue / self.spend).quantize(Decimal("0.01")) if self.spend else None


def campaign_performance(
    *, model: str, since: date | None = None, until: date | None = None, campaign_id: int | None = None
) -> list[Performance]:
    """Every campaign's row, or only `campaign_id`'s (a campaign's page reads its own leads' history only)."""
    return campaign_performance_by_model(models=[model], since=since, until=until, campaign_id=campaign_id)[model]


def campaign_performance_by_model(
    *, models: list[str], since: date | None = None, until: date | None = None, campaign_id: int | None = None
) -> dict[str, list[Performance]]:
    """The report under several models in one statement: touches, milestones, spend and influence are read once,
    only the credits differ by model."""
    milestone_filter = "" if campaign_id is None else "WHERE lead_id IN (SELECT lead_id FROM touched)"
    params = {"models": list(models), "first": FIRST, "since": since, "until": until, "campaign": campaign_id}
    report: dict[str, list[Performance]] = {model: [] for model in models}
    with read_connection().cursor() as cursor:
        cursor.execute(PERFORMANCE_SQL.format(milestone_filter=milestone_filter), params)
        for model, *row in cursor.fetchall():
            report[model].append(Performance(*row))
    return report


def channel_performance(rows: list[Performance]) -> list[Performance]:
    """The campaigns' rows summed per channel and currency (a lead touched by two campaigns of a channel counts in
    both); money is never added across currencies, so a channel with campaigns in two has a row for each."""
    channels: dict[tuple[str, str], list[Performance]] = {}
    for row in rows:
        channels.setdefault((row.channel, row.currency), []).append(row)
    return [
        Performance(
            None,
            channel,
            channel,
            currency,
            sum((m.budget or Decimal(0) for m in members), Decimal(0)),
            *(sum(getattr(m, name) for m in members) for name in COUNTS),
            *(sum((getattr(m, name) for m in members), Decimal(0)) for name in AMOUNTS),
        )
        for (channel, currency), members in sorted(channels.items())
    ]


def campaign_credit_by_model(*, campaign_id: int) -> dict[str, Decimal]:
    """Revenue credited to one campaign under each model (models that credit it nothing are absent)."""
    with read_connection().cursor() as cursor:
        cursor.execute(
            "SELECT model, sum(revenue) FROM funnel_attributioncredit WHERE campaign_id = %s GROUP BY model",
            [campaign_id],
        )
        return dict(cursor.fetchall())


CACHE_SECONDS = 15 * 60


def campaign_performance_cached(*, model: str) -> tuple[list[Performance], datetime]:
    """Every campaign's row under `model` and when it was computed. At millions of touches the report takes
    seconds, so the campaign list reads a copy a job refreshes every five minutes (funnel.tasks
    .campaign_performance_refresh); a cold cache computes it once, here."""
    cached = cache.get(_cache_key(model))
    if cached is None:
        cached = campaign_performance_refresh(models=[model])[model]
    return cached


def campaign_performance_refresh(*, models: list[str]) -> dict[str, tuple[list[Performance], datetime]]:
    """Recomputes the cached report for `models`, in one statement, and returns it."""
    now = timezone.now()
    computed = {model: (rows, now) for model, rows in campaign_performance_by_model(models=models).items()}
    cache.set_many({_cache_key(model): value for model, value in computed.items()}, CACHE_SECONDS)
    return computed


def _cache_key(model: str) -> str:
    return f"campaign-performance:{model}"
