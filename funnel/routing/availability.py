"""People as routing sees them at a moment: away (and their delegate), paused, how many handoffs await them
against their cap, and whether it is inside their working hours. Three queries whatever the number of people."""

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Count

from accounts.models import OutOfOffice, User
from funnel.choices import HandoffStatus
from funnel.engine.calendar import WorkCalendar
from funnel.models import Handoff
from funnel.routing.engine import Person


def work_calendar(user: User) -> WorkCalendar | None:
    """The person's working calendar: each of their own settings, else their team's; None without either."""
    team = user.team
    if team is None and not (user.work_days is not None and user.work_starts and user.work_ends):
        return None
    try:
        zone = ZoneInfo(user.time_zone or (team.time_zone if team else "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    days = user.work_days if user.work_days is not None else team.work_days
    starts = user.work_starts or team.work_starts
    ends = user.work_ends or team.work_ends
    if ends <= starts:  # one bound the person's, the other the team's, crossing: the team's hours then
        starts, ends = team.work_starts, team.work_ends
    return WorkCalendar(zone, frozenset(days), starts, ends)


def in_working_hours(calendar: WorkCalendar | None, now: datetime) -> bool:
    if calendar is None:
        return True
    window = calendar.window(now.astimezone(calendar.zone).date())
    return window is not None and window[0] <= now < window[1]


def absences_at(user_ids: Iterable[int], now: datetime) -> dict[int, OutOfOffice]:
    """Each person's absence covering `now` (the one ending last when several overlap)."""
    current = OutOfOffice.objects.filter(user_id__in=list(user_ids), starts_at__lte=now, ends_at__gt=now)
    return {a.user_id: a for a in current.order_by("ends_at")}


def pending_counts(user_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Handoff.objects.filter(to_owner_id__in=list(user_ids), status=HandoffStatus.PENDING)
        .values("to_owner_id")
        .annotate(n=Count("id"))
    )
    return {row["to_owner_id"]: row["n"] for row in rows}


def people(users: list[User], now: datetime) -> list[Person]:
    """`users` (with their team loaded) as routing Persons at `now`, in the order given."""
    ids = [u.pk for u in users]
    away = absences_at(ids, now)
    pending = pending_counts(ids)
    return [
        Person(
            id=u.pk,
            name=u.get_username(),
            weight=u.routing_weight,
            away_until=away[u.pk].ends_at if u.pk in away else None,
            paused=u.routing_paused,
            pending=pending.get(u.pk, 0),
            cap=u.routing_cap,
            in_hours=in_working_hours(work_calendar(u), now),
            delegate_id=away[u.pk].delegate_id if u.pk in away else None,
        )
        for u in users
    ]
