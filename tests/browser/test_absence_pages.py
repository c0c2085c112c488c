"""Out of office in Chromium at laptop and phone width: a rep sets their own from the user menu (a wrong
period refused in place), then ends it; a manager sets one for a report on the team page, sees the "away
until …, delegate …" badge, and ends it. No sideways scroll, no console error, no serious or critical axe-core
violation; screenshots into $SCREENSHOTS (else .artifacts/screenshots/)."""

import os
import re
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import OutOfOffice
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOTS") or Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots")
VIEWPORTS = [(LAPTOP, "laptop"), (PHONE, "phone")]


def local(moment) -> str:
    """A datetime-local input's value in the page's zone (the people's teams keep UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def looks_right(page, viewport) -> None:
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []


def open_menu_item(page, viewport, name: str) -> None:
    if viewport is PHONE:
        page.get_by_role("button", name="Menu").click()
    page.locator("#sidenav").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_a_person_sets_their_own_out_of_office_and_ends_it(people, page_as, live_server, viewport, name):
    page = page_as(people["rep"], viewport)
    open_menu_item(page, viewport, "Out of office")
    expect(page.get_by_role("heading", name="Out of office", level=1)).to_be_visible()
    expect(page.locator("#now")).to_contain_text("You are not out of office")
    now = timezone.now()

    form = page.locator("#set form")
    form.get_by_label("Away from").fill(local(now + timedelta(days=2)))
    form.get_by_label("Back at").fill(local(now + timedelta(days=1)))
    form.get_by_role("button", name="Set out of office").click()
    expect(form.locator(".message.error")).to_contain_text("The out-of-office must end after it starts.")
    assert OutOfOffice.objects.count() == 0
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    page.console_errors.clear()  # the refused form's 400 is the only error Chromium logs

    form.get_by_label("Away from").fill(local(now - timedelta(hours=1)))
    form.get_by_label("Back at").fill(local(now + timedelta(days=3)))
    form.get_by_label("Delegate").select_option(label="rep2")
    form.get_by_label("Note").fill("Conference in Lisbon")
    form.get_by_role("button", name="Set out of office").click()
    expect(page.locator(".toast").first).to_contain_text("You are out of office until")
    expect(page.locator(".toast").first).to_contain_text("rep2 stands in")
    row = page.locator("#now tbody tr")
    expect(row).to_contain_text("away now")
    expect(row).to_contain_text("Conference in Lisbon")
    absence = OutOfOffice.objects.get(user=people["rep"])
    assert (absence.delegate, absence.set_by, absence.rerouted_at is not None) == (people["rep2"], people["rep"], True)
    looks_right(page, viewport)
    shoot(page, f"away-own-{name}")

    row.get_by_role("button", name="I'm back: end it now").click()
    expect(page.locator(".toast").first).to_contain_text("Your out-of-office is ended.")
    expect(page.locator("#now")).to_contain_text("You are not out of office")
    assert OutOfOffice.objects.get(pk=absence.pk).ends_at <= timezone.now()
    looks_right(page, viewport)


@pytest.mark.parametrize(("viewport", "name"), VIEWPORTS)
def test_a_manager_sets_one_for_a_report_on_the_team_page(people, make_lead, page_as, live_server, viewport, name):
    make_lead(owner=people["rep"])
    page = page_as(people["sales_manager"], viewport)
    open_menu_item(page, viewport, "Team")
    panel = page.locator("#away")
    expect(panel).to_contain_text("Nobody in your reporting line is out of office")
    now = timezone.now()

    form = panel.locator("form")
    form.get_by_label("Who").select_option(label="rep")
    form.get_by_label("Away from").fill(local(now - timedelta(minutes=30)))
    form.get_by_label("Back at").fill(local(now + timedelta(days=5)))
    form.get_by_label("Delegate").select_option(label="rep2")
    form.get_by_label("Note").fill("Parental leave")
    form.get_by_role("button", name="Set out of office").click()
    expect(page.locator(".toast").first).to_contain_text("rep is out of office until")
    workload = page.locator("table.stack").first.locator("tbody tr")
    badge = workload.filter(has=page.get_by_text("rep", exact=True)).locator(".badge.away")
    expect(badge).to_contain_text("away until")
    expect(badge).to_contain_text("delegate rep2")
    expect(page.locator("#away tbody")).to_contain_text("Parental leave")
    absence = OutOfOffice.objects.get(user=people["rep"])
    assert (absence.set_by, absence.delegate) == (people["sales_manager"], people["rep2"])
    looks_right(page, viewport)
    shoot(page, f"away-team-{name}")

    page.locator("#away").get_by_role("button", name=re.compile(r"^End now\W+rep's out-of-office$")).click()
    expect(page.locator(".toast").first).to_contain_text("rep's out-of-office is ended.")
    expect(page.locator("#away")).to_contain_text("Nobody in your reporting line is out of office")
    looks_right(page, viewport)
