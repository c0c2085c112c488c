"""Working-hours arithmetic for SLA clocks: "accept within 8 hours" means 8 of the receiving team's working
hours, so a lead handed over on Friday evening is not overdue on Saturday morning. Pure code."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3660  # a calendar with no working time at all must not loop forever


@dataclass(frozen=True)
class WorkCalendar:
    zone: ZoneInfo
    days: frozenset[int]  # 0 = Monday
    starts: time
    ends: time

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.days:
            return None
        return datetime.combine(day, self.starts, self.zone), datetime.combine(day, self.ends, self.zone)


def add_working_hours(start: datetime, hours: float, calendar: WorkCalendar | None) -> datetime:
    """The moment `hours` of working time after `start` (round the clock when `calendar` is None)."""
    if calendar is None:
        return start + timedelta(hours=hours)
    remaining = timedelta(hours=hours)
    cursor = start.astimezone(calendar.zone)
    for _ in range(MAX_DAYS):
        window = calendar.window(cursor.date())
        if window is not None:
            opens, closes = window
            cursor = max(cursor, opens)
            if cursor < closes:
                if remaining <= closes - cursor:
                    return (cursor + remaining).astimezone(UTC)
                remaining -= closes - cursor
        cursor = datetime.combine(cursor.date() + timedelta(days=1), time(0), calendar.zone)
    raise ValueError("The calendar has no working time in ten years; check its days and hours.")
