"""A rule's states on its pages, over a hand-worked history.

"To sales" (enforced) routes moves into intent round-robin over the sales team (rep, rep2). "Phone and score" has
been in shadow since a day ago: a phone and score ≥ 60, round-robin over sales, a 2-hour accept SLA round the
clock. Four leads moved into intent 20, 18, 16 and 10 hours ago, each opening a handoff:

  lead  score phone   handoff answered after   shadow verdict
  L1    50    —       1 h                      refuse (phone, score)
  L2    70    yes     3 h                      pass
  L3    45    yes     30 min                   refuse (score)
  L4    90    —       still pending (10 h)     refuse (phone)

Shadow rate: 3 of 4 moves (75 %), phone 2, score 2. Its replay over one day: the same 3 of 4 refused; the one
let through (L2) would have gone to rep (first in the round) and really went to rep2; 2 of 4 handoffs would have
breached 2 hours (L2 answered after 3 h, L4 pending 10 h).
"""

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from funnel.models import Handoff, HandoffRule, RuleStateChange, Simulation
from funnel.services.handoffs import handoff_accept
from funnel.services.rules import handoff_rule_state_set
from leads.models import Lead
from tests.funnel.conftest import MQL, move

pytestmark = pytest.mark.django_db

STRICT = {
    "to_stages": ["intent"],
    "preconditions": [{"kind": "required_fields", "fields": ["phone"]}, {"kind": "min_score", "score": 60}],
    "accept_within_hours": 2,
    "sla_clock": "clock",
}
RATE = "would have refused 3 of 4 moves (75 %) since "
FAILING = "Failing most: has phone (2), score ≥ 60 (2)."


def worked_history(people, make_lead, signed, rule, teams, shadow: bool = True) -> HandoffRule:
    """The history above; returns the shadow rule (a draft with `shadow=False`). The browser test builds it too."""
    signed("MQL", MQL)
    sales = {"kind": "round_robin", "team": teams["sales"].pk}
    rule("To sales", to_stages=["intent"], routing=sales)
    strict = rule("Phone and score", routing=sales, **STRICT)
    now = timezone.now()
    if shadow:
        handoff_rule_state_set(actor=people["admin"], rule_id=strict.pk, to_state="shadow", at=now - timedelta(days=1))
    else:
        HandoffRule.objects.filter(pk=strict.pk).update(state="draft", is_active=False)  # as if born a draft
    rows = [(50, "", 20, 1), (70, "+1 555 0100", 18, 3), (45, "+1 555 0101", 16, 0.5), (90, "", 10, None)]
    for score, phone, hours_ago, answered_after in rows:
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
    strict.refresh_from_db()
    return strict


@pytest.fixture
def strict(people, make_lead, signed, rule, teams):
    return worked_history(people, make_lead, signed, rule, teams)


@pytest.fixture
def web(client):
    def logged_in(user):
        client.force_login(user)
        return client

    return logged_in


def text(response) -> str:
    """The page's words, tags dropped and spaces squeezed, as a reader sees them."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def edit_url(rule) -> str:
    return reverse("rule-edit", args=[rule.pk])


def rule_form(**fields) -> dict:
    """The editor's form for "Phone and score" as saved, with `fields` changed."""
    return {
        "name": "Phone and score",
        "priority": 100,
        "to_stages": ["intent"],
        "preconditions": json.dumps(STRICT["preconditions"]),
        "routing": json.dumps({"kind": "keep"}),
        "escalations": "[]",
        "accept_within_hours": 2,
        "sla_clock": "clock",
        **fields,
    }


def simulate(client, django_capture_on_commit_callbacks, url, data):
    """Posts a simulate form; the job (eager) runs when the request's transaction would have committed."""
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(url, data)


def test_the_list_shows_each_rules_state_and_a_shadow_rules_live_rate(strict, people, rule, web):
    draft, gone = rule("Draft rule", to_stages=["lost"]), rule("Old rule", to_stages=["nurture"])
    HandoffRule.objects.filter(pk=draft.pk).update(state="draft", is_active=False)  # as if born a draft
    handoff_rule_state_set(actor=people["admin"], rule_id=gone.pk, to_state="retired")
    page = web(people["rep"]).get(reverse("rule-list"))
    html = page.content.decode()
    assert '<span class="badge status-active" title="Enforced">enforced</span>' in html
    assert '<span class="badge" title="Draft (not evaluated)">draft</span>' in html
    assert '<span class="badge muted" title="Retired">retired</span>' in html
    since = f"{timezone.localtime(strict.state_since):%-d %b}"
    assert f">shadow since {since}</span>" in html
    assert f"In shadow it {RATE}{since}. {FAILING}" in text(page)


