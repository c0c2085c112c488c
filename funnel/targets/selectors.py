"""Reads of the shared target: the targets, the one in force on a day, attainment so far, the forecast from the
open funnel, the reverse funnel, and the leads behind each of their numbers.

Money: only purchases and leads in the target's currency count (funnel.attribution converts nothing either);
the others are counted and named beside the number, never mixed into it.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from funnel.attribution.models import Purchase
from funnel.models.transitions import Transition
from funnel.targets import rates as history
from funnel.targets import reverse
from funnel.targets.choices import LeadSet
from funnel.targets.models import RevenueTarget, TargetSplit
from funnel.targets.periods import target_period
from leads.choices import FUNNEL_STAGES, SignOffSide, Stage, VersionStatus
from leads.models import Lead
from leads.signoff import SIGNERS

OPEN_STAGES = [stage for stage in FUNNEL_STAGES if stage != Stage.PURCHASE]


def target_list() -> QuerySet[RevenueTarget]:
    """Every target, newest period first; the shared number is read by everyone who signs in."""
    return RevenueTarget.objects.select_related("proposed_by", "marketing_approver", "sales_approver").prefetch_related(
        "splits__team"
    )


def target_get(*, target_id: int) -> RevenueTarget:
    return target_list().get(pk=target_id)


def target_active(*, on: date) -> RevenueTarget | None:
    """The signed target in force on `on`: the shortest active period holding it (a month's number before its
    quarter's, a quarter's before its year's), or None when both teams have committed to no number for it."""
    active = RevenueTarget.objects.filter(status=VersionStatus.ACTIVE, period_start__lte=on, period_end__gt=on)
    return min(active, key=lambda t: (t.period_end - t.period_start, -t.pk), default=None)


@dataclass(frozen=True)
class SideSignature:
    """A side the viewer may sign for, as the target stands: who signed it and when, or whether they may now."""

    side: str
    signer: User | None
    signed_at: datetime | None
    by_viewer: bool
    may_sign: bool


def target_signatures(*, target: RevenueTarget, user: User) -> list[SideSignature]:
    """The sides `user`'s role signs for. A side is signed once (by one person), and one person never signs both,
    so the button is offered only for an unsigned side of a proposal whose other side is not the viewer's."""
    result = []
    for side, roles in SIGNERS.items():
        if user.role not in roles:
            continue
        signer, signed_at = getattr(target, f"{side}_approver"), getattr(target, f"{side}_signed_at")
        other = target.sales_approver_id if side == SignOffSide.MARKETING else target.marketing_approver_id
        may_sign = signer is None and other != user.pk and target.status == VersionStatus.PROPOSED
        result.append(SideSignature(side, signer, signed_at, signer is not None and signer.pk == user.pk, may_sign))
    return result


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole).quantize(Decimal("0.0001")) if whole else None


def _in_split(split: TargetSplit | None, team_id: int | None, segment: str) -> bool:
    return split is None or (
        (split.team_id is None or split.team_id == team_id) and (not split.segment or split.segment == segment)
    )


def _split_q(split: TargetSplit | None, team: str, segment: str) -> Q:
    q = Q()
    if split is not None and split.team_id:
        q &= Q(**{team: split.team_id})
    if split is not None and split.segment:
        q &= Q(**{segment: split.segment})
    return q


# --- attainment -------------------------------------------------------------------------------------------


@dataclass
class Attained:
    split: TargetSplit | None
    amount: Decimal
    revenue: Decimal = Decimal(0)
    purchases: int = 0

    @property
    def ratio(self) -> Decimal | None:
        return _ratio(self.revenue, self.amount)

    @property
    def percent(self) -> Decimal | None:
        return (self.ratio * 100).quantize(Decimal("0.1")) if self.ratio is not None else None


@dataclass
class Attainment:
    target: RevenueTarget
    total: Attained
    splits: list[Attained]
    other_currencies: dict[str, int] = field(default_factory=dict)  # purchases not counted, by currency
    unpriced: int = 0  # purchases in the currency without a revenue


def _purchases(target: RevenueTarget) -> QuerySet[Purchase]:
    period = target_period(kind=target.period_kind, start=target.period_start)
    return Purchase.objects.filter(purchased_at__gte=period.starts_at, purchased_at__lt=period.ends_at)


