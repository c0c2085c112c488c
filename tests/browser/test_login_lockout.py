"""After five wrong passwords the log-in page says what happened and for how long, on a laptop and a phone."""

import os

import pytest

from tests.accounts.factories import UserFactory
from tests.browser.conftest import LAPTOP, PASSWORD, PHONE, page_width, serious_accessibility_violations


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_locked_out_log_in_shows_the_lockout_on_the_log_in_page(browser, live_server, viewport, request):
    UserFactory(username="dana")
    page = browser.new_page(viewport=viewport)
    try:
        page.goto(f"{live_server.url}/login/")
        for _ in range(5):
            page.fill("input[name=username]", "dana")
            page.fill("input[name=password]", "not-the-password")
            page.click("button[type=submit]")
        page.fill("input[name=username]", "dana")
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation() as navigation:
            page.click("button[type=submit]")
        assert navigation.value.status == 429
        alert = page.get_by_role("alert")
        assert "Too many failed log-ins" in alert.inner_text() and "15 minutes" in alert.inner_text()
        assert page.url.endswith("/login/") and page.locator("input[name=password]").is_visible()
        assert page_width(page) <= viewport["width"]
        assert serious_accessibility_violations(page) == []
        folder = os.environ.get("SCREENSHOTS")
        if folder:
            os.makedirs(folder, exist_ok=True)
            page.screenshot(path=os.path.join(folder, f"{request.node.name}.png"), full_page=True)
    finally:
        page.close()
