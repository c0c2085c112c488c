"""A rule's life in Chromium at laptop and phone width, over the hand-worked history of
tests/funnel/test_rule_states_pages.py with "Phone and score" still a draft: a sales manager puts it in shadow,
a lead without a phone then moves into intent, the rule list shows the live rate (1 of 1 refused, on the phone
check); on the rule's page the manager simulates it over a day (5 moves in scope, 4 refused) and enforces it with
a note — the decision records the simulation shown. No sideways scroll, no console error, no serious axe-core
violation. Screenshots go to .artifacts/screenshots/ (and SCREENSHOTS=<folder>)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from funnel.models import RuleStateChange, Simulation
from leads.models import Lead
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations
from tests.funnel.conftest import move
from tests.funnel.test_rule_states_pages import worked_history

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS") or Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots")
VIEWPORTS = [(LAPTOP, "laptop"), (PHONE, "phone")]


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def looks_right(page, viewport) -> None:
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_a_manager_shadows_a_rule_reads_its_rate_simulates_and_enforces_it(
    people, make_lead, signed, rule, teams, page_as, live_server, viewport, name
):
    strict = worked_history(people, make_lead, signed, rule, teams, shadow=False)
    page = page_as(people["sales_manager"], viewport)
    page.goto(f"{live_server.url}/rules/{strict.pk}/")
    states = page.locator("#rule-states")
    expect(states.locator(".badge").first).to_have_text("draft")
    states.get_by_label("Note").fill("try it on real moves first")
    states.get_by_role("button", name="Put in shadow").click()
    expect(page.locator(".toast").first).to_contain_text("“Phone and score” is now shadow.")
    expect(page.locator("#rule-states")).to_contain_text("draft → shadow")

    lead = make_lead(phone="")
    Lead.objects.filter(pk=lead.pk).update(score=65)
    for stage in ("interest", "consideration", "intent"):
        move(lead, stage, people["marketer"])
    page.goto(f"{live_server.url}/rules/")
    card = page.locator("section.card", has_text="Phone and score")
    expect(card.locator(".shadow-rate")).to_contain_text("would have refused 1 of 1 move (100 %) since ")
    expect(card.locator(".shadow-rate")).to_contain_text("Failing most: has phone (1).")
    looks_right(page, viewport)
    shoot(page, f"rule-states-list-{name}")

    page.goto(f"{live_server.url}/rules/{strict.pk}/")
    panel = page.locator("#rule-simulation")
    expect(panel).to_contain_text("Not simulated yet")
    panel.get_by_label("Window in days").fill("1")
    panel.get_by_role("button", name="Simulate the rule as saved").click()
    simulation = Simulation.objects.get()
    panel = page.locator("#rule-simulation")
    expect(panel).to_contain_text("Last 1 day: of 5 moves in its scope it would have refused 4")
    expect(panel.locator(".sim-checks")).to_contain_text("has phone — 3 refused")
    expect(panel).to_contain_text("2 would have breached its 2-hour accept SLA")
    expect(panel).to_contain_text(f"Simulation #{simulation.pk} of the rule as saved")
    expect(page.locator("#rule-state-simulation")).to_have_value(str(simulation.pk))
    looks_right(page, viewport)
    shoot(page, f"rule-states-simulated-{name}")

    page.locator("#rule-states").get_by_label("Note").fill("4 of 5 refused: that is the bar we agreed")
    page.locator("#rule-states").get_by_role("button", name="Enforce").click()
    expect(page.locator(".toast").first).to_contain_text(f"is now enforced having read simulation #{simulation.pk}.")
    history = page.locator("#rule-states table")
    expect(history).to_contain_text("shadow → enforced")
    expect(history).to_contain_text(f"#{simulation.pk} (1 day)")
    change = RuleStateChange.objects.filter(rule=strict).first()
    assert (change.to_state, change.simulation_id, change.note) == (
        "enforced",
        simulation.pk,
        "4 of 5 refused: that is the bar we agreed",
    )
    assert page.console_errors == []
    looks_right(page, viewport)
    shoot(page, f"rule-states-enforced-{name}")
