"""The SLA replay's one statement (funnel.simulation.sla) against the due times the product itself sets
(funnel.engine.calendar.add_working_hours), on random handoffs: three team calendars in three time zones (one
crossing both daylight-saving changes), handoffs without a team, and answers placed exactly on their due time,
a microsecond after it, on window edges and in the evening after a due time that falls on a closing time."""

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from accounts.choices import Function
from accounts.models import Team
from funnel.choices import HandoffStatus, SlaClock
from funnel.engine.calendar import add_working_hours
from funnel.models import Handoff, HandoffRule, Transition
from funnel.services.handoff_open import team_calendar
from funnel.simulation.sla import sla_part

pytestmark = pytest.mark.django_db

CALENDARS = [
    ("America/New_York", [0, 1, 2, 3, 4], time(9), time(17)),
    ("Asia/Kolkata", [6, 0, 1, 2, 3], time(8, 30), time(18, 15)),
    ("Pacific/Chatham", [0, 2, 4, 5], time(7, 45), time(12)),
]
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def oracle(rule: HandoffRule, handoffs: list[Handoff]) -> int:
    """What the product would have said: the answer (or now) after the due time it computes for the handoff."""
    breaches = 0
    for handoff in handoffs:
        working = rule.sla_clock == SlaClock.WORKING_HOURS
        calendar = team_calendar(handoff.to_team) if working else None
        due = add_working_hours(handoff.created_at, rule.accept_within_hours, calendar)
        breaches += (handoff.decided_at or NOW) > due
    return breaches


def _teams() -> list[Team | None]:
    teams = [
        Team.objects.create(
            name=f"Sales {zone}", function=Function.SALES, time_zone=zone, work_days=days, work_starts=a, work_ends=b
        )
        for zone, days, a, b in CALENDARS
    ]
    return [*teams, None]


def _moment(rng: random.Random) -> datetime:
    """Around both 2026 daylight-saving changes in New York, or anywhere between, at odd or exact times."""
    start = rng.choice(
        [datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)]
    )
    moment = start + timedelta(seconds=rng.randrange(14 * 86400))
    return moment.replace(microsecond=rng.choice([0, 0, rng.randrange(10**6)]))


def _answer(rng: random.Random, created: datetime, team: Team | None, hours: int) -> datetime | None:
    due = add_working_hours(created, hours, team_calendar(team))
    kind = rng.randrange(7)
    if kind == 0:
        return None  # still pending: judged at NOW
    if kind == 1:
        return due  # exactly on time
    if kind == 2:
        return due + timedelta(microseconds=1)
    if kind == 3:
        return due + timedelta(hours=rng.choice([1, 5, 14]))  # in the evening or the night after it
    return created + timedelta(seconds=rng.randrange(1, 5 * 86400))


def _history(rng: random.Random, lead, hours: int, count: int) -> list[Handoff]:
    teams, handoffs = _teams(), []
    for n in range(count):
        team = rng.choice(teams)
        created = _moment(rng)
        if n % 9 == 0 and team is not None:  # created exactly at a window's opening or closing, or midnight
            calendar = team_calendar(team)
            day = created.astimezone(calendar.zone).date()
            created = datetime.combine(day, rng.choice([calendar.starts, calendar.ends, time(0)]), calendar.zone)
        answered = _answer(rng, created, team, hours)
        if answered is None and any(h.status == HandoffStatus.PENDING for h in handoffs):
            answered = created + timedelta(hours=hours)  # one pending handoff per lead
        move = Transition.objects.create(lead=lead, from_stage="consideration", to_stage="intent", occurred_at=created)
        handoffs.append(
            Handoff.objects.create(
                lead=lead,
                transition=move,
                from_function=Function.MARKETING,
                to_function=Function.SALES,
                to_team=team,
                created_at=created,
                decided_at=answered,
                status=HandoffStatus.PENDING if answered is None else HandoffStatus.ACCEPTED,
            )
        )
    return handoffs


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("clock", [SlaClock.WORKING_HOURS, SlaClock.ROUND_THE_CLOCK])
def test_the_one_statement_agrees_with_the_due_times_the_product_sets(make_lead, seed, clock):
    rng = random.Random(seed)
    hours = rng.choice([1, 3, 8, 20, 45])
    handoffs = _history(rng, make_lead(), hours, 150)
    rule = HandoffRule(name="Proposed", accept_within_hours=hours, sla_clock=clock)
    moves = Transition.objects.filter(pk__in=[h.transition_id for h in handoffs])

    result = sla_part(rule, moves, NOW)

    expected = oracle(rule, handoffs)
    assert 0 < expected < len(handoffs)  # the history holds both kinds, so agreeing means something
    assert result == {"hours": hours, "clock": clock, "handoffs": 150, "would_breach": expected}


def test_an_answer_on_the_due_time_is_in_time_and_one_after_a_closing_due_time_is_late(make_lead):
    """8 working hours from Monday 09:00 in New York fall due at 17:00 the same day, a closing time."""
    team = _teams()[0]
    monday = datetime(2026, 3, 16, 9, 0, tzinfo=team_calendar(team).zone)
    lead = make_lead()
    answers = [monday.replace(hour=17), monday.replace(hour=19), monday.replace(hour=16, minute=59)]
    for answered in answers:
        move = Transition.objects.create(lead=lead, from_stage="consideration", to_stage="intent", occurred_at=monday)
        Handoff.objects.create(
            lead=lead, transition=move, from_function=Function.MARKETING, to_function=Function.SALES, to_team=team,
            created_at=monday, decided_at=answered, status=HandoffStatus.ACCEPTED,
        )  # fmt: skip
    rule = HandoffRule(name="Proposed", accept_within_hours=8, sla_clock=SlaClock.WORKING_HOURS)
    result = sla_part(rule, Transition.objects.filter(lead=lead), NOW)
    assert (result["handoffs"], result["would_breach"]) == (3, 1)  # only the 19:00 answer is late
