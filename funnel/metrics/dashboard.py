"""The managers' dashboard as data: one period's stored metrics for one slice (the whole company, a team, a
segment, a campaign or a channel), the trend of the periods before it, and the shared target and integration
level beside them. Reads snapshots only (two queries for the metrics), so the page and its API cost the same
whatever the size of the history; the web page and `GET /api/v1/dashboard/` both call `dashboard_read`."""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Team
from crm.choices import Channel, Segment
from crm.models.campaigns import Campaign
from funnel.metrics.choices import Dimension, PeriodKind
from funnel.metrics.invalidation import snapshots_read
from funnel.metrics.models import MetricSnapshot, MetricValue
from funnel.metrics.periods import Period, period_of
from leads.choices import FUNNEL_STAGES

# The filters a manager slices the dashboard by: one at a time, as the snapshots store one dimension per row.
SLICES = (Dimension.TEAM, Dimension.SEGMENT, Dimension.CAMPAIGN, Dimension.CHANNEL)
TREND_PERIODS = 12
TREND_METRICS = ("entered", "revenue", "win_rate", "closings")
STAGES = [str(stage) for stage in FUNNEL_STAGES]


@dataclass(frozen=True)
class Slice:
    dimension: str = Dimension.ALL
    value: str = ""


@dataclass
class Number:
    """A stored value with what a link to its leads needs."""

    metric: str
    value: Decimal | None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    stage: str = ""
    to_stage: str = ""
    detail: dict | None = None

    @property
    def percent(self) -> Decimal | None:
        return None if self.value is None else (self.value * 100).quantize(Decimal("0.1"))


@dataclass
class Dashboard:
    period: Period
    slice: Slice
    snapshot: MetricSnapshot | None
    numbers: dict[tuple[str, str, str], Number]
    trend: list[tuple[Period, dict[tuple[str, str, str], Number]]] = field(default_factory=list)

    def get(self, metric: str, stage: str = "", to_stage: str = "") -> Number | None:
        return self.numbers.get((metric, stage, to_stage))

    def all(self, metric: str) -> list[Number]:
        return [n for (m, _, _), n in self.numbers.items() if m == metric]

    @property
    def computed_at(self) -> datetime | None:
        return self.snapshot.computed_at if self.snapshot else None

    @property
    def changed_at(self) -> datetime | None:
        """When a late change reached the period after its snapshot was read (None: up to date)."""
        return getattr(self.snapshot, "changed_at", None)


def slice_from(params: dict) -> Slice:
    """The slice named by the query (`team=3`, `segment=smb`…); more than one is refused by name."""
    given = [(dim, str(params[dim])) for dim in SLICES if params.get(dim) not in (None, "")]
    if len(given) > 1:
        names = " and ".join(dim for dim, _ in given)
        raise ValidationError(
            {given[1][0]: f"Filter by one of team, segment, campaign or channel at a time, not {names}."}
        )
    if not given:
        return Slice()
    dimension, value = given[0]
    problem = _slice_problem(dimension, value)
    if problem:
        raise ValidationError({dimension: problem})
    return Slice(dimension, value)


def _slice_problem(dimension: str, value: str) -> str | None:
    """Why `value` names no slice of `dimension` (None when it does): a filter that can match nothing would
    otherwise answer an empty dashboard, as if the slice had no numbers."""
    if len(value) > 100 or "\x00" in value:
        return "That is not a value this filter can have."
    if dimension in (Dimension.SEGMENT, Dimension.CHANNEL):
        choices = Segment.values if dimension == Dimension.SEGMENT else Channel.values
        return None if value in choices else f"{value!r} is not a {dimension}; use one of {', '.join(choices)}."
    model = Team if dimension == Dimension.TEAM else Campaign
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        return f"Name the {dimension} by its id (a number); got {value!r}."
    return None if model.objects.filter(pk=int(value)).exists() else f"There is no {dimension} {value}."


def period_from(*, kind: str, start: object, today: date) -> Period:
    if kind not in (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.DAY):
        raise ValidationError({"period": f"{str(kind)[:20]!r} is not a period; use day, week, month or quarter."})
    day = start if isinstance(start, date) else today
    if not date(2000, 1, 1) <= day <= today:
        raise ValidationError({"start": f"Pick a period between 2000 and today; {day} is outside."})
    return period_of(kind=kind, day=day)


def _numbers(rows) -> dict[tuple[str, str, str], Number]:
    return {
        (r.metric, r.stage, r.to_stage): Number(
            r.metric, r.value, r.numerator, r.denominator, r.stage, r.to_stage, r.detail
        )
        for r in rows
    }


def recent_periods(period: Period, count: int) -> list[Period]:
    """`count` periods of `period`'s kind ending with it, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.append(period_of(kind=period.kind, day=periods[-1].start - timedelta(days=1)))
    return periods[::-1]


def dashboard_snapshots(period: Period) -> dict[date, MetricSnapshot]:
    """The snapshots of `period` and the periods of its trend, by start, with when a late change reached them."""
    starts = [p.start for p in recent_periods(period, TREND_PERIODS)]
    return {s.period_start: s for s in snapshots_read(kind=period.kind, starts=starts)}


def dashboard_version(period: Period, slice: Slice, snapshots: dict[date, MetricSnapshot]) -> str:
    """A name for what `dashboard_read` would return: it changes whenever one of the snapshots is recomputed
    (or created) or a late change reaches it, so a copy kept under it is never stale."""
    stamp = [(s.pk, s.computed_at, s.history_through_id, s.changed_at) for _, s in sorted(snapshots.items())]
    text = repr((period.kind, period.start, slice.dimension, slice.value, stamp))
    return hashlib.sha256(text.encode()).hexdigest()


def dashboard_read(
    *, period: Period, slice: Slice = Slice(), snapshots: dict[date, MetricSnapshot] | None = None
) -> Dashboard:
    """One period and slice with its trend; `snapshots` when the caller already read them (dashboard_snapshots)."""
    periods = recent_periods(period, TREND_PERIODS)
    if snapshots is None:
        snapshots = dashboard_snapshots(period)
    snapshot = snapshots.get(period.start)
    wanted = Q(snapshot=snapshot) | Q(snapshot__in=list(snapshots.values()), metric__in=TREND_METRICS)
    rows = MetricValue.objects.filter(wanted, dimension=slice.dimension, dimension_value=slice.value).only(
        "snapshot_id", "metric", "stage", "to_stage", "value", "numerator", "denominator", "detail"
    )
    by_snapshot: dict[int, list] = {}
    for row in rows:
        by_snapshot.setdefault(row.snapshot_id, []).append(row)
    numbers = _numbers(by_snapshot.get(getattr(snapshot, "pk", None), []))
    trend = [(p, _numbers(by_snapshot.get(snapshots[p.start].pk, []))) for p in periods if p.start in snapshots]
    return Dashboard(period, slice, snapshot, numbers, trend)


def channel_returns(snapshot: MetricSnapshot | None) -> dict[tuple[str, str, str], Decimal]:
    """Return on spend by (channel, attribution model, currency) in `snapshot`. For the whole company every model
    credits the same revenue in total, so its bars are all alike: the models differ in which channels they credit."""
    if snapshot is None:
        return {}
    rows = MetricValue.objects.filter(snapshot=snapshot, metric="return_on_spend", dimension=Dimension.CHANNEL)
    return {
        (channel, model, currency): value
        for channel, model, currency, value in rows.values_list("dimension_value", "stage", "to_stage", "value")
    }
