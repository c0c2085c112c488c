"""Edges seen as a person sees them: the product's own error pages, and a long unbroken word that wraps
instead of stretching the page."""

from datetime import date

import pytest
from playwright.sync_api import expect

from crm.models import CallReport
from leads.models import Lead
from tests.browser.conftest import LAPTOP, PHONE, page_width

pytestmark = pytest.mark.django_db(transaction=True)

LONG_WORD = "Supercalifragilistic" * 100  # 2,000 characters, no space to break at


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_missing_page_is_the_products_404_page_with_a_way_home(people, page_as, live_server, viewport):
    page = page_as(people["rep"], viewport)
    response = page.goto(f"{live_server.url}/leads/999999/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Nothing here"
    assert page.get_by_role("link", name="Go to your home page").is_visible()
    assert "Traceback" not in page.content()
    assert page_width(page) <= viewport["width"]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_long_unbroken_word_wraps_on_the_lead_page(people, page_as, live_server, make_lead, viewport):
    lead = make_lead(owner=people["rep"], last_name="Wrap", company_name=LONG_WORD[:200], title=LONG_WORD[:100])
    CallReport.objects.create(
        lead=lead,
        author=people["rep"],
        occurred_on=date.today(),
        channel="call",
        outcome=LONG_WORD[:200],
        notes=LONG_WORD,
    )
    page = page_as(people["rep"], viewport)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    assert page.locator("h1").inner_text().startswith("Wrap")
    assert page_width(page) <= viewport["width"]


def test_a_long_unbroken_word_wraps_in_the_lead_list(people, page_as, live_server, make_lead):
    make_lead(owner=people["rep"], last_name=LONG_WORD[:100], company_name=LONG_WORD[:200])
    page = page_as(people["rep"], LAPTOP)
    page.goto(f"{live_server.url}/leads/")
    assert page_width(page) <= LAPTOP["width"]


def test_choosing_leads_brings_up_the_bulk_bar_and_moves_each_through_its_rules(
    people, page_as, live_server, make_lead
):
    for n in range(3):
        make_lead(owner=people["marketer"], last_name=f"Pick{n}")
    page = page_as(people["marketer"], PHONE)
    page.goto(f"{live_server.url}/leads/")
    bar = page.locator(".bulk-bar")
    assert not bar.is_visible()
    page.get_by_label("Select Pick0").check()
    page.get_by_label("Select Pick2").check()
    assert bar.is_visible() and bar.locator("[data-selected]").inner_text() == "2"
    bar.get_by_label("Move the selected leads to").select_option("interest")
    bar.get_by_role("button", name="Move each through its rules").click()
    expect(page.locator(".toasts")).to_contain_text("Moved 2 leads to Interest.")  # waits for the redirect
    assert dict(Lead.objects.filter(last_name__startswith="Pick").values_list("last_name", "stage")) == {
        "Pick0": "interest",
        "Pick1": "awareness",
        "Pick2": "interest",
    }
    assert page_width(page) <= PHONE["width"]


def test_a_manager_writes_a_rule_with_rows_instead_of_json(people, teams, page_as, live_server):
    from funnel.models import HandoffRule

    page = page_as(people["sales_manager"])
    page.goto(f"{live_server.url}/rules/new/")
    page.get_by_label("Name").fill("Score before interest")
    page.locator("fieldset.stages", has_text="To stages").get_by_label("Interest").check()
    page.get_by_role("button", name="Add a precondition").click()
    page.get_by_label("Precondition 1: kind").select_option("min_score")
    page.get_by_label("Precondition 1: score").fill("30")
    page.get_by_label("Routing: who gets the lead").select_option("round_robin")
    page.get_by_label("Routing: team").select_option(str(teams["marketing"].pk))
    page.get_by_role("button", name="Add an escalation").click()
    page.get_by_label("Escalation 1 when: value").fill("50000")
    page.get_by_label("Escalation 1: action").select_option("approve")
    page.get_by_label("Accept within (h)").fill("8")
    page.get_by_role("button", name="Save the rule").click()
    page.wait_for_url(f"{live_server.url}/rules/")
    assert "Saved the rule" in page.locator(".toasts").inner_text()
    rule = HandoffRule.objects.get(name="Score before interest")
    assert (rule.to_stages, rule.preconditions, rule.routing, rule.accept_within_hours) == (
        ["interest"],
        [{"kind": "min_score", "score": 30}],
        {"kind": "round_robin", "team": teams["marketing"].pk},
        8,
    )
    assert rule.escalations == [
        {
            "when": {"field": "expected_value", "op": "gte", "value": 50000},
            "role": "revenue_leader",
            "action": "approve",
        }
    ]
    page.goto(f"{live_server.url}/rules/{rule.pk}/")
    page.get_by_label("Precondition 1: score").fill("35")
    page.get_by_role("button", name="Save the rule").click()
    page.wait_for_url(f"{live_server.url}/rules/")
    rule.refresh_from_db()
    assert rule.preconditions == [{"kind": "min_score", "score": 35}]
    assert page.console_errors == []
