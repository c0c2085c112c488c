"""A pool's people as their manager runs it: who may set weights, caps, pauses and working hours (and the
exact refusals), each person's state now, and each one's share of the pool's leads against their weight."""

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Function, Role
from accounts.models import OutOfOffice, User
from config.errors import NotAllowed
from funnel.choices import HandoffStatus
from funnel.models import Handoff, Transition
from funnel.routing.people import (
    days_in_words,
    routing_people,
    routing_settings_update,
    routing_share,
    routing_team_list,
)
from funnel.services.handoffs import handoff_accept
from leads.models import Lead
from tests.accounts.factories import TeamFactory, UserFactory
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


def refusal(actor, user, **changes) -> dict:
    with pytest.raises(ValidationError) as caught:
        routing_settings_update(actor=actor, user=user, **changes)
    return caught.value.message_dict


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"routing_weight": 0},
            "routing_weight",
            "The weight must be above 0; pause the person to give them no leads.",
        ),
        (
            {"routing_weight": "-1"},
            "routing_weight",
            "The weight must be above 0; pause the person to give them no leads.",
        ),
        ({"routing_weight": "10.5"}, "routing_weight", "The weight may be at most 10."),
        ({"routing_weight": "abc"}, "routing_weight", "'abc' is not a number."),
        ({"routing_weight": "NaN"}, "routing_weight", "'NaN' is not a number."),
        ({"routing_weight": None}, "routing_weight", "None is not a number."),
        ({"routing_weight": "0.333"}, "routing_weight", "The weight has at most two decimals, e.g. 0.5 or 1.25."),
        ({"routing_cap": -1}, "routing_cap", "The cap may not be below 0; leave it empty for no cap."),
        ({"routing_cap": 2.5}, "routing_cap", "2.5 is not a whole number; leave it empty for no cap."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "'Mars/Olympus' is not a known time zone (e.g. Europe/Berlin)."),
        ({"time_zone": "../etc/passwd"}, "time_zone", "'../etc/passwd' is not a known time zone (e.g. Europe/Berlin)."),
        ({"work_days": [1, 7]}, "work_days", "7 is not a day; days run from 0 (Monday) to 6 (Sunday)."),
        ({"work_days": [-1]}, "work_days", "-1 is not a day; days run from 0 (Monday) to 6 (Sunday)."),
        ({"work_days": [0, 1, 1]}, "work_days", "Tue (1) is listed twice."),
        (
            {"work_days": []},
            "work_days",
            "List 1 to 7 days (0 = Monday … 6 = Sunday), or none for the team's days.",
        ),
        (
            {"work_ends": time(8)},
            "work_ends",
            "Work must end after it starts: 08:00 is not after 09:00 (the team's).",
        ),
        (
            {"work_starts": time(18)},
            "work_starts",
            "Work must end after it starts: 17:00 (the team's) is not after 18:00.",
        ),
        (
            {"work_starts": time(10), "work_ends": time(10)},
            "work_ends",
            "Work must end after it starts: 10:00 is not after 10:00.",
        ),
    ],
)
def test_bad_settings_are_refused_naming_the_field(people, changes, field, message):
    assert refusal(people["sales_manager"], people["rep"], **changes) == {field: [message]}


def test_a_refusal_writes_nothing_not_even_the_good_fields(people):
    refusal(people["sales_manager"], people["rep"], routing_weight="2", routing_cap=-3)
    rep = User.objects.get(pk=people["rep"].pk)
    assert (rep.routing_weight, rep.routing_cap) == (Decimal(1), None)


def test_hours_are_checked_against_the_persons_own_other_bound(people):
    routing_settings_update(actor=people["rep"], user=people["rep"], work_starts=time(7), work_ends=time(15))
    assert refusal(people["rep"], people["rep"], work_ends=time(6, 30)) == {
        "work_ends": ["Work must end after it starts: 06:30 is not after 07:00."]
    }
    # Back to the team's start (09:00) with their own end at 15:00: fine.
    rep = routing_settings_update(actor=people["rep"], user=people["rep"], work_starts=None)
    assert (rep.work_starts, rep.work_ends) == (None, time(15))