def target_attainment(*, target: RevenueTarget) -> Attainment:
    """Revenue of the purchases in the target's period (in its currency) against the target and each split.
    A purchase counts for a team's split when the lead was that team's at the purchase (the purchase's stage
    span), for a segment's when the lead is of that segment."""
    purchases = _purchases(target)
    groups = (
        purchases.filter(currency=target.currency, revenue__isnull=False)
        .values("transition__span__team_id", "lead__segment")
        .annotate(revenue=Sum("revenue"), n=Count("id"))
    )
    splits = list(target.splits.all()) if target.pk else []  # an unsaved target: what one would attain
    result = Attainment(target, Attained(None, target.amount), [Attained(s, s.amount) for s in splits])
    for group in groups:
        for attained in [result.total, *result.splits]:
            if _in_split(attained.split, group["transition__span__team_id"], group["lead__segment"]):
                attained.revenue += group["revenue"]
                attained.purchases += group["n"]
    others = purchases.exclude(currency=target.currency).values("currency").annotate(n=Count("id"))
    result.other_currencies = {row["currency"]: row["n"] for row in others.order_by("currency")}
    result.unpriced = purchases.filter(currency=target.currency, revenue__isnull=True).count()
    return result


# --- forecast ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageForecast:
    stage: str
    leads: int
    value: Decimal
    win: history.Rate
    expected_close: datetime | None  # now + the stage's median days to purchase
    timing: str | None  # the expected close against the period: "before", "within" or "after" (None: no close)

    @property
    def counted(self) -> bool:
        return self.timing == "within"

    @property
    def expected(self) -> Decimal:
        rate = self.win.rate
        if not self.counted or rate is None:
            return Decimal(0)
        # Whole units: cents on a probability-weighted value would be false precision.
        return (self.value * Decimal(rate.numerator) / Decimal(rate.denominator)).quantize(Decimal(1))

    @property
    def expected_purchases(self) -> Fraction:
        return self.leads * self.win.rate if self.counted and self.win.rate else Fraction(0)


