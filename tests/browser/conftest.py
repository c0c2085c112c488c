"""Browser tests: Debian's Chromium driven by Playwright, launched by path (Playwright's own browser download
cannot work here). Outside CI a missing Chromium skips them with the reason; in CI it fails them."""

import os
import shutil

import pytest

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Headless in a closed network: without these Chromium keeps trying to reach Google's servers.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pw-for-tests-1"  # tests.accounts.factories.UserFactory
LAPTOP, PHONE = {"width": 1366, "height": 800}, {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt install chromium)"
        if IN_CI:
            pytest.fail(f"{message}; CI must provide it.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a
    # running loop unless told this is intended (the tests' ORM calls are synchronous and safe).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _defaults(funnel_defaults):
    """A live server needs committed data, so browser tests are transactional: restore the defaults."""


@pytest.fixture
def page_as(browser, live_server, request):
    """page_as(user, viewport) → a Playwright page logged in as `user` through the login form. With
    SCREENSHOTS=<folder> set, each page's final state is saved there to be looked at."""
    pages = []

    def open_page(user, viewport=LAPTOP):
        page = browser.new_page(viewport=viewport)
        pages.append(page)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_page
    folder = os.environ.get("SCREENSHOTS")
    for number, page in enumerate(pages):
        if folder:
            os.makedirs(folder, exist_ok=True)
            page.screenshot(path=os.path.join(folder, f"{request.node.name}-{number}.png"), full_page=True)
        page.close()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")