def test_the_manager_sets_weight_cap_and_pause_and_it_sticks(people):
    rep = routing_settings_update(
        actor=people["sales_manager"], user=people["rep"], routing_weight="0.5", routing_cap=3, routing_paused=True
    )
    stored = User.objects.get(pk=rep.pk)
    assert (stored.routing_weight, stored.routing_cap, stored.routing_paused) == (Decimal("0.50"), 3, True)


def test_setting_the_same_values_twice_leaves_the_same_state(people):
    for _ in range(2):
        routing_settings_update(actor=people["sales_manager"], user=people["rep"], routing_weight=2, routing_cap=0)
    stored = User.objects.get(pk=people["rep"].pk)
    assert (stored.routing_weight, stored.routing_cap) == (Decimal(2), 0)


def test_an_empty_cap_means_no_cap(people):
    routing_settings_update(actor=people["sales_manager"], user=people["rep"], routing_cap=4)
    routing_settings_update(actor=people["sales_manager"], user=people["rep"], routing_cap=None)
    assert User.objects.get(pk=people["rep"].pk).routing_cap is None


@pytest.mark.parametrize(
    ("actor", "user"),
    [
        ("sales_manager", "rep"),  # manages the team and is the rep's manager
        ("sales_manager", "sdr"),  # the SDR's own manager, though the SDR team has no manager
        ("leader", "marketer"),
        ("admin", "rep2"),
        ("marketing_manager", "marketer"),
    ],
)
def test_managers_leaders_and_administrators_set_weights(people, actor, user):
    updated = routing_settings_update(actor=people[actor], user=people[user], routing_weight="1.5")
    assert updated.routing_weight == Decimal("1.50")


def test_the_manager_of_a_team_above_sets_the_weights_of_the_team_below(people, teams):
    emea = TeamFactory(name="Sales EMEA", parent=teams["sales"])
    newcomer = UserFactory(username="newcomer", team=emea)  # no manager of their own
    assert routing_settings_update(actor=people["sales_manager"], user=newcomer, routing_weight="0.5")


@pytest.mark.parametrize(
    ("actor", "user", "changes", "message"),
    [
        ("rep", "rep", {"routing_weight": 2}, "You may not set your own routing weight or cap; your manager does."),
        ("rep", "rep", {"routing_cap": 9}, "You may not set your own routing weight or cap; your manager does."),
        (
            "sales_manager",
            "sales_manager",
            {"routing_weight": 2},
            "You may not set your own routing weight or cap; your manager does.",
        ),
        (
            "rep",
            "rep2",
            {"routing_paused": True},
            "Only rep2's manager, a revenue leader or an administrator sets their routing.",
        ),
        (
            "rep",
            "rep2",
            {"work_days": [0]},
            "Only rep2's manager, a revenue leader or an administrator sets their routing.",
        ),
        (
            "marketing_manager",
            "rep",
            {"routing_weight": 2},
            "Only rep's manager, a revenue leader or an administrator sets their routing.",
        ),
        (
            "sales_manager",
            "marketer",
            {"routing_cap": 1},
            "Only marketer's manager, a revenue leader or an administrator sets their routing.",
        ),
    ],
)
def test_who_may_not_set_what(people, actor, user, changes, message):
    with pytest.raises(NotAllowed) as caught:
        routing_settings_update(actor=people[actor], user=people[user], **changes)
    assert caught.value.message == message
    assert User.objects.get(pk=people[user].pk).routing_weight == Decimal(1)


def test_a_person_pauses_themselves_and_sets_their_own_hours(people):
    rep = routing_settings_update(
        actor=people["rep"],
        user=people["rep"],
        routing_paused=True,
        time_zone="Europe/Berlin",
        work_days=[4, 0, 1],
        work_starts=time(8),
        work_ends=time(16, 30),
    )
    stored = User.objects.get(pk=rep.pk)
    assert (stored.routing_paused, stored.time_zone, stored.work_days) == (True, "Europe/Berlin", [0, 1, 4])
    assert (stored.work_starts, stored.work_ends) == (time(8), time(16, 30))


