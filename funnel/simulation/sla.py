"""A rule's accept SLA replayed over past handoffs, in one statement.

A handoff breaches when its answer (or, still pending, now) comes after `add_working_hours(created, hours,
calendar)`. Working out that due time in Python, one handoff at a time, took 14 s over 1.16M handoffs; this
statement takes 5.4 s on the same machine and counts the same (bench/RESULTS.md). Here each team calendar becomes
a table of its days over the handoffs' range — the day's window as UTC microseconds and the working microseconds
of all the days before it — built in Python with the same `WorkCalendar.window`, so any instant's working time
since the range began, W(t), is a join on its local day and a clamp. A handoff
breaches when W(answer) - W(created) exceeds the SLA, or equals it with the answer outside the working window
that the due moment closes (due is the one instant in a window's (opens, closes] where W reaches the SLA, so an
answer at equal W anywhere else came later). A team without a calendar, or a round-the-clock rule, compares
instants directly. tests/funnel/test_simulation_sla.py holds this to add_working_hours on random histories.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import QuerySet

from accounts.models import Team
from funnel.choices import SlaClock
from funnel.engine.calendar import WorkCalendar
from funnel.models import HandoffRule
from funnel.services.handoff_open import team_calendar

MICRO = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Positional parameters: now, the moves' own, then the zones, the calendar days and the SLA (interval, µs twice).
COUNT = """
WITH h AS (
    SELECT h.created_at, COALESCE(h.decided_at, %s) AS answered, COALESCE(h.to_team_id, 0) AS team
    FROM funnel_handoff h WHERE h.transition_id IN ({moves})
),
zone(team, name) AS (SELECT * FROM unnest(%s::bigint[], %s::text[])),
cal(team, day, before, opens, len) AS (
    SELECT * FROM unnest(%s::bigint[], %s::date[], %s::bigint[], %s::bigint[], %s::bigint[])
),
t AS (
    SELECT h.team, h.created_at, h.answered, z.name,
           (extract(epoch FROM h.created_at) * 1000000)::bigint AS c_us,
           (extract(epoch FROM h.answered) * 1000000)::bigint AS a_us
    FROM h LEFT JOIN zone z ON z.team = h.team
),
w AS (
    SELECT t.team, t.created_at, t.answered, t.a_us, a.opens AS a_opens, a.len AS a_len,
           c.before + LEAST(GREATEST(t.c_us - c.opens, 0), c.len) AS w_created,
           a.before + LEAST(GREATEST(t.a_us - a.opens, 0), a.len) AS w_answered
    FROM t
    LEFT JOIN cal c ON c.team = t.team AND c.day = (t.created_at AT TIME ZONE t.name)::date
    LEFT JOIN cal a ON a.team = t.team AND a.day = (t.answered AT TIME ZONE t.name)::date
)
SELECT count(*), count(*) FILTER (WHERE CASE
    WHEN w_created IS NULL THEN answered > created_at + %s::interval
    ELSE w_answered - w_created > %s OR (
        w_answered - w_created = %s AND NOT (a_len > 0 AND a_us > a_opens AND a_us <= a_opens + a_len)
    )
END)
FROM w
"""


def _calendar_days(calendar: WorkCalendar, first: datetime, last: datetime) -> list[tuple]:
    """(day, working µs before it, window opening as epoch µs, window length µs) for each local day in range."""
    day, end = first.astimezone(calendar.zone).date(), last.astimezone(calendar.zone).date()
    rows, before = [], 0
    while day <= end:
        window = calendar.window(day)
        opens = length = 0
        if window is not None and window[1] > window[0]:
            opens, length = (window[0] - EPOCH) // MICRO, (window[1] - window[0]) // MICRO
        rows.append((day, before, opens, length))
        before += length
        day += timedelta(days=1)
    return rows


def _extent(now: datetime) -> tuple[datetime, datetime, list[int]] | None:
    """The first creation, the last answer and the teams of all handoffs: one scan of the table without the moves'
    join. Calendars for a wider range or a team the moves never reached only cost a few more small rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(created_at), max(COALESCE(decided_at, %s)), "
            "array_remove(array_agg(DISTINCT to_team_id), NULL) FROM funnel_handoff",
            [now],
        )
        first, last, teams = cursor.fetchone()
    return None if first is None else (first, max(last, first), teams)


def _calendars(rule: HandoffRule, team_ids: list[int]) -> dict[int, WorkCalendar]:
    if rule.sla_clock != SlaClock.WORKING_HOURS:
        return {}
    calendars = {team.pk: team_calendar(team) for team in Team.objects.filter(pk__in=team_ids)}
    for team_id, calendar in calendars.items():
        if not calendar.days:  # as add_working_hours would: no working time means no due time at all
            raise ValueError(f"Team {team_id}'s calendar has no working days; check its days and hours.")
    return calendars


def sla_part(rule: HandoffRule, moves: QuerySet, now: datetime) -> dict:
    """Handoffs opened by the moves: how many would have breached the rule's accept SLA, on real answer times."""
    hours = rule.accept_within_hours
    if not hours:
        return {"hours": None, "handoffs": 0, "would_breach": 0}
    extent = _extent(now)
    if extent is None:
        return {"hours": hours, "clock": rule.sla_clock, "handoffs": 0, "would_breach": 0}
    first, last, team_ids = extent
    calendars = _calendars(rule, team_ids)
    days = [(team, *row) for team, cal in calendars.items() for row in _calendar_days(cal, first, last)]
    sla = timedelta(hours=hours)
    moves_sql, moves_params = moves.order_by().values("pk").query.sql_with_params()
    zones = [list(calendars), [str(cal.zone) for cal in calendars.values()]]
    columns = [[row[i] for row in days] for i in range(5)]
    params = [now, *moves_params, *zones, *columns, sla, sla // MICRO, sla // MICRO]
    with connection.cursor() as cursor:
        cursor.execute(COUNT.format(moves=moves_sql), params)
        total, breaches = cursor.fetchone()
    return {"hours": hours, "clock": rule.sla_clock, "handoffs": total, "would_breach": breaches}
