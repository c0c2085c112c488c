"""The audit trail page in Chromium at laptop and phone width: an administrator reaches it from the navigation,
reads who changed a lead's title and revoked a token, narrows it to one lead from that lead's page; no sideways
scroll, no console error, no serious or critical axe-core violation. Screenshots go to .artifacts/screenshots/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect
from rest_framework.test import APIClient

from accounts.services import api_token_create, api_token_revoke
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def test_an_administrator_reads_who_changed_what(people, page_as, live_server, make_lead, rule):
    lead = make_lead(title="CFO", owner=people["marketer"], first_name="Ada", last_name="Lovelace")
    client = APIClient()
    client.force_login(people["marketer"])
    assert client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "Chief Executive"}, format="json").status_code == 200
    rule("Value first", to_stages=["intent"], accept_within_hours=8)
    token, _ = api_token_create(user=people["integration"], name="Website sync", scopes=["leads:read"])
    api_token_revoke(token=token)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(people["admin"], viewport)
        if name == "laptop":
            page.locator("nav").get_by_role("link", name="Audit trail").click()
        else:
            page.goto(f"{live_server.url}/system/audit/")
        expect(page.get_by_role("heading", name="Audit trail", level=1)).to_be_visible()
        expect(page.locator("table")).to_contain_text("Chief Executive")
        expect(page.locator("table")).to_contain_text("Website sync")
        assert page_width(page) <= viewport["width"], "the page scrolls sideways"
        assert serious_accessibility_violations(page) == []
        page.screenshot(path=str(SCREENSHOTS / f"audit-trail-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/leads/{lead.pk}/")
        page.get_by_role("link", name="History of changes").click()
        expect(page.locator("table tbody tr")).to_have_count(2)  # created, then the title changed
        expect(page.locator("table")).to_contain_text("CFO")
        page.screenshot(path=str(SCREENSHOTS / f"audit-trail-lead-{name}.png"), full_page=True)
        assert page.console_errors == []
