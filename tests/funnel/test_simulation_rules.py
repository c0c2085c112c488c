"""A changed handoff rule replayed over a hand-worked history, and a rule in shadow: recorded, never obeyed.

The enforced rule "To sales" routes moves into intent round-robin over the sales team (rep, rep2, weight 1 each).
Four leads moved into intent 20, 18, 16 and 10 hours ago, each opening a handoff:

  lead  score phone   handoff answered after
  L1    50    —       1 h
  L2    70    yes     3 h
  L3    45    yes     30 min
  L4    90    —       still pending (10 h)

The proposed change adds "has phone" and "score ≥ 60", a 2-hour accept SLA round the clock, and weighs rep2 at 2.
It would refuse L1 (both checks), L3 (score) and L4 (phone): 3 of 4, phone 2, score 2; it would breach its SLA
on L2 (3 h) and L4 (pending 10 h): 2 of 4 handoffs.
"""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from funnel.models import Handoff, HandoffRule, RuleStateChange, ShadowResult, Simulation
from funnel.routing.engine import Person, weighted_pick
from funnel.services.handoffs import handoff_accept
from funnel.services.rules import handoff_rule_state_set
from funnel.simulation.choices import RuleState
from funnel.simulation.rules import _steady_replay, rule_simulate
from funnel.simulation.shadow import shadow_rate
from leads.models import Lead
from tests.funnel.conftest import MQL, move

pytestmark = pytest.mark.django_db

CHANGES = {
    "preconditions": [{"kind": "required_fields", "fields": ["phone"]}, {"kind": "min_score", "score": 60}],
    "accept_within_hours": 2,
    "sla_clock": "clock",
}


@pytest.fixture
def history(people, make_lead, signed, rule, teams):
    signed("MQL", MQL)
    to_sales = rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": teams["sales"].pk})
    now = timezone.now()
    rows = [("L1", 50, "", 20, 1), ("L2", 70, "+1 555 0100", 18, 3), ("L3", 45, "+1 555 0101", 16, 0.5)]
    rows.append(("L4", 90, "", 10, None))
    leads = {}
    for name, score, phone, hours_ago, answered_after in rows:
        lead = make_lead(phone=phone)
        Lead.objects.filter(pk=lead.pk).update(score=score)
        at = now - timedelta(hours=hours_ago)
        for step, stage in enumerate(("interest", "consideration", "intent")):
            move(lead, stage, people["marketer"], at=at - timedelta(minutes=3 - step))
        handoff = Handoff.objects.get(lead=lead)
        if answered_after is not None:
            handoff_accept(
                handoff_id=handoff.pk, actor=handoff.to_owner, at=handoff.created_at + timedelta(hours=answered_after)
            )
        leads[name] = lead
    return to_sales, leads, now


def _proposed(rule: HandoffRule, **changes) -> HandoffRule:
    for part, value in changes.items():
        setattr(rule, part, value)
    return rule


def test_the_replay_counts_refusals_by_check_and_sla_breaches_on_real_answer_times(history, people):
    to_sales, _, now = history
    result = rule_simulate(rule=_proposed(to_sales, **CHANGES), window_days=1, now=now)
    assert result["refusals"] == {
        "moves": 4,
        "refused": 3,
        "by_check": [{"check": "has phone", "refused": 2}, {"check": "score ≥ 60", "refused": 2}],
    }
    assert result["sla"] == {"hours": 2, "clock": "clock", "handoffs": 4, "would_breach": 2}


def test_the_replay_spreads_the_leads_by_todays_weights_against_what_happened(history, people):
    to_sales, _, now = history
    people["rep2"].routing_weight = 2
    people["rep2"].save(update_fields=["routing_weight"])
    routing = rule_simulate(rule=to_sales, window_days=1, now=now)["routing"]
    # Weights 1 / 2 over four moves in order: rep2, rep, rep2, rep2. What happened at 1 / 1: two each.
    assert routing["would"] == {"rep2": 3, "rep": 1}
    assert routing["actual"] == {"rep": 2, "rep2": 2}


def test_someone_away_then_is_skipped_in_the_replay(history, people):
    from accounts.models import OutOfOffice

    to_sales, _, now = history
    OutOfOffice.objects.create(user=people["rep"], starts_at=now - timedelta(days=2), ends_at=now + timedelta(days=1))
    assert rule_simulate(rule=to_sales, window_days=1, now=now)["routing"]["would"] == {"rep2": 4}


