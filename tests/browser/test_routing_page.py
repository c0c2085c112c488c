"""The routing page and the lead page's routing explanation in Chromium at laptop and phone width: a manager
changes a weight, pauses someone, is told beside the field when a weight makes no sense, and sees the share
chart; the lead page says where the lead went in one sentence with the candidates behind "Why". No sideways
scroll, no console error, no serious or critical axe-core violation. Screenshots go to .artifacts/screenshots/
(and SCREENSHOTS=<folder>)."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from funnel.routing.people import routing_settings_update
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS") or Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots")
VIEWPORTS = [(LAPTOP, "laptop"), (PHONE, "phone")]


@pytest.fixture
def routed(people, teams, rule, make_lead):
    """Four leads routed in Sales with weights 2 (rep) and 1 (rep2); rep2 at their cap of 1 after it."""
    people["rep"].first_name, people["rep"].last_name = "Robin", "Senior"
    people["rep"].save(update_fields=["first_name", "last_name"])
    routing_settings_update(actor=people["sales_manager"], user=people["rep"], routing_weight=2)
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": teams["sales"].pk})
    for _ in range(4):
        lead = make_lead()
        for stage in ("interest", "consideration", "intent"):
            move(lead, stage, people["marketer"])
    routing_settings_update(actor=people["sales_manager"], user=people["rep2"], routing_cap=1)
    return lead


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def row(page, user):
    return page.locator(f"#person-{user.pk}")


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_a_manager_sets_a_weight_pauses_someone_and_sees_the_share(
    routed, people, page_as, live_server, viewport, name
):
    page = page_as(people["sales_manager"], viewport)
    if viewport == PHONE:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Routing").click()
    expect(page.get_by_role("heading", name="Routing in Sales")).to_be_visible()
    expect(page.locator("main")).to_contain_text("4 leads routed to someone in Sales")
    expect(page.locator("#chart-routing-share .chart svg")).to_be_attached()
    expect(row(page, people["rep2"])).to_contain_text("at cap: 1 of 1 pending")
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    shoot(page, f"routing-{name}")

    # A weight of zero is refused beside the field, with what was typed kept.
    rep = row(page, people["rep"])
    rep.get_by_label("Weight of Robin Senior").fill("0")
    rep.get_by_role("button", name="Save").click()
    rep = row(page, people["rep"])
    expect(rep.locator(".errorlist")).to_have_text(
        "The weight must be above 0; pause the person to give them no leads."
    )
    expect(rep.get_by_label("Weight of Robin Senior")).to_have_value("0")
    assert page_width(page) <= viewport["width"]
    shoot(page, f"routing-refused-{name}")
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.console_errors.clear()  # the refused form's 400, which Chromium logs; nothing else may be there

    rep.get_by_label("Weight of Robin Senior").fill("1.5")
    rep.get_by_role("button", name="Save").click()
    expect(page.locator(".toast").first).to_contain_text("Saved Robin Senior's routing.")
    rep2 = row(page, people["rep2"])
    rep2.get_by_role("checkbox").check()
    rep2.get_by_role("button", name="Save").click()
    expect(page.locator(".toast").first).to_contain_text("Saved rep2's routing.")
    expect(row(page, people["rep2"])).to_contain_text("paused")
    assert User.objects.get(pk=people["rep"].pk).routing_weight == Decimal("1.5")
    assert User.objects.get(pk=people["rep2"].pk).routing_paused is True
    # The weight share follows: 1.5 of 2.5 is 60 %.
    expect(page.locator("main")).to_contain_text("60.0 %")
    assert page.console_errors == []
    shoot(page, f"routing-saved-{name}")


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_the_lead_page_says_where_the_lead_went_and_why(routed, people, page_as, live_server, viewport, name):
    page = page_as(people["sales_manager"], viewport)
    page.goto(f"{live_server.url}/leads/{routed.pk}/")
    why = page.locator(".routing-why").first
    expect(why).to_contain_text("Went to ")
    expect(why).to_contain_text("by weighted round-robin in Sales")
    expect(why.locator("table")).to_be_hidden()
    why.get_by_text("Why", exact=True).click()
    table = why.locator("table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("rep2")
    expect(table).to_contain_text("chosen")
    expect(why).to_contain_text("Pool: Sales")
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []
    shoot(page, f"lead-routing-why-{name}")
    history = page.locator("section.card", has=page.get_by_role("heading", name="History"))
    history.screenshot(path=str(SCREENSHOTS / f"lead-routing-history-{name}.png"))
