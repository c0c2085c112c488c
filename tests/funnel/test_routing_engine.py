"""The routing choice, pure (no database): smooth weighted round-robin is fair within one lead, an absence
neither earns nor owes, and whatever the people's state the winner is someone who may take the lead."""

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.routing.engine import AT_CAP, AWAY, OFF_HOURS, PAUSED, Person, weighted_pick

BACK_ON = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POOL = {"team": 1, "name": "Inside sales"}
NEW, MID, SENIOR = (Person(id=1, name="new"), Person(id=2, name="mid"), Person(id=3, name="senior"))
WEIGHTS = {1: Decimal("0.5"), 2: Decimal(1), 3: Decimal(2)}


def team(away: frozenset[int] = frozenset()) -> list[Person]:
    return [
        Person(id=p.id, name=p.name, weight=WEIGHTS[p.id], away_until=BACK_ON if p.id in away else None)
        for p in (NEW, MID, SENIOR)
    ]


def assign(n: int, credits: dict, people: list[Person]) -> tuple[list[int], dict]:
    winners = []
    for _ in range(n):
        decision, credits = weighted_pick(people, credits, how="weighted round-robin", pool=POOL)
        winners.append(decision.winner["id"])
    return winners, credits


def worst_lag(winners: list[int], weights: dict[int, Decimal]) -> Decimal:
    """The largest gap, over every prefix of `winners`, between a person's count and their fair share."""
    total, counts, worst = sum(weights.values()), Counter(), Decimal(0)
    for n, winner in enumerate(winners, start=1):
        counts[winner] += 1
        worst = max(worst, *(abs(counts[pid] - n * w / total) for pid, w in weights.items()))
    return worst


def test_a_thousand_assignments_follow_the_weights_within_one_lead_at_every_point():
    winners, credits = assign(1000, {}, team())
    # 1000 × 0.5/3.5 = 142.86, × 1/3.5 = 285.71, × 2/3.5 = 571.43.
    assert Counter(winners) == {1: 143, 2: 286, 3: 571}
    assert worst_lag(winners, WEIGHTS) < 1  # after every one of the 1000, not only at the end
    assert sum(Decimal(c) for c in credits.values()) == 0


def test_the_first_seven_are_one_two_four_interleaved_not_in_blocks():
    winners, _ = assign(7, {}, team())
    assert winners == [3, 2, 3, 1, 3, 2, 3]


def test_while_someone_is_away_the_others_share_fairly_and_the_returner_gets_no_burst():
    before, credits = assign(200, {}, team())
    during, credits = assign(200, credits, team(away=frozenset({3})))
    after, credits = assign(300, credits, team())
    # Away: the senior is never chosen and the other two split 1 : 2, within one lead at every point.
    assert Counter(during) == {2: 134, 1: 66}
    assert worst_lag(during, {1: WEIGHTS[1], 2: WEIGHTS[2]}) <= 1
    # Back: no catch-up for the 200 missed — the senior gets 2/3.5 of what follows, within one lead at every
    # point (171.4 of 300: 172), and 4 of the first 7, exactly their share, not 7 of 7.
    assert Counter(after) == {3: 172, 2: 85, 1: 43}
    assert Counter(after[:7])[3] == 4
    assert worst_lag(after, WEIGHTS) < 1
    assert Counter(before + during + after)[3] == 114 + 172  # 286, not the 400 a burst would make up


def test_the_away_detail_is_in_utc_whatever_zone_the_absence_was_read_in():
    berlin = timezone(timedelta(hours=1))
    away = Person(id=9, name="away", away_until=datetime(2026, 12, 1, 10, 0, tzinfo=berlin))
    assert away.unavailable() == (AWAY, "out of office until 2026-12-01 09:00 UTC")


# --- property: whatever the people and the sequence, the winner may take the lead ---------------------------

WEIGHT_CHOICES = [Decimal("0.01"), Decimal("0.5"), Decimal(1), Decimal("1.25"), Decimal(2), Decimal(10)]


@st.composite
def moments(draw, ids: list[int]) -> list[Person]:
    """The pool at one routing: a random subset of the people (a member may join or leave), each in a random state."""
    present = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
    return [
        Person(
            id=pid,
            name=f"p{pid}",
            weight=draw(st.sampled_from(WEIGHT_CHOICES)),
            away_until=draw(st.none() | st.just(BACK_ON)),
            paused=draw(st.booleans()),
            pending=draw(st.integers(0, 4)),
            cap=draw(st.none() | st.integers(0, 3)),
            in_hours=draw(st.booleans()),
        )
        for pid in sorted(present)
    ]


def sequences():
    return st.lists(st.integers(1, 99), min_size=1, max_size=6, unique=True).flatmap(
        lambda ids: st.lists(moments(ids), min_size=1, max_size=25)
    )


def may_take(p: Person) -> bool:
    return p.away_until is None and not p.paused and (p.cap is None or p.pending < p.cap)


def expected_skip(p: Person, someone_in_hours: bool) -> str | None:
    if p.away_until is not None:
        return AWAY
    if p.paused:
        return PAUSED
    if p.cap is not None and p.pending >= p.cap:
        return AT_CAP
    return OFF_HOURS if someone_in_hours and not p.in_hours else None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=sequences())
def test_the_winner_is_never_away_paused_or_at_cap_and_credits_always_sum_to_zero(steps):
    credits: dict[str, str] = {}
    ever_available: set[str] = set()
    for people in steps:
        before = dict(credits)
        decision, credits = weighted_pick(people, credits, how="weighted round-robin", pool=POOL)
        available = [p for p in people if may_take(p)]
        in_hours = any(p.in_hours for p in available)
        # Queued exactly when nobody may take it; then the credits do not move.
        assert decision.queued is (not available)
        assert (decision.winner is None) is decision.queued
        if decision.queued:
            assert credits == before
        else:
            winner = next(p for p in people if p.id == decision.winner["id"])
            assert may_take(winner)
            assert winner.in_hours or not in_hours  # someone in hours wins whenever someone available is in hours
            ever_available |= {str(p.id) for p in available if p.in_hours or not in_hours}
        assert [(c["id"], c["skipped"]) for c in decision.candidates] == [
            (p.id, expected_skip(p, in_hours)) for p in people
        ]
        # The invariant that holds: what the winner pays is what everyone considered earned, so the credits
        # of everyone who was ever considered (winners and the passed-over alike) sum to exactly zero, and
        # nobody else ever holds a credit.
        assert set(credits) == ever_available
        assert sum(Decimal(c) for c in credits.values()) == 0