@dataclass
class Forecast:
    attained: Decimal
    stages: list[StageForecast]

    @property
    def expected(self) -> Decimal:
        return sum((s.expected for s in self.stages), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.attained + self.expected

    @property
    def counted_stages(self) -> list[str]:
        return [s.stage for s in self.stages if s.counted and s.win.rate]


def _open_leads(target: RevenueTarget, split: TargetSplit | None) -> QuerySet[Lead]:
    """The forecast's "Open leads" of a stage, and the drill-down behind that number: one definition for both."""
    return Lead.objects.filter(
        _split_q(split, "team_id", "segment"),
        stage__in=OPEN_STAGES,
        currency=target.currency,
        expected_value__isnull=False,
    )


def target_forecast(
    *, target: RevenueTarget, split: TargetSplit | None = None, attained: Decimal, now: datetime | None = None
) -> Forecast:
    """What the period will likely close at: the revenue attained plus, for each open lead with a value in the
    target's currency, its value times its stage's historical win rate — counted when its expected close (now + the
    stage's median days from entry to purchase) falls inside the period."""
    now = now or timezone.now()
    period = target_period(kind=target.period_kind, start=target.period_start)
    wins = history.stage_win_rates(stages=OPEN_STAGES, now=now)
    held = {
        row["stage"]: row
        for row in _open_leads(target, split).values("stage").annotate(n=Count("id"), value=Sum("expected_value"))
    }
    stages = []
    for stage in OPEN_STAGES:
        win = wins.get(stage, history.Rate(0, 0, None))
        close = now + timedelta(days=win.lag_days) if win.lag_days is not None else None
        row = held.get(stage, {"n": 0, "value": Decimal(0)})
        stages.append(StageForecast(stage, row["n"], row["value"] or Decimal(0), win, close, _timing(close, period)))
    return Forecast(attained, stages)


def _timing(close: datetime | None, period) -> str | None:
    # A future period's closes mostly fall before it: "after" was said of every close outside the period.
    if close is None:
        return None
    if close < period.starts_at:
        return "before"
    return "within" if close < period.ends_at else "after"


# --- reverse funnel ---------------------------------------------------------------------------------------

NEED_NAMES = {"purchase": "Purchases", "sql": "SQLs", "mql": "MQLs", "lead": "New leads"}
NEED_UNITS = {
    "purchase": ("purchase", "purchases"),
    "sql": ("SQL", "SQLs"),
    "mql": ("MQL", "MQLs"),
    "lead": ("new lead", "new leads"),
}


def need_words(counts: dict[str, int]) -> str:
    """{"sql": 15, "mql": 1} → "15 SQLs, 1 MQL", in the plan's order: how a manager says it."""
    return ", ".join(f"{counts[name]} {NEED_UNITS[name][counts[name] != 1]}" for name in NEED_UNITS if counts.get(name))


def _used(code: str) -> Exists:
    return Exists(Transition.objects.filter(lead_id=OuterRef("pk"), definition_versions__contains=[{"code": code}]))


def held_leads(which: str) -> QuerySet[Lead]:
    """Open leads by the furthest milestone they reached: SQL; MQL but not SQL; neither."""
    open_leads = Lead.objects.filter(stage__in=OPEN_STAGES)
    if which == LeadSet.HELD_SQLS:
        return open_leads.filter(_used("SQL"))
    if which == LeadSet.HELD_MQLS:
        return open_leads.filter(_used("MQL")).exclude(_used("SQL"))
    return open_leads.exclude(_used("MQL")).exclude(_used("SQL"))


@dataclass
class ReverseFunnel:
    remaining: Decimal
    rates: history.FunnelRates
    needs: list[reverse.Need]
    weeks: list[dict]
    held: dict[str, Fraction]  # what the funnel holds now against each need (purchases: expected ones)
    over: bool = False  # the period has ended: nothing left to plan by week

    def gap(self, name: str) -> int | None:
        need = next(n for n in self.needs if n.name == name)
        if need.count is None:
            return None
        return reverse.short_by(need.count, self.held[name])

    @property
    def pipeline_needed(self) -> Decimal | None:
        """The SQL pipeline the plan needs: the SQLs still needed times the average deal."""
        sqls = self.needs[1].count
        if not (sqls and self.remaining > 0 and self.rates.average_deal):
            return None
        return sqls * self.rates.average_deal

    @property
    def coverage(self) -> Decimal | None:
        """The pipeline needed ÷ the revenue still to win: the real coverage ratio (REFERENCE §6). Whole deals
        make it large when less than one average deal is left to win."""
        pipeline = self.pipeline_needed
        return (pipeline / self.remaining).quantize(Decimal("0.01")) if pipeline else None


def target_reverse_funnel(
    *, target: RevenueTarget, attained: Decimal, forecast: Forecast, now: datetime | None = None
) -> ReverseFunnel:
    """From the revenue still to win and the cohort rates of the trailing 12 months: the purchases, SQLs, MQLs
    and new leads needed (rounded up at every step), by week with each step's lag, against what the funnel
    holds now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rates = history.funnel_rates(currency=target.currency, now=now)
    remaining = max(Decimal(0), target.amount - attained)
    steps = [
        reverse.Step("sql", rates.sql_to_purchase.rate, rates.sql_to_purchase.lag_days),
        reverse.Step("mql", rates.mql_to_sql.rate, rates.mql_to_sql.lag_days),
        reverse.Step("lead", rates.lead_to_mql.rate, rates.lead_to_mql.lag_days),
    ]
    plan = reverse.needs(remaining=remaining, average_deal=rates.average_deal, steps=steps)
    held = {
        "purchase": sum((s.expected_purchases for s in forecast.stages), Fraction(0)),
        "sql": Fraction(held_leads(LeadSet.HELD_SQLS).count()),
        "mql": Fraction(held_leads(LeadSet.HELD_MQLS).count()),
        "lead": Fraction(held_leads(LeadSet.HELD_LEADS).count()),
    }
    weeks = []
    if today < target.period_end:
        weeks = reverse.by_week(
            plan=plan,
            first_week=reverse.week_start(max(today, target.period_start)),
            last_week=reverse.week_start(target.period_end - timedelta(days=1)),
            this_week=reverse.week_start(today),
        )
    weeks = reverse.short_by_week(weeks, held)
    return ReverseFunnel(remaining, rates, plan, weeks, held, over=today >= target.period_end)


# --- the leads behind the numbers -------------------------------------------------------------------------


def target_leads(
    *, target: RevenueTarget, which: str, split: TargetSplit | None = None, now: datetime | None = None
) -> QuerySet[Lead]:
    """Exactly the leads a number of the target's page counts (the viewer's visibility is applied by the caller):
    the purchases attained, the open leads the forecast counts (those in stages whose expected close falls in the
    period), the open leads with a value per stage whether counted or not, or the funnel's open SQLs, MQLs and
    other leads."""
    if which == LeadSet.PURCHASES:
        counted = _purchases(target).filter(
            _split_q(split, "transition__span__team_id", "lead__segment"),
            currency=target.currency,
            revenue__isnull=False,
        )
        return Lead.objects.filter(pk__in=counted.values("lead_id"))
    if which == LeadSet.FORECAST:
        forecast = target_forecast(target=target, split=split, attained=Decimal(0), now=now)
        return _open_leads(target, split).filter(stage__in=forecast.counted_stages)
    if which == LeadSet.OPEN:
        return _open_leads(target, split)
    return held_leads(which)
