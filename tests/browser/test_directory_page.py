"""The "who to call" page and the lead page's panel in Chromium at laptop and phone width: a search answers for
the slice, a manager adds a line through the form and confirms a stale one; no sideways scroll, no console error,
no serious or critical axe-core violation. Screenshots go to .artifacts/screenshots/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.choices import Role
from crm.models import Company, Responsibility
from crm.services.directory import responsibility_create
from tests.accounts.factories import UserFactory
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


@pytest.fixture
def directory(people, teams):
    closer = UserFactory(
        username="closer",
        first_name="Carla",
        last_name="Closer",
        role=Role.SALES_REP,
        team=teams["sales"],
        phone="+44 20 7946 0001",
    )
    acme = Company.objects.create(
        name="Acme",
        domain="acme.example",
        segment="enterprise",
        territory="EMEA",
        is_key_account=True,
        key_account_tier=1,
    )
    leader = people["leader"]
    responsibility_create(user=leader, rep=people["rep"], marketer=people["marketer"], manager=people["sales_manager"])
    responsibility_create(
        user=leader, segment="enterprise", territory="EMEA", rep=people["rep2"], liaison=people["sdr"]
    )
    key = responsibility_create(user=leader, company=acme, rep=closer, note="Strategic account: Carla owns it")
    Responsibility.objects.filter(pk=key.pk).update(confirmed_at=timezone.now() - timedelta(days=200))
    return {"acme": acme, "closer": closer}


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_a_manager_searches_adds_and_confirms(directory, people, page_as, live_server, viewport, name):
    page = page_as(people["sales_manager"], viewport)
    page.goto(f"{live_server.url}/directory/")
    expect(page.get_by_role("heading", name="Who to call")).to_be_visible()
    expect(page.locator("table")).to_contain_text("over 180 days")
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"directory-{name}.png"), full_page=True)

    page.get_by_label("Key account").first.select_option(label="Acme")
    page.get_by_role("button", name="Search").click()
    answer = page.locator("#who-to-call")
    expect(answer).to_contain_text("Carla Closer")
    expect(answer).to_contain_text("from the line for Acme")
    expect(answer).to_contain_text("not confirmed in 180 days")
    page.get_by_role("button", name="Still true").click()
    expect(page.locator(".toast, .message").first).to_contain_text("Confirmed the line for Acme")
    expect(page.locator("table")).not_to_contain_text("over 180 days")

    page.goto(f"{live_server.url}/directory/")
    page.get_by_text("Add a line").click()
    form = page.locator("#add form")
    form.get_by_label("Segment").select_option("smb")
    form.get_by_label("Rep").select_option(label=people["rep2"].get_full_name() or "rep2")
    form.get_by_role("button", name="Add the line").click()
    expect(page.locator(".toast, .message").first).to_contain_text("Saved the line for Small business")
    assert page_width(page) <= viewport["width"]
    assert page.console_errors == []
    page.screenshot(path=str(SCREENSHOTS / f"directory-added-{name}.png"), full_page=True)


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_the_lead_page_says_who_to_call(directory, people, make_lead, page_as, live_server, viewport, name):
    lead = make_lead(company_domain="acme.example", segment="enterprise", territory="EMEA")
    page = page_as(people["marketer"], viewport)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    panel = page.locator("#who-to-call")
    expect(panel).to_contain_text("Sales rep: Carla Closer")
    expect(panel).to_contain_text("+44 20 7946 0001")
    expect(panel).to_contain_text("Liaison: ")
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert page.console_errors == []
    panel.screenshot(path=str(SCREENSHOTS / f"lead-who-to-call-{name}.png"))


def test_a_manager_routes_a_rule_by_the_directory_with_the_row_editor(people, teams, page_as, live_server):
    from funnel.models import HandoffRule

    page = page_as(people["sales_manager"])
    page.goto(f"{live_server.url}/rules/new/")
    page.get_by_label("Name").fill("Directory to sales")
    page.locator("fieldset.stages", has_text="To stages").get_by_label("Intent").check()
    page.get_by_label("Routing: who gets the lead").select_option("directory")
    expect(page.get_by_label("Routing: team")).to_be_hidden()
    page.get_by_label("Routing: otherwise round-robin in").select_option(str(teams["sdr"].pk))
    page.get_by_role("button", name="Save the rule").click()
    page.wait_for_url(f"{live_server.url}/rules/")
    rule = HandoffRule.objects.get(name="Directory to sales")
    assert rule.routing == {"kind": "directory", "fallback_team": teams["sdr"].pk}
    expect(page.locator("main")).to_contain_text("the responsible person from the directory")
    page.goto(f"{live_server.url}/rules/{rule.pk}/")
    expect(page.get_by_label("Routing: who gets the lead")).to_have_value("directory")
    expect(page.get_by_label("Routing: otherwise round-robin in")).to_have_value(str(teams["sdr"].pk))
    assert page.console_errors == []
