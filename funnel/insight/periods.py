"""Digest periods: a week starts on a Monday, a month on its first day; both end (exclusive) where the next
one starts. Pure code, no database."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError

from funnel.insight.choices import PeriodKind

# Older than any call report the CRM can hold, and far from date.min (a period before it is nonsense input).
EARLIEST = date(2000, 1, 1)


def period_check(*, period_kind: str, period_start: object, today: date) -> None:
    """Raises ValidationError naming `period_kind` or `period_start` when they do not name a period."""
    if period_kind not in PeriodKind.values:
        raise ValidationError({"period_kind": f"{str(period_kind)[:40]!r} is not a period; use week or month."})
    if not isinstance(period_start, date):
        raise ValidationError({"period_start": "Give the period's first day as a date, e.g. 2026-11-16."})
    if period_kind == PeriodKind.WEEK and period_start.weekday() != 0:
        monday = period_start - timedelta(days=period_start.weekday())
        raise ValidationError(
            {"period_start": f"A week starts on a Monday; {period_start} is a {period_start:%A} (try {monday})."}
        )
    if period_kind == PeriodKind.MONTH and period_start.day != 1:
        raise ValidationError(
            {"period_start": f"A month starts on its first day; {period_start} is not (try {period_start:%Y-%m}-01)."}
        )
    if period_start < EARLIEST:
        raise ValidationError({"period_start": f"Digests start on {EARLIEST} or later; {period_start} is earlier."})
    if period_start > today:
        raise ValidationError({"period_start": f"{period_start} is in the future: nothing has been reported yet."})


def next_start(*, period_kind: str, period_start: date) -> date:
    if period_kind == PeriodKind.WEEK:
        return period_start + timedelta(days=7)
    return _month_add(period_start, 1)


def previous_start(*, period_kind: str, period_start: date) -> date:
    if period_kind == PeriodKind.WEEK:
        return period_start - timedelta(days=7)
    return _month_add(period_start, -1)


def period_containing(*, period_kind: str, day: date) -> date:
    """The first day of the week or month `day` falls in."""
    if period_kind == PeriodKind.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def recent_starts(*, period_kind: str, today: date, count: int) -> list[date]:
    """The starts of the `count` periods up to the one holding `today`, most recent first."""
    starts = [period_containing(period_kind=period_kind, day=today)]
    while len(starts) < count:
        starts.append(previous_start(period_kind=period_kind, period_start=starts[-1]))
    return starts


def _month_add(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
