"""A proposed definition simulated against the active one on a hand-worked history, every number written here.

Active MQL v1: score ≥ 40. Proposed v2: segment enterprise or mid-market, and score ≥ 35.
Rule "MQL first" gates moves into consideration.

  lead  score segment     history                                  now      v1   v2
  A     50    smb         → consideration (passed v1)              open     yes  no   stops qualifying
  B     70    enterprise  → consideration                          open     yes  yes
  C     30    enterprise  —                                        open     no   no
  D     65    smb         → consideration → … → purchase $12,000   bought   (closed: not counted now)
  E     38    mid_market  —                                        open     no   yes  newly qualifies

History (moves into consideration): A, B, D = 3 moves; v2 would refuse A and D (smb) = 2, v1 none; of those,
D went on to purchase: 1 lead, $12,000 held back.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from funnel.models import LeadDefinition, Simulation
from funnel.services.definitions import definition_version_propose, definition_version_sign_off
from funnel.simulation import services
from funnel.simulation.choices import SimulationStatus
from funnel.simulation.definitions import definition_simulate, simulation_leads
from leads.models import Lead
from tests.funnel.conftest import MQL, move

pytestmark = pytest.mark.django_db

V2 = {
    "conditions": [
        {"field": "segment", "op": "in", "value": ["enterprise", "mid_market"]},
        {"field": "score", "op": "gte", "value": 35},
    ]
}


@pytest.fixture
def history(people, make_lead, signed, rule):
    signed("MQL", MQL)
    rule("MQL first", to_stages=["consideration"], preconditions=[{"kind": "definition_met", "level": "MQL"}])
    scores = {"A": 50, "B": 70, "C": 30, "D": 65, "E": 38}
    leads = {
        "A": make_lead(segment="smb"),
        "B": make_lead(segment="enterprise"),
        "C": make_lead(segment="enterprise"),
        "D": make_lead(segment="smb", expected_value=Decimal("12000")),
        "E": make_lead(segment="mid_market"),
    }
    for name, score in scores.items():  # scores come from scoring, not from a form: set them directly
        Lead.objects.filter(pk=leads[name].pk).update(score=score)
    for name in "ABD":
        move(leads[name], "interest", people["marketer"])
        move(leads[name], "consideration", people["marketer"])
    for stage in ("intent", "evaluation", "purchase"):
        move(leads["D"], stage, people["admin"])
    proposal = definition_version_propose(
        definition=LeadDefinition.objects.get(code="MQL"), criteria=V2, proposed_by=people["marketer"]
    )
    return leads, proposal


def test_the_simulation_counts_now_and_history_as_worked_by_hand(history):
    _, proposal = history
    result = definition_simulate(version=proposal, window_days=1, now=timezone.now())

    assert result["now"]["totals"] == {
        "leads": 4,
        "qualify_active": 2,
        "qualify_proposed": 2,
        "newly_qualify": 1,
        "stop_qualifying": 1,
    }
    by_segment = {row["value"]: row for row in result["now"]["by"]["segment"]}
    assert (by_segment["smb"]["leads"], by_segment["smb"]["stop_qualifying"]) == (1, 1)
    assert (by_segment["mid_market"]["newly_qualify"], by_segment["enterprise"]["qualify_proposed"]) == (1, 1)

    history_part = result["history"]
    assert history_part["totals"] == {"moves": 3, "refused_proposed": 2, "refused_active": 0, "newly_refused": 2}
    assert history_part["went_on_to_purchase"] == 1
    assert history_part["revenue_held_back"] == [{"currency": "USD", "revenue": "12000.00", "purchases": 1}]
    history_segments = {row["value"]: row["refused_proposed"] for row in history_part["by"]["segment"]}
    assert history_segments == {"smb": 2, "enterprise": 0}


def test_each_count_drills_down_to_its_leads(history):
    leads, proposal = history
    result = definition_simulate(version=proposal, window_days=1, now=timezone.now())

    def drilled(part, bucket, **by):
        return set(simulation_leads(result=result, part=part, bucket=bucket, **by).values_list("pk", flat=True))

    assert drilled("now", "newly_qualify") == {leads["E"].pk}
    assert drilled("now", "stop_qualifying") == {leads["A"].pk}
    assert drilled("history", "refused_proposed") == {leads["A"].pk, leads["D"].pk}
    assert drilled("now", "qualify_proposed", dimension="segment", value="enterprise") == {leads["B"].pk}
    with pytest.raises(ValidationError, match="'everything' is not a count of this simulation"):
        drilled("now", "everything")


def test_the_snapshot_not_todays_lead_decides_the_replay(history, people):
    """A moved into consideration as an smb lead; becoming enterprise later does not rewrite that move."""
    leads, proposal = history
    Lead.objects.filter(pk=leads["A"].pk).update(segment="enterprise")
    result = definition_simulate(version=proposal, window_days=1, now=timezone.now())
    assert result["history"]["totals"]["refused_proposed"] == 2
    assert result["now"]["totals"]["stop_qualifying"] == 0


def test_bad_windows_and_an_active_version_are_refused_by_name(history, people):
    _, proposal = history
    now = timezone.now()
    with pytest.raises(ValidationError, match="0 is not a number of days"):
        definition_simulate(version=proposal, window_days=0, now=now)
    with pytest.raises(ValidationError, match=r"reaches back 1 day; a 400-day window is longer"):
        definition_simulate(version=proposal, window_days=400, now=now)
    active = LeadDefinition.objects.get(code="MQL").versions.get(status="active")
    with pytest.raises(ValidationError, match="already the active one"):
        definition_simulate(version=active, window_days=1, now=now)


def test_the_job_runs_caches_and_the_sign_off_records_the_simulation_seen(history, people):
    _, proposal = history
    simulation = services.definition_simulation_request(actor=people["marketer"], version_id=proposal.pk, window_days=1)
    simulation.refresh_from_db()  # CELERY_TASK_ALWAYS_EAGER ran it on commit… or the test runs it now
    if simulation.status == SimulationStatus.QUEUED:
        services.simulation_run(simulation_id=simulation.pk)
        simulation.refresh_from_db()
    assert (simulation.status, simulation.progress) == (SimulationStatus.DONE, 100)
    assert simulation.result["now"]["totals"]["newly_qualify"] == 1
    again = services.definition_simulation_request(actor=people["sales_manager"], version_id=proposal.pk, window_days=1)
    assert again.pk == simulation.pk  # both sides read the same numbers
    assert services.simulation_run(simulation_id=simulation.pk).status == SimulationStatus.DONE  # a rerun is a no-op

    signed_version = definition_version_sign_off(
        version_id=proposal.pk, user=people["marketing_manager"], simulation_id=simulation.pk
    )
    assert signed_version.marketing_simulation_id == simulation.pk
    other = Simulation.objects.create(kind="definition", definition_version=proposal, window_days=1)
    with pytest.raises(ValidationError, match=f"Simulation {other.pk} is not a finished one of this version"):
        definition_version_sign_off(version_id=proposal.pk, user=people["sales_manager"], simulation_id=other.pk)
