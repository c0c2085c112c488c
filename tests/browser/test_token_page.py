"""The API tokens page in Chromium at laptop and phone width: an administrator issues a token to the integration
user with scopes ticked per resource, copies the secret shown once, finds the token listed with its scopes and
revokes it; no sideways scroll, no console error, no serious or critical axe-core violation. Screenshots go
to .artifacts/screenshots/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from accounts.services import api_token_authenticate, api_token_create
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def test_an_administrator_issues_sees_the_secret_once_and_revokes_a_token(people, page_as, live_server):
    used, _ = api_token_create(user=people["integration"], name="Warehouse export", scopes=["metrics:read"])
    ApiToken.objects.filter(pk=used.pk).update(last_used_ip="203.0.113.7", last_used_at=used.created_at)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(people["admin"], viewport)
        if name == "laptop":
            expect(page.locator("nav").get_by_role("link", name="API tokens")).to_be_attached()
        page.goto(f"{live_server.url}/system/tokens/")
        expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
        page.get_by_label("Name").fill(f"Website sync ({name})")
        page.get_by_label("Leads: Read").check()
        page.get_by_label("Leads: Write").check()
        page.get_by_label("Touches: Write").check()
        page.get_by_role("button", name="Issue the token").click()
        expect(page.get_by_role("heading", name="Token issued to integration")).to_be_visible()
        secret = page.locator("#issued-secret").input_value()
        token = api_token_authenticate(raw=secret)
        assert token.scopes == ["leads:read", "leads:write", "touches:write"]
        expect(page.locator("table")).to_contain_text("203.0.113.7")
        assert page_width(page) <= viewport["width"], "the page scrolls sideways"
        assert serious_accessibility_violations(page) == []
        page.screenshot(path=str(SCREENSHOTS / f"api-tokens-issued-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/system/tokens/")
        expect(page.locator("#issued-secret")).to_have_count(0)
        assert secret not in page.content()
        page.goto(f"{live_server.url}/system/")  # the way in from System status
        expect(page.get_by_role("link", name="API tokens").last).to_be_visible()
        assert page_width(page) <= viewport["width"], "System status scrolls sideways"
        page.screenshot(path=str(SCREENSHOTS / f"api-tokens-system-status-{name}.png"), full_page=True)
        page.goto(f"{live_server.url}/system/tokens/")
        assert page.console_errors == []
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("row", name="Website sync (phone)").get_by_role("button", name="Revoke").click()
    expect(page.locator(".toast, .message").first).to_contain_text("Revoked Website sync (phone)")
    assert ApiToken.objects.get(name="Website sync (phone)").revoked_at is not None
    page.screenshot(path=str(SCREENSHOTS / "api-tokens-phone.png"), full_page=True)
