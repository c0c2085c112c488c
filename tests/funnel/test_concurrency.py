"""Concurrency claims, tested with real concurrent transactions on PostgreSQL (one connection per thread)."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from funnel.exceptions import IllegalMove, LeadBusy
from funnel.models import Handoff, SlaBreach, Transition
from funnel.services.sla import handoff_sla_breaches_record
from funnel.services.transitions import lead_transition
from leads.models import Lead
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _defaults(funnel_defaults):
    pass


def run_together(*calls):
    """Starts every call at the same moment in its own thread and connection; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the caller inspects what each thread raised
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("attempt", range(5))
def test_two_users_moving_one_lead_exactly_one_wins(make_lead, people, attempt):
    lead = make_lead()

    def mover(user):
        return lambda: lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage="interest", actor=user)

    results = run_together(mover(people["marketer"]), mover(people["marketing_manager"]))
    wins = [r for r in results if isinstance(r, Transition)]
    # The loser either found the lead locked, or (on a loaded machine) read it after the winner committed and
    # was told it is already at interest: never a second move.
    losses = [r for r in results if isinstance(r, LeadBusy | IllegalMove)]
    assert (len(wins), len(losses)) == (1, 1), results
    assert Transition.objects.filter(lead=lead, to_stage="interest").count() == 1


def test_concurrent_api_moves_give_one_201_and_one_409(make_lead, people):
    lead = make_lead()
    clients = []
    for who in ("marketer", "marketing_manager"):
        client = APIClient()
        client.force_login(people[who])
        clients.append(client)

    # Both clients say which stage they saw: whether the loser meets the winner's lock or reads the lead after the
    # winner committed (a loaded machine), it is told the lead changed under it, never "already at interest".
    def post(client):
        body = {"from_stage": "awareness", "to_stage": "interest"}
        return lambda: client.post(f"/api/v1/leads/{lead.pk}/transition/", body, format="json")

    responses = run_together(*(post(c) for c in clients))
    assert sorted(r.status_code for r in responses) == [201, 409]
    conflict = next(r for r in responses if r.status_code == 409).json()
    assert conflict["code"] == "conflict"
    assert Transition.objects.filter(lead=lead).count() == 2  # capture + the one move


def test_concurrent_round_robin_assignments_take_turns(make_lead, people, rule):
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})
    leads = [make_lead() for _ in range(4)]
    for lead in leads:
        for stage in ("interest", "consideration"):
            move(lead, stage, people["marketer"])

    def mover(lead):
        return lambda: lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage="intent", actor=people["marketer"])

    results = run_together(*(mover(lead) for lead in leads))
    assert all(isinstance(r, Transition) for r in results), results
    assert Counter(r.to_owner_id for r in results) == {people["rep"].pk: 2, people["rep2"].pk: 2}


def test_concurrent_sla_jobs_record_one_breach(make_lead, people, rule):
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})
    lead = make_lead()
    for stage in ("interest", "consideration", "intent"):
        move(lead, stage, people["marketer"])
    later = timezone.now() + timedelta(days=10)  # past the default window of working hours, weekends or not
    results = run_together(*(lambda: handoff_sla_breaches_record(now=later) for _ in range(3)))
    assert sum(len(r) for r in results) == 1, results
    assert SlaBreach.objects.filter(handoff=Handoff.objects.get(lead=lead)).count() == 1


def test_a_move_while_another_transaction_holds_the_lead_fails_at_once_with_409(make_lead, people):
    from django.db import transaction

    lead = make_lead()
    locked, release = threading.Event(), threading.Event()

    def holder():
        try:
            with transaction.atomic():
                Lead.objects.select_for_update().get(pk=lead.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        with pytest.raises(LeadBusy, match="in progress"):
            lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage="interest", actor=people["marketer"])
    finally:
        release.set()
        thread.join(timeout=10)
    assert Transition.objects.filter(lead=lead).count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_a_move_and_a_reassignment_of_one_lead_at_once_leave_a_consistent_history(make_lead, people, attempt):
    """Either the reassignment holds the lock and the move is refused (409), or the move goes first and the
    reassignment queues behind it; in both cases the history's owners chain and end at the lead's owner."""
    from funnel.models import Reassignment
    from funnel.services.reassign import leads_reassign

    lead = make_lead(owner=people["marketer"])
    results = run_together(
        lambda: lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage="interest", actor=people["marketer"]),
        lambda: leads_reassign(
            actor=people["marketing_manager"], to_owner=people["marketing_manager"], reason="Cover", lead_ids=[lead.pk]
        ),
    )
    moved, reassigned = results
    assert not isinstance(reassigned, Exception), results
    assert isinstance(moved, Transition | LeadBusy), results
    lead.refresh_from_db()
    events = sorted(
        [
            (t.occurred_at, t.from_owner_id, t.to_owner_id)
            for t in Transition.objects.filter(lead=lead).order_by("occurred_at")[1:]
        ]
        + [(r.occurred_at, r.from_owner_id, r.to_owner_id) for r in Reassignment.objects.filter(lead=lead)]
    )
    owner = people["marketer"].pk
    for _, from_owner, to_owner in events:
        assert from_owner == owner, events
        owner = to_owner
    assert lead.owner_id == owner == people["marketing_manager"].pk
    assert lead.stage == ("interest" if isinstance(moved, Transition) else "awareness")