def test_a_shadow_rate_counts_only_the_moves_since_the_rule_entered_shadow(strict, people, web):
    handoff_rule_state_set(actor=people["admin"], rule_id=strict.pk, to_state="draft")
    handoff_rule_state_set(actor=people["admin"], rule_id=strict.pk, to_state="shadow")
    page = text(web(people["sales_manager"]).get(edit_url(strict)))
    assert "In shadow it no move in its scope yet since " in page


def test_simulating_the_saved_rule_starts_a_job_and_the_panel_shows_its_numbers(
    strict, people, web, django_capture_on_commit_callbacks
):
    client = web(people["sales_manager"])
    started = simulate(
        client, django_capture_on_commit_callbacks, reverse("rule-simulate", args=[strict.pk]), {"window_days": 1}
    )
    simulation = Simulation.objects.get()
    assert started.status_code == 302 and started["Location"] == f"{edit_url(strict)}#rule-simulation"
    assert (simulation.rule, simulation.window_days, simulation.status) == (strict, 1, "done")
    page = text(client.get(edit_url(strict)))
    assert (
        "Last 1 day: of 4 moves in its scope it would have refused 3 : has phone — 2 refused score ≥ 60 — 2 refused"
        in page
    )
    assert "Person Would have Really got rep 1 0 rep2 0 1" in page
    assert "of 4 handoffs those moves opened, 2 would have breached its 2-hour accept SLA (round the clock)" in page
    assert f"Simulation #{simulation.pk} of the rule as saved · data as of " in page
    assert f'id="rule-state-simulation" value="{simulation.pk}"' in client.get(edit_url(strict)).content.decode()
    again = simulate(
        client, django_capture_on_commit_callbacks, reverse("rule-simulate", args=[strict.pk]), {"window_days": 1}
    )
    assert Simulation.objects.count() == 1  # the same rule and window within the hour: the same numbers
    assert again.status_code == 302


def test_a_window_of_zero_days_or_longer_than_the_history_is_refused_beside_the_field(strict, people, web):
    client = web(people["sales_manager"])
    zero = client.post(reverse("rule-simulate", args=[strict.pk]), {"window_days": 0})
    assert zero.status_code == 400
    assert "0 is not a number of days; give 1 or more." in zero.content.decode()
    long = client.post(reverse("rule-simulate", args=[strict.pk]), {"window_days": 400})
    assert "The history kept reaches back 1 day; a 400-day window is longer." in unescape(long.content.decode())
    assert not Simulation.objects.exists()


def test_simulating_unsaved_changes_replays_them_and_keeps_the_form(
    strict, people, web, django_capture_on_commit_callbacks
):
    client = web(people["sales_manager"])
    url = reverse("rule-simulate-changes", args=[strict.pk])
    changed = rule_form(name="Phone only", preconditions=json.dumps(STRICT["preconditions"][:1]), window_days=1)
    page = simulate(client, django_capture_on_commit_callbacks, url, changed)
    simulation = Simulation.objects.get()
    assert page.status_code == 200
    assert 'value="Phone only"' in page.content.decode()  # the form comes back as typed, unsaved
    assert f"Simulation #{simulation.pk} is queued over the last 1 day" in text(page)
    strict.refresh_from_db()
    assert (strict.name, len(strict.preconditions)) == ("Phone and score", 2)
    assert simulation.rule_spec["preconditions"] == STRICT["preconditions"][:1]
    done = client.get(reverse("rule-simulation-progress", args=[simulation.pk]))
    assert done["HX-Retarget"] == "#rule-simulation"
    words = text(done)
    assert "of 4 moves in its scope it would have refused 2 : has phone — 2 refused" in words
    assert f"Simulation #{simulation.pk} of changes not saved" in words


def test_a_new_rules_unsaved_form_can_be_simulated(strict, people, web, django_capture_on_commit_callbacks):
    client = web(people["sales_manager"])
    form = rule_form(name="Brand new", preconditions=json.dumps([{"kind": "min_score", "score": 80}]), window_days=1)
    page = simulate(client, django_capture_on_commit_callbacks, reverse("rule-create-simulate"), form)
    simulation = Simulation.objects.get()
    assert (page.status_code, simulation.rule, simulation.status) == (200, None, "done")
    assert not HandoffRule.objects.filter(name="Brand new").exists()
    words = text(client.get(reverse("rule-simulation-progress", args=[simulation.pk])))
    assert "of 4 moves in its scope it would have refused 3 : score ≥ 80 — 3 refused" in words
    assert "of the new rule, unsaved" in words


def test_a_simulation_of_broken_changes_is_refused_by_the_field(strict, people, web):
    bad = rule_form(preconditions=json.dumps([{"kind": "min_score", "score": 500}]), window_days=1)
    page = web(people["sales_manager"]).post(reverse("rule-simulate-changes", args=[strict.pk]), bad)
    assert page.status_code == 422
    assert "preconditions[0].score: must be a whole number from 1 to 100." in page.content.decode()
    assert not Simulation.objects.exists()


