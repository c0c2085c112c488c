"""The per-owner stage counts the database keeps equal an independent count of the leads, after every kind
of write: capture, moves with routing, a rejected handoff, direct updates and deletes, and concurrent moves
in opposite directions between two people (which must not deadlock)."""

import threading

import pytest
from django.db import connections
from django.db.models import Count

from funnel.models import Handoff
from funnel.services.handoffs import handoff_reject
from leads.models import Lead, OwnerStageCount
from tests.funnel.conftest import move


def counted() -> dict[tuple[int, str], int]:
    return {(r.owner_id, r.stage): r.n for r in OwnerStageCount.objects.filter(n__gt=0)}


def recounted() -> dict[tuple[int, str], int]:
    rows = Lead.objects.exclude(owner=None).values("owner_id", "stage").annotate(n=Count("*"))
    return {(r["owner_id"], r["stage"]): r["n"] for r in rows}


@pytest.mark.django_db
def test_counts_follow_every_write_to_leads(people, make_lead, rule):
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})
    leads = [make_lead(owner=people["marketer"]) for _ in range(4)]
    assert counted() == {(people["marketer"].pk, "awareness"): 4} == recounted()
    for stage in ("interest", "consideration", "intent"):
        move(leads[0], stage, people["marketer"])
    move(leads[1], "lost", people["marketer"], reason="No fit")
    assert counted() == recounted()
    handoff = Handoff.objects.get(lead=leads[0], status="pending")
    handoff_reject(handoff_id=handoff.pk, actor=handoff.to_owner, reason_code="no_budget")
    Lead.objects.filter(pk=leads[2].pk).update(owner=people["rep2"])  # a write that skips every service
    Lead.objects.filter(pk=leads[3].pk).update(owner=None)  # into the team's queue: not a person's count
    assert counted() == recounted()
    assert counted()[(people["marketer"].pk, "nurture")] == 1


@pytest.mark.django_db
def test_counts_follow_bulk_inserts_deletes_and_owners_changed_outside_the_services(people):
    from django.utils import timezone

    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            last_name=f"Bulk {n}",
            owner=people["rep"],
            stage="interest",
            owning_function="marketing",
            stage_entered_at=now,
            created_at=now,
        )
        for n in range(5)
    )
    queued = Lead.objects.create(
        last_name="Queued",
        owner=None,
        stage="interest",
        owning_function="marketing",
        stage_entered_at=now,
        created_at=now,
    )
    assert counted() == {(people["rep"].pk, "interest"): 5} == recounted()
    Lead.objects.filter(pk=queued.pk).update(owner=people["rep"])  # out of the queue to a person
    Lead.objects.filter(last_name="Bulk 0").delete()
    Lead.objects.filter(last_name="Bulk 1").update(owner=people["rep2"])  # handed over outside any service
    assert counted() == {(people["rep"].pk, "interest"): 4, (people["rep2"].pk, "interest"): 1} == recounted()
    Lead.objects.all().delete()
    assert counted() == {} == recounted()


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_between_two_people_keep_the_counts_and_never_deadlock(
    funnel_defaults, people, make_lead, rule
):
    rep, rep2 = people["rep"], people["rep2"]
    ours = []
    for owner, territory, path in (
        (rep, "B", ["interest", "consideration", "intent"]),
        (rep2, "A", ["interest", "consideration", "intent", "evaluation"]),
    ):
        for _ in range(6):
            lead = make_lead(owner=owner, territory=territory)
            for stage in path:
                move(lead, stage, owner)
            ours.append((lead, owner, "evaluation" if territory == "B" else "intent"))
    # Now every move goes the other way between the two reps: (rep, intent) → (rep2, evaluation) and back.
    rule(
        "rep2 takes evaluation",
        to_stages=["evaluation"],
        routing={"kind": "match", "field": "territory", "map": {"B": rep2.pk}},
    )
    rule(
        "rep takes intent back",
        to_stages=["intent"],
        routing={"kind": "match", "field": "territory", "map": {"A": rep.pk}},
    )
    errors = []
    barrier = threading.Barrier(len(ours))

    def work(lead, actor, to_stage):
        try:
            barrier.wait(timeout=10)
            move(lead, to_stage, actor)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=item) for item in ours]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)  # none still waiting on a lock after 60 s
    assert [str(e) for e in errors] == []  # a deadlock would have aborted one of the moves
    assert counted() == recounted()
    moved = Lead.objects.filter(pk__in=[lead.pk for lead, _, _ in ours])
    assert set(moved.values_list("owner__username", "stage")) == {("rep", "intent"), ("rep2", "evaluation")}
