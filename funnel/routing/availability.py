"""People as routing sees them at a moment: away (and their delegate), paused, how many handoffs await them
against their cap, and whether it is inside their working hours. One query whatever the number of people: routing
runs it on every move into a pool."""

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection

from accounts.models import OutOfOffice, Team, User
from funnel.choices import HandoffStatus
from funnel.engine.calendar import WorkCalendar
from funnel.models import Handoff, RoutingCursor
from funnel.routing.engine import Person


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=1024)
def calendar_of(own: tuple, team: tuple | None) -> WorkCalendar | None:
    """The calendar from a person's own (time zone, days, starts, ends), each blank one taken from their team's;
    None without a team unless their own days and hours are all set. Cached: routing asks on every move."""
    zone_name, days, starts, ends = own
    if team is None and not (days is not None and starts and ends):
        return None
    zone = _zone(zone_name or (team[0] if team else "UTC"))
    days = days if days is not None else team[1]
    starts, ends = starts or team[2], ends or team[3]
    if ends <= starts:  # one bound the person's, the other the team's, crossing: the team's hours then
        starts, ends = team[2], team[3]
    return WorkCalendar(zone, frozenset(days), starts, ends)


def work_calendar(user: User) -> WorkCalendar | None:
    """The person's working calendar: each of their own settings, else their team's; None without either."""
    team = user.team
    own = (user.time_zone, _frozen(user.work_days), user.work_starts, user.work_ends)
    shared = (team.time_zone, _frozen(team.work_days), team.work_starts, team.work_ends) if team else None
    return calendar_of(own, shared)


def _frozen(days: list[int] | None) -> tuple[int, ...] | None:
    return tuple(days) if days is not None else None


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


# What pool_route needs, in the statement that takes the pool's lock: the cursor, the team's calendar and, per
# routable member, what people() gives. The statement's snapshot is taken before it waits for the lock, so what
# a holder committed meanwhile (a handoff bringing someone to their cap) would be missed. `fresh` says whether the
# cursor row locked is the one the snapshot sees: every holder writes that row (pool_route advances it,
# lock_pool touches it), so a new version means the reads are stale and pool_at reads again, lock held.
_POOL_SQL = f"""
SELECT c.xmin = (SELECT xmin FROM {RoutingCursor._meta.db_table} WHERE team_id = %(team)s) AS fresh,
       c.credits::text, t.name, t.time_zone, t.work_days, t.work_starts, t.work_ends,
       u.id, u.username, u.first_name, u.last_name, u.routing_weight, u.routing_paused, u.routing_cap,
       u.time_zone, u.work_days, u.work_starts, u.work_ends, a.ends_at, a.delegate_id,
       (SELECT count(*) FROM {Handoff._meta.db_table} h WHERE h.to_owner_id = u.id AND h.status = %(pending)s)
FROM {RoutingCursor._meta.db_table} c
JOIN {Team._meta.db_table} t ON t.id = c.team_id
LEFT JOIN {User._meta.db_table} u ON u.team_id = t.id AND u.is_active AND u.role = ANY(%(roles)s)
LEFT JOIN LATERAL (
    SELECT o.ends_at, o.delegate_id FROM {OutOfOffice._meta.db_table} o
    WHERE o.user_id = u.id AND o.starts_at <= %(now)s AND o.ends_at > %(now)s
    ORDER BY o.ends_at DESC, o.id DESC LIMIT 1
) a ON true
WHERE c.team_id = %(team)s
ORDER BY u.id
FOR UPDATE OF c
"""
_WINNER_FIELDS = ("id", "username", "first_name", "last_name", "team_id")
_TEAM_FIELDS = ("id", "name", "time_zone", "work_days", "work_starts", "work_ends")


@dataclass
class Pool:
    """A team as its round-robin sees it under the lock: its name, the cursor's credits and its members as
    Persons at the moment asked (by id)."""

    team_id: int
    name: str
    credits: dict
    people: list[Person]
    rows: dict[int, tuple]

    @property
    def ref(self) -> dict:
        return {"team": self.team_id, "name": self.name}

    def user(self, pk: int) -> User:
        """The member `pk` as a User: the columns read, the rest loaded if asked for, their team attached."""
        row = self.rows[pk]
        user = User.from_db(connection.alias, _WINNER_FIELDS, (pk, row[8], row[9], row[10], self.team_id))
        team = Team.from_db(connection.alias, _TEAM_FIELDS, (self.team_id, self.name, *row[3:7]))
        User.team.field.set_cached_value(user, team)
        return user


def _person(row: tuple, team: tuple, now: datetime) -> Person:
    own = (row[14], _frozen(row[15]), row[16], row[17])
    return Person(
        id=row[7],
        name=f"{row[9]} {row[10]}".strip() or row[8],  # User.get_full_name() or the username
        weight=row[11],
        away_until=row[18],
        paused=row[12],
        pending=row[20],
        cap=row[13],
        in_hours=in_working_hours(calendar_of(own, team), now),
        delegate_id=row[19],
    )


def pool_at(team_id: int, now: datetime, roles: tuple[str, ...]) -> Pool | None:
    """Locks the team's routing cursor and reads its pool at `now` (members with a role in `roles`); None when
    the team has no cursor yet. One statement, two when a holder of the lock committed while it waited."""
    values = [str(role) for role in roles]
    params = {"team": team_id, "now": now, "pending": HandoffStatus.PENDING.value, "roles": values}
    with connection.cursor() as cursor:
        cursor.execute(_POOL_SQL, params)
        rows = cursor.fetchall()
        if rows and not rows[0][0]:
            cursor.execute(_POOL_SQL, params)  # the lock is ours now: a fresh snapshot sees all it must
            rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    team = (first[3], _frozen(first[4]), first[5], first[6])
    members = [row for row in rows if row[7] is not None]
    return Pool(
        team_id=team_id,
        name=first[2],
        credits=json.loads(first[1]),
        people=[_person(row, team, now) for row in members],
        rows={row[7]: row for row in members},
    )


def pool_advance(team_id: int, credits: dict) -> None:
    """The cursor after a pick: its new credits, one more position. The caller holds the lock (pool_at)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RoutingCursor._meta.db_table} SET credits = %s::jsonb, position = position + 1 "
            "WHERE team_id = %s",
            [json.dumps(credits), team_id],
        )


def lock_pool(team_id: int) -> bool:
    """Takes the team's cursor lock by writing its row (see _POOL_SQL); False when the team has no cursor yet."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {RoutingCursor._meta.db_table} SET position = position WHERE team_id = %s", [team_id])
        return cursor.rowcount == 1
