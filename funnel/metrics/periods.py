"""Metric periods: a day, a Monday-based week, a month or a calendar quarter, in the company's time zone
(settings.TIME_ZONE). Pure code, no database."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from funnel.metrics.choices import PeriodKind


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # exclusive

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def ends_at(self) -> datetime:
        return datetime.combine(self.end, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def period_of(*, kind: str, day: date) -> Period:
    """The period of `kind` that holds `day`."""
    if kind == PeriodKind.DAY:
        return Period(kind, day, day + timedelta(days=1))
    if kind == PeriodKind.WEEK:
        start = day - timedelta(days=day.weekday())
        return Period(kind, start, start + timedelta(days=7))
    months = 3 if kind == PeriodKind.QUARTER else 1
    if kind not in (PeriodKind.MONTH, PeriodKind.QUARTER):
        raise ValueError(f"{kind!r} is not a period kind")
    first_month = day.month - (day.month - 1) % months
    start = date(day.year, first_month, 1)
    return Period(kind, start, _month_add(start, months))


def periods_between(*, kind: str, first: date, last: date) -> list[Period]:
    """Every period of `kind` from the one holding `first` to the one holding `last`, in order."""
    periods = [period_of(kind=kind, day=first)]
    while periods[-1].end <= last:
        periods.append(period_of(kind=kind, day=periods[-1].end))
    return periods


def _month_add(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