def test_a_shadow_rule_is_recorded_at_every_move_and_never_refuses(people, make_lead, rule, teams):
    strict = rule(
        "Phone before interest",
        to_stages=["interest"],
        preconditions=[{"kind": "required_fields", "fields": ["phone"]}],
        routing={"kind": "round_robin", "team": teams["sales"].pk},
    )
    change = handoff_rule_state_set(actor=people["admin"], rule_id=strict.pk, to_state=RuleState.SHADOW)
    assert (change.from_state, change.to_state) == (RuleState.ENFORCED, RuleState.SHADOW)
    without_phone, with_phone = make_lead(), make_lead(phone="+1 555 0102")

    moved = [move(without_phone, "interest", people["marketer"]), move(with_phone, "interest", people["marketer"])]

    assert [t.to_owner for t in moved] == [people["marketer"], people["marketer"]]  # it never routed
    results = {r.transition_id: r for r in ShadowResult.objects.filter(rule=strict)}
    assert (results[moved[0].pk].passed, results[moved[1].pk].passed) == (False, True)
    assert results[moved[0].pk].failed[0]["reason"] == "missing phone"
    rate = shadow_rate(rule=strict)
    assert (rate["moves"], rate["would_refuse"], rate["rate"]) == (2, 1, 0.5)
    assert rate["by_check"] == [{"rule": "Phone before interest", "check": "has phone", "count": 1}]


def test_enforcing_is_a_recorded_decision_with_the_simulation_in_front_of_the_decider(people, rule):
    draft = rule("Draft rule", to_stages=["interest"])
    handoff_rule_state_set(actor=people["admin"], rule_id=draft.pk, to_state=RuleState.SHADOW)
    simulation = Simulation.objects.create(kind="rule", rule=draft, rule_spec={}, window_days=30, status="done")
    change = handoff_rule_state_set(
        actor=people["sales_manager"], rule_id=draft.pk, to_state=RuleState.ENFORCED, simulation_id=simulation.pk
    )
    draft.refresh_from_db()
    assert (draft.state, draft.is_active) == (RuleState.ENFORCED, True)
    assert (change.actor, change.simulation) == (people["sales_manager"], simulation)
    assert RuleStateChange.objects.filter(rule=draft).count() == 2
    with pytest.raises(ValidationError, match="The rule is enforced: it can go to retired, shadow, not draft"):
        handoff_rule_state_set(actor=people["admin"], rule_id=draft.pk, to_state=RuleState.DRAFT)
    with pytest.raises(ValidationError, match="'paused' is not a rule state"):
        handoff_rule_state_set(actor=people["admin"], rule_id=draft.pk, to_state="paused")


@pytest.mark.parametrize("weights", [(1, 2), (Decimal("0.5"), 1, 2), (Decimal("9.99"), Decimal("0.01"), 3)])
@pytest.mark.parametrize("moves", [0, 1, 7, 1003])
def test_the_steady_replay_shortcut_picks_exactly_as_the_engine_does(weights, moves):
    """No absence in the window: one round of the weights, repeated, must equal picking move by move."""
    members = [(pk, f"p{pk}", Decimal(w), pk == 4) for pk, w in enumerate((*weights, 1), start=1)]  # p4 paused
    people = [Person(id=pk, name=name, weight=w, paused=paused) for pk, name, w, paused in members]
    credits: dict = {}
    by_engine: Counter = Counter()
    for _ in range(moves):
        decision, credits = weighted_pick(people, credits, how="t", pool=None)
        by_engine[decision.winner["name"]] += 1
    assert _steady_replay(members, moves) == by_engine


def test_switching_a_shadow_rule_on_through_the_api_is_a_recorded_decision(people, rule, client_for):
    trial = rule("Trial", to_stages=["interest"])
    handoff_rule_state_set(actor=people["admin"], rule_id=trial.pk, to_state=RuleState.SHADOW)
    response = client_for(people["sales_manager"]).patch(
        f"/api/v1/handoff-rules/{trial.pk}/", {"is_active": True}, format="json"
    )
    assert (response.status_code, response.json()["state"]) == (200, "enforced")
    last = RuleStateChange.objects.filter(rule=trial).order_by("-id").first()
    assert (last.from_state, last.to_state, last.actor, last.simulation) == (
        RuleState.SHADOW,
        RuleState.ENFORCED,
        people["sales_manager"],
        None,
    )
