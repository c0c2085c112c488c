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


@pytest.fixture(scope="package")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt install chromium)"
        if IN_CI:
            pytest.fail(f"{message}; CI must provide it.")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a
    # running loop unless told this is intended (the tests' ORM calls are synchronous and safe). Only for these
    # tests: the loop stops and the variable goes when the browser package is done, so every other test still
    # catches an async-unsafe call.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
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

    def open_page(user, viewport=LAPTOP, password=PASSWORD):
        page = browser.new_page(viewport=viewport)
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        pages.append(page)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
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


def drag(page, source, target) -> None:
    """Drags like a hand does: Chromium starts HTML5 drag and drop only after the mouse moves in steps."""
    target.scroll_into_view_if_needed()
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 5, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + 60, steps=12)
    page.mouse.up()


AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")


def serious_accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    page.add_script_tag(path=AXE)
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
