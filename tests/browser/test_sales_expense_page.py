"""The sales expenses page in Chromium at laptop and phone width: a sales manager records an expense through the
form, sees it listed, filters by dates and removes it; the item is in their navigation; no sideways scroll, no
console error, no serious or critical axe-core violation. Screenshots go to .artifacts/screenshots/."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from funnel.metrics.models import SalesExpense
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def test_a_sales_manager_records_filters_and_removes_an_expense(people, teams, page_as, live_server):
    manager = people["sales_manager"]
    SalesExpense.objects.create(
        team=teams["sales"], spent_on=date(2026, 1, 12), amount=640, currency="EUR", category="Tools",
        note="CRM seats", recorded_by=manager,
    )  # fmt: skip
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(manager, viewport)
        if name == "laptop":
            expect(page.locator("nav").get_by_role("link", name="Sales expenses")).to_be_attached()
        page.goto(f"{live_server.url}/sales-expenses/")
        expect(page.get_by_role("heading", name="Sales expenses", level=1)).to_be_visible()
        page.get_by_label("Paid on").fill("2026-03-05")
        page.get_by_label("Amount").fill("1250.00")
        page.get_by_label("Category").fill("Travel")
        page.get_by_label("Note").fill(f"Client visits ({name})")
        page.get_by_role("button", name="Record the expense").click()
        expect(page.locator(".toast, .message").first).to_contain_text("Recorded 1250.00 USD for Sales")
        expect(page.locator("table")).to_contain_text(f"Client visits ({name})")
        assert page_width(page) <= viewport["width"], "the page scrolls sideways"
        assert serious_accessibility_violations(page) == []
        page.screenshot(path=str(SCREENSHOTS / f"sales-expenses-{name}.png"), full_page=True)
        assert page.console_errors == []
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-01-31")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove").click()
    expect(page.locator(".toast, .message").first).to_contain_text("Removed the expense")
    assert SalesExpense.objects.filter(category="Tools").exists() is False
    assert SalesExpense.objects.count() == 2