def test_enforcing_records_the_simulation_shown_and_the_note(strict, people, web, django_capture_on_commit_callbacks):
    client = web(people["leader"])
    simulate(client, django_capture_on_commit_callbacks, reverse("rule-simulate", args=[strict.pk]), {"window_days": 1})
    simulation = Simulation.objects.get()
    shown = client.get(edit_url(strict)).content.decode()
    assert re.search(r'<button type="submit" name="to_state" value="enforced">Enforce</button>', shown)
    answer = client.post(
        reverse("rule-state", args=[strict.pk]),
        {"to_state": "enforced", "simulation": simulation.pk, "note": "75 % refused is what we want"},
        follow=True,
    )
    change = RuleStateChange.objects.filter(rule=strict).first()
    assert (change.from_state, change.to_state, change.actor) == ("shadow", "enforced", people["leader"])
    assert (change.simulation, change.note) == (simulation, "75 % refused is what we want")
    page = text(answer)
    assert f"“Phone and score” is now enforced having read simulation #{simulation.pk}." in page
    assert f"shadow → enforced #{simulation.pk} (1 day) 75 % refused is what we want" in page
    assert "admin enforced → shadow none —" in page  # the earlier move, without a simulation


def test_a_disallowed_move_shows_the_services_message(strict, people, web):
    client = web(people["sales_manager"])
    handoff_rule_state_set(actor=people["admin"], rule_id=strict.pk, to_state="enforced")
    page = text(client.post(reverse("rule-state", args=[strict.pk]), {"to_state": "draft"}, follow=True))
    assert "state: The rule is enforced: it can go to retired, shadow, not draft." in page
    strict.refresh_from_db()
    assert strict.state == "enforced"


def test_a_state_move_refuses_another_rules_simulation_a_nul_and_a_long_note(strict, people, rule, web):
    client = web(people["sales_manager"])
    other = rule("Other", to_stages=["lost"])
    foreign = Simulation.objects.create(kind="rule", rule=other, rule_spec={}, window_days=1, status="done")
    url = reverse("rule-state", args=[strict.pk])
    page = text(client.post(url, {"to_state": "enforced", "simulation": foreign.pk}, follow=True))
    assert f"simulation: Simulation {foreign.pk} is not one of this rule's." in page
    assert "note: Null characters are not allowed." in text(
        client.post(url, {"to_state": "enforced", "note": "ok\x00"}, follow=True)
    )
    assert "note: Ensure this value has at most 500 characters (it has 100000)." in text(
        client.post(url, {"to_state": "enforced", "note": "x" * 100_000}, follow=True)
    )
    assert "simulation: Enter a whole number." in text(
        client.post(url, {"to_state": "enforced", "simulation": "x"}, follow=True)
    )
    strict.refresh_from_db()
    assert strict.state == "shadow"


def test_a_rep_sees_no_state_buttons_and_may_not_move_or_simulate(strict, people, web):
    client = web(people["rep"])
    listing = client.get(reverse("rule-list")).content.decode()
    assert 'name="to_state"' not in listing and "Put in shadow" not in listing
    assert client.get(edit_url(strict)).status_code == 403
    assert client.post(reverse("rule-state", args=[strict.pk]), {"to_state": "enforced"}).status_code == 403
    assert client.post(reverse("rule-simulate", args=[strict.pk]), {"window_days": 1}).status_code == 403
    strict.refresh_from_db()
    assert strict.state == "shadow" and not Simulation.objects.exists()


def test_an_editor_sees_only_the_allowed_moves(strict, people, web):
    page = web(people["sales_manager"]).get(edit_url(strict)).content.decode()
    buttons = re.findall(r'name="to_state" value="(\w+)"', page)
    assert buttons == ["enforced", "draft", "retired"]


def test_a_new_rule_starts_as_enforced_shadow_or_draft(people, web):
    client = web(people["sales_manager"])
    for name, start_as in (("Shadowed", "shadow"), ("Drafted", "draft"), ("Enforced", "enforced")):
        answer = client.post(reverse("rule-create"), rule_form(name=name, start_as=start_as))
        assert answer.status_code == 302
    states = {r.name: (r.state, r.is_active) for r in HandoffRule.objects.all()}
    assert states == {"Shadowed": ("shadow", False), "Drafted": ("draft", False), "Enforced": ("enforced", True)}
    moves = list(RuleStateChange.objects.order_by("id").values_list("rule__name", "from_state", "to_state", "actor"))
    manager = people["sales_manager"].pk
    assert moves == [("Shadowed", "draft", "shadow", manager), ("Enforced", "draft", "enforced", manager)]
    refused = client.post(reverse("rule-create"), rule_form(name="Odd", start_as="paused"))
    assert refused.status_code == 422
    assert "Select a valid choice. paused is not one of the available choices." in refused.content.decode()