def test_unknown_settings_are_a_programming_error(people):
    with pytest.raises(TypeError, match="Not routing settings: role"):
        routing_settings_update(actor=people["admin"], user=people["rep"], role="admin")


def test_who_sees_which_teams_routing(people, teams):
    emea = TeamFactory(name="Sales EMEA", parent=teams["sales"])
    names = {who: sorted(t.name for t in routing_team_list(user=people[who])) for who in people}
    everything = sorted(t.name for t in [*teams.values(), emea])
    assert names["leader"] == names["admin"] == everything
    # The sales manager: their team, the team below it, and the SDR team where a report of theirs works.
    assert names["sales_manager"] == ["Sales", "Sales EMEA", "Sales development"]
    assert names["marketing_manager"] == ["Marketing"]
    assert names["rep"] == ["Sales"]
    assert names["marketer"] == ["Marketing"]
    nobody = UserFactory(username="teamless", team=None)
    assert list(routing_team_list(user=nobody)) == []


def test_days_read_as_ranges():
    assert days_in_words([0, 1, 2, 3, 4]) == "Mon–Fri"
    assert days_in_words([0, 1, 3, 5, 6]) == "Mon, Tue, Thu, Sat, Sun"
    assert days_in_words([6, 0, 1, 2]) == "Mon–Wed, Sun"


# State now and shares -----------------------------------------------------------------------------------------


@pytest.fixture
def pool(people, teams, rule):
    """The sales pool with weights 2 / 1 / 0.5 and a round-robin rule for moves into intent."""
    junior = UserFactory(username="junior", first_name="June", last_name="Junior", team=teams["sales"])
    for user, weight in ((people["rep"], "2"), (people["rep2"], "1"), (junior, "0.5")):
        routing_settings_update(actor=people["sales_manager"], user=user, routing_weight=weight)
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": teams["sales"].pk})
    return {"senior": people["rep"], "mid": people["rep2"], "junior": junior, "team": teams["sales"]}


def hand_over(make_lead, n: int) -> None:
    """`n` leads moved into intent by whoever owns them, each handoff on the way accepted; the last waits."""
    for _ in range(n):
        lead = make_lead()
        for stage in ("interest", "consideration", "intent"):
            for handoff in Handoff.objects.filter(lead=lead, status=HandoffStatus.PENDING):
                handoff_accept(handoff_id=handoff.pk, actor=handoff.to_owner)
            move(lead, stage, Lead.objects.get(pk=lead.pk).owner)


def test_each_person_wins_their_weights_share_and_the_queue_is_counted(pool, people, make_lead, teams, rule):
    # Every lead is also routed in another pool on its way (into consideration): not this team's decisions.
    inside = TeamFactory(name="Demand generation", function=Function.MARKETING)
    UserFactory(username="nurturer", role=Role.MARKETER, team=inside)
    rule("To demand generation", to_stages=["consideration"], routing={"kind": "round_robin", "team": inside.pk})
    hand_over(make_lead, 7)  # 2 : 1 : 0.5 over 7 leads is exactly 4 : 2 : 1
    User.objects.filter(team=pool["team"]).update(routing_paused=True)
    hand_over(make_lead, 2)  # nobody can take these: the team's queue
    day = timezone.now().date()
    report = routing_share(pool["team"], day - timedelta(days=1), day + timedelta(days=1))

    assert (report.routed, report.queued) == (7, 2)
    by_name = {s.name: (s.weight, s.won, s.expected, s.actual) for s in report.people}
    assert by_name == {
        "rep": (Decimal(2), 4, Decimal("0.5714"), Decimal("0.5714")),
        "rep2": (Decimal(1), 2, Decimal("0.2857"), Decimal("0.2857")),
        "June Junior": (Decimal("0.50"), 1, Decimal("0.1429"), Decimal("0.1429")),
    }
    assert Transition.objects.filter(routing__pool__team=inside.pk).count() == 9


