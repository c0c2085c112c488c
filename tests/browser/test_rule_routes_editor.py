"""The rule editor builds a `rules` routing in Chromium: routes of conditions (the company's key-account flag
and size band among the fields), each naming a team, and a fallback team — saved as the JSON the service
validates, read back in words on the rule list, and reloaded into the same rows. Laptop and phone width, no
sideways scroll, no console error, no serious axe-core violation. Screenshots go to .artifacts/screenshots/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from funnel.models import HandoffRule
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def test_a_manager_builds_routes_with_a_fallback_in_the_rule_editor(people, teams, page_as, live_server):
    page = page_as(people["sales_manager"], LAPTOP)
    page.goto(f"{live_server.url}/rules/new/")
    page.get_by_label("Name").fill("Route into sales")
    page.locator("fieldset.stages", has_text="To stages").get_by_label("Intent").check()
    page.get_by_label("Routing: who gets the lead").select_option("rules")
    expect(page.locator("ol.route-list > li")).to_have_count(1)  # choosing the kind offers a first route

    page.get_by_label("Route 1, condition 1: field").select_option("key_account")
    page.get_by_label("Route 1, condition 1: operator").select_option("is_true")
    expect(page.get_by_label("Route 1, condition 1: value")).to_be_hidden()
    page.get_by_role("button", name="Route 1: add a condition").click()
    page.get_by_label("Route 1, condition 2: field").select_option("size_band")
    page.get_by_label("Route 1, condition 2: operator").select_option("in")
    page.get_by_label("Route 1, condition 2: value").fill("1001-5000, 5001+")
    page.get_by_label("Route 1: round-robin in").select_option(str(teams["sales"].pk))

    page.get_by_role("button", name="Add a route").click()
    page.get_by_label("Route 2, condition 1: operator").select_option("in")
    page.get_by_label("Route 2, condition 1: value").fill("enterprise, mid_market")
    page.get_by_label("Route 2: round-robin in").select_option(str(teams["sdr"].pk))
    page.get_by_label("Routing: otherwise round-robin in").select_option(str(teams["sales"].pk))
    assert page_width(page) <= LAPTOP["width"], "the page scrolls sideways"
    page.screenshot(path=str(SCREENSHOTS / "rule-routes-editor-1366.png"), full_page=True)

    page.get_by_role("button", name="Save the rule").click()
    page.wait_for_url(f"{live_server.url}/rules/")
    rule = HandoffRule.objects.get(name="Route into sales")
    assert rule.routing == {
        "kind": "rules",
        "routes": [
            {
                "when": {
                    "conditions": [
                        {"field": "key_account", "op": "is_true"},
                        {"field": "size_band", "op": "in", "value": ["1001-5000", "5001+"]},
                    ]
                },
                "team": teams["sales"].pk,
            },
            {
                "when": {"conditions": [{"field": "segment", "op": "in", "value": ["enterprise", "mid_market"]}]},
                "team": teams["sdr"].pk,
            },
        ],
        "fallback_team": teams["sales"].pk,
    }
    expect(page.locator("main")).to_contain_text(
        "if key_account is confirmed and size_band in 1001-5000, 5001+: team Sales; "
        "if segment in enterprise, mid_market: team Sales development; otherwise round-robin in team Sales"
    )

    page.goto(f"{live_server.url}/rules/{rule.pk}/")
    expect(page.get_by_label("Routing: who gets the lead")).to_have_value("rules")
    expect(page.get_by_label("Route 1, condition 2: value")).to_have_value("1001-5000, 5001+")
    expect(page.get_by_label("Route 2: round-robin in")).to_have_value(str(teams["sdr"].pk))
    expect(page.get_by_label("Routing: otherwise round-robin in")).to_have_value(str(teams["sales"].pk))
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []


def test_a_route_left_without_values_is_refused_by_its_place_and_the_rows_stay(people, teams, page_as, live_server):
    page = page_as(people["sales_manager"], PHONE)
    page.goto(f"{live_server.url}/rules/new/")
    page.get_by_label("Name").fill("Half-made routes")
    page.get_by_label("Routing: who gets the lead").select_option("rules")
    page.get_by_label("Route 1: round-robin in").select_option(str(teams["sdr"].pk))
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator("main")).to_contain_text(
        "routing.routes[0].when: criteria.conditions[0].value: operator in needs a list of 1 to 100 strings"
    )
    expect(page.get_by_label("Route 1: round-robin in")).to_have_value(str(teams["sdr"].pk))
    assert page_width(page) <= PHONE["width"], "the page scrolls sideways"
    page.screenshot(path=str(SCREENSHOTS / "rule-routes-editor-390.png"), full_page=True)
    assert not HandoffRule.objects.exists()
    assert [e for e in page.console_errors if "422" not in e] == []
