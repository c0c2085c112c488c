"""A target's period: a month or quarter as the metrics count them (funnel.metrics.periods), or a calendar year.
Pure code, no database."""

from datetime import date

from funnel.metrics.periods import Period, period_of
from funnel.targets.choices import TargetPeriod


def target_period(*, kind: str, start: date) -> Period:
    """The period of `kind` beginning on `start`; ValueError (with a message for the user) when `start` does not
    begin one."""
    if kind == TargetPeriod.YEAR:
        period = Period(kind, date(start.year, 1, 1), date(start.year + 1, 1, 1))
    elif kind in (TargetPeriod.MONTH, TargetPeriod.QUARTER):
        period = period_of(kind=kind, day=start)
    else:
        raise ValueError(f"{kind!r} is not a target period: choose month, quarter or year.")
    if period.start != start:
        raise ValueError(f"A {kind} begins on its first day: {period.start}, not {start}.")
    return period


def next_period_start(*, kind: str, today: date) -> date:
    """The first day of the next period of `kind` after the one holding `today`: the default a proposal starts
    on, since a period must be named by its first day and the current one has mostly begun."""
    if kind == TargetPeriod.YEAR:
        return date(today.year + 1, 1, 1)
    return period_of(kind=kind, day=today).end
