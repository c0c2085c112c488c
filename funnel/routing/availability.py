"""People as routing sees them at a moment: away (and their delegate), paused, how many handoffs await them
against their cap, and whether it is inside their working hours. One query whatever the number of people: routing
runs it on every move into a pool."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection

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


# Routing runs this on every move into a pool, inside the pool's lock. Written out because the ORM spent several
# times longer compiling the equivalent subqueries than PostgreSQL spends running them (bench/routing.py).
_STATES_SQL = f"""
SELECT u.id, a.ends_at, a.delegate_id,
       (SELECT count(*) FROM {Handoff._meta.db_table} h WHERE h.to_owner_id = u.id AND h.status = %(pending)s)
FROM unnest(%(ids)s::bigint[]) AS u(id)
LEFT JOIN LATERAL (
    SELECT o.ends_at, o.delegate_id FROM {OutOfOffice._meta.db_table} o
    WHERE o.user_id = u.id AND o.starts_at <= %(now)s AND o.ends_at > %(now)s
    ORDER BY o.ends_at DESC, o.id DESC LIMIT 1
) a ON true
"""


def states_at(user_ids: list[int], now: datetime) -> dict[int, tuple[datetime | None, int | None, int]]:
    """Per person (away until, their delegate, handoffs pending to them): of the absences covering `now`, the
    one ending last. One statement whatever the number of people."""
    with connection.cursor() as cursor:
        cursor.execute(_STATES_SQL, {"ids": list(user_ids), "now": now, "pending": HandoffStatus.PENDING.value})
        return {pk: (until, delegate, pending) for pk, until, delegate, pending in cursor.fetchall()}


def people(users: list[User], now: datetime) -> list[Person]:
    """`users` (with their team loaded) as routing Persons at `now`, in the order given."""
    states = states_at([u.pk for u in users], now)
    return [
        Person(
            id=u.pk,
            name=u.get_full_name() or u.get_username(),
            weight=u.routing_weight,
            away_until=states[u.pk][0],
            paused=u.routing_paused,
            pending=states[u.pk][2],
            cap=u.routing_cap,
            in_hours=in_working_hours(work_calendar(u), now),
            delegate_id=states[u.pk][1],
        )
        for u in users
    ]