def test_someone_who_left_the_team_keeps_their_leads_in_the_period_without_a_weight(pool, people, make_lead, teams):
    hand_over(make_lead, 7)
    User.objects.filter(pk=pool["junior"].pk).update(team=teams["marketing"])
    day = timezone.now().date()
    report = routing_share(pool["team"], day, day + timedelta(days=1))
    assert [(s.name, s.weight, s.won, s.expected) for s in report.people] == [
        ("rep", Decimal(2), 4, Decimal("0.6667")),
        ("rep2", Decimal(1), 2, Decimal("0.3333")),
        ("June Junior", None, 1, Decimal(0)),
    ]


def test_a_period_before_the_decisions_counts_none(pool, people, make_lead):
    hand_over(make_lead, 3)
    day = timezone.now().date() - timedelta(days=10)
    report = routing_share(pool["team"], day - timedelta(days=30), day)
    assert (report.routed, report.queued, [s.won for s in report.people]) == (0, 0, [0, 0, 0])
    assert [s.actual for s in report.people] == [Decimal(0)] * 3


def test_the_share_is_one_query_for_the_decisions_and_one_for_the_members(
    pool, people, make_lead, django_assert_num_queries
):
    hand_over(make_lead, 7)
    day = timezone.now().date()
    with django_assert_num_queries(2):
        routing_share(pool["team"], day, day)


@pytest.mark.parametrize(
    ("since", "until", "field", "message"),
    [
        ("2026-03-02", "2026-03-01", "since", "The period starts (2026-03-02) after it ends (2026-03-01)."),
        ("2025-01-01", "2026-01-02", "until", "The period may cover at most 366 days; it covers 367."),
        ("1999-12-31", "2000-01-02", "since", "1999-12-31 is outside 2000-01-01 … 2100-12-31."),
    ],
)
def test_a_period_that_makes_no_sense_is_refused(pool, since, until, field, message):
    from datetime import date

    with pytest.raises(ValidationError) as caught:
        routing_share(pool["team"], date.fromisoformat(since), date.fromisoformat(until))
    assert caught.value.message_dict == {field: [message]}


def test_state_now_says_who_is_away_paused_at_cap_and_in_hours(pool, people, make_lead, django_assert_num_queries):
    now = timezone.now()
    OutOfOffice.objects.create(
        user=pool["senior"], starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2), set_by=people["rep"]
    )
    routing_settings_update(actor=people["sales_manager"], user=pool["mid"], routing_paused=True)
    hand_over(make_lead, 1)  # only the junior can take it
    routing_settings_update(actor=people["sales_manager"], user=pool["junior"], routing_cap=1)
    routing_settings_update(
        actor=pool["junior"],
        user=pool["junior"],
        work_days=[0, 1, 2, 3, 4, 5, 6],
        work_starts=time(0),
        work_ends=time(23, 59),
    )
    assert Handoff.objects.filter(to_owner=pool["junior"], status="pending").count() == 1
    with CaptureQueriesContext(connection) as three:
        listed = routing_people(pool["team"], now=now)
    for n in range(3):
        UserFactory(username=f"extra{n}", team=pool["team"])
    with django_assert_num_queries(len(three)):  # the same for six people as for three
        assert len(routing_people(pool["team"], now=now)) == 6
    by_name = {p.user.username: p for p in listed}
    assert by_name["rep"].state.startswith("out of office until ")
    assert by_name["rep"].now.away_until is not None and not by_name["rep"].available
    assert by_name["rep2"].state == "routing paused"
    assert by_name["junior"].state == "1 of 1 handoffs pending" and by_name["junior"].at_cap
    assert by_name["junior"].now.in_hours is True
    assert by_name["junior"].hours == "Mon–Sun 00:00–23:59 UTC"
    assert by_name["rep2"].hours == "Mon–Fri 09:00–17:00 UTC"
