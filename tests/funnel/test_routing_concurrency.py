"""Routing under real concurrent transactions on PostgreSQL: twenty moves into one team at the same moment, one
thread and connection each. The team's cursor row lock makes them take turns, so caps hold and the weights
come out exact."""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.choices import Function, Role
from funnel.models import Handoff, RoutingCursor, Transition
from funnel.routing.services import person_route, pool_route
from funnel.services.transitions import lead_transition
from leads.models import Lead
from tests.accounts.factories import TeamFactory, UserFactory
from tests.funnel.conftest import move
from tests.funnel.test_concurrency import run_together
from tests.locks import until_another_session_waits_on_a_lock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _defaults(funnel_defaults):
    pass


def _team(people, settings: list[dict]):
    team = TeamFactory(name="Closers", function=Function.SALES, manager=people["sales_manager"])
    for n, fields in enumerate(settings):
        UserFactory(username=f"closer{n}", role=Role.SALES_REP, team=team, **fields)
    return team


def _twenty_at_once(people, make_lead, rule, team) -> list:
    """Twenty leads waiting in consideration, then all moved into intent (routed into `team`) at once."""
    rule("Intent to closers", to_stages=["intent"], routing={"kind": "round_robin", "team": team.pk})
    leads = [make_lead() for _ in range(20)]
    for lead in leads:
        move(lead, "interest", people["marketer"])
        move(lead, "consideration", people["marketer"])

    def mover(lead):
        return lambda: lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage="intent", actor=people["marketer"])

    results = run_together(*(mover(lead) for lead in leads))
    assert all(isinstance(r, Transition) for r in results), results
    return results


def test_twenty_routings_at_once_never_pass_a_cap_and_the_rest_wait_in_the_queue(people, make_lead, rule):
    team = _team(people, [{"routing_cap": 3}, {"routing_cap": 3}, {"routing_cap": 4}])
    results = _twenty_at_once(people, make_lead, rule, team)
    assigned = Counter(t.to_owner.username for t in results if t.to_owner is not None)
    assert assigned == {"closer0": 3, "closer1": 3, "closer2": 4}
    pending = Counter(Handoff.objects.filter(status="pending").values_list("to_owner__username", flat=True))
    assert pending == {"closer0": 3, "closer1": 3, "closer2": 4, None: 10}
    assert sum(t.routing["queued"] for t in results) == 10
    queued = Lead.objects.filter(stage="intent", owner__isnull=True)
    assert (queued.count(), set(queued.values_list("team", flat=True))) == (10, {team.pk})
    assert Handoff.objects.filter(status="pending", to_owner__isnull=True, to_team=team).count() == 10


def test_twenty_routings_at_once_follow_the_weights_exactly(people, make_lead, rule):
    team = _team(
        people, [{"routing_weight": Decimal(1)}, {"routing_weight": Decimal(1)}, {"routing_weight": Decimal(2)}]
    )
    results = _twenty_at_once(people, make_lead, rule, team)
    assert Counter(t.to_owner.username for t in results) == {"closer0": 5, "closer1": 5, "closer2": 10}
    # No routing's cursor update was lost: it moved once for each of the twenty.
    assert team.routingcursor.position == 20


@pytest.mark.parametrize("holder", ["pool", "person"])
def test_a_routing_that_waited_for_the_lock_sees_the_cap_its_holder_filled(people, make_lead, holder):
    """pool_route reads the pool in the statement that takes the lock, so it must notice that whoever held the
    lock committed a handoff meanwhile: here one bringing the heavy closer0 to their cap of 1."""
    team = _team(people, [{"routing_weight": Decimal(10), "routing_cap": 1}, {"routing_weight": Decimal(1)}])
    closer0 = team.members.get(username="closer0")
    RoutingCursor.objects.create(team=team)  # as after the team's first routing: the lock is then a row lock
    lead = make_lead()
    transition = move(lead, "interest", people["marketer"])
    locked, now = threading.Event(), timezone.now()

    def hold_the_lock_then_fill_the_cap():
        with transaction.atomic():
            if holder == "pool":
                assert pool_route(team.pk, now)[0] == closer0
            else:
                assert person_route(closer0, now, how="a territory match")[0] == closer0
            locked.set()
            until_another_session_waits_on_a_lock()  # the other routing waits behind us: the race under test
            Handoff.objects.create(
                lead=lead,
                transition=transition,
                from_function="marketing",
                to_function="sales",
                to_owner=closer0,
                to_team=team,
                created_at=now,
            )

    def route_behind_it():
        assert locked.wait(timeout=10)
        with transaction.atomic():
            return pool_route(team.pk, now)

    held, routed = run_together(hold_the_lock_then_fill_the_cap, route_behind_it)
    assert held is None, held  # the holder saw the other routing wait, then committed the handoff
    owner, decision = routed
    assert owner.username == "closer1"
    skipped = {c["id"]: (c["skipped"], c["detail"]) for c in decision.candidates}
    assert skipped[closer0.pk] == ("at_cap", "1 of 1 handoffs pending")
