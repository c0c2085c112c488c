"""The insights page in Chromium at laptop and phone width: the hand-worked week of tests/funnel/test_insight.py,
a slice picked, a response recorded through the form; no sideways scroll, no console error, no serious or
critical axe-core violation. Screenshots go to .artifacts/screenshots/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from funnel.insight.services import digest_compute
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations
from tests.funnel.test_insight import WEEK2, build_world

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


@pytest.fixture
def week(people):
    build_world(people)
    return digest_compute(period_kind="week", period_start=WEEK2)


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_a_marketer_reads_a_week_slices_it_and_records_a_response(week, people, page_as, live_server, viewport, name):
    page = page_as(people["marketer"], viewport)
    page.goto(f"{live_server.url}/insights/?period_kind=week&period_start=2026-11-16")
    objections = page.locator("section", has=page.get_by_role("heading", name="Top objections"))
    expect(objections).to_contain_text("Price / value · 4 reports +2 (2 before)")
    expect(objections).to_contain_text("“Slow dashboards.”")
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"insights-week-{name}.png"), full_page=True)

    page.locator("select[name=slice]").select_option("segment:mid_market")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".kpis")).to_contain_text("Mid-market")
    expect(objections).to_contain_text("Timing · 1 report new")

    page.get_by_text("Record what marketing did about an insight").click()
    page.get_by_label("Insight (tag)").select_option(label="Timing")
    page.get_by_label("Campaign").select_option(label="Mid-market webinar")
    page.get_by_label("What we did about it").fill("A 'why now' email sequence")
    page.get_by_role("button", name="Link it").click()
    expect(page.locator(".toast, .message").first).to_contain_text("Response to “Timing” recorded")
    expect(objections).to_contain_text("Answered with Mid-market webinar: A 'why now' email sequence")
    assert page_width(page) <= viewport["width"]
    assert page.console_errors == []
    page.screenshot(path=str(SCREENSHOTS / f"insights-slice-{name}.png"), full_page=True)
