"""The key-account review form and page, the joint meeting's page and the home page's action items in
Chromium at laptop and phone width: a review is held through the form (attendee chips, an action item row),
the agenda links to its records; no sideways scroll, no console error, no serious or critical axe-core
violation. Screenshots go to .artifacts/screenshots/."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import AccountReview, Company
from crm.services.reviews import ActionDraft, review_hold
from funnel.meetings.services import meeting_action_item_add, meeting_create
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


@pytest.fixture
def world(people):
    today = timezone.localdate()
    globex = Company.objects.create(name="Globex", is_key_account=True, key_account_tier=1, owner=people["rep"])
    initech = Company.objects.create(name="Initech", is_key_account=True, key_account_tier=2, owner=people["rep"])
    review_hold(
        company=initech,
        held_on=today - timedelta(days=120),
        attendees=[people["sales_manager"], people["marketer"]],
        by=people["sales_manager"],
        notes="Budget cut; champion left.",
        action_items=[ActionDraft("Find a new champion", people["sales_manager"], today - timedelta(days=2))],
    )
    previous = meeting_create(
        held_on=today - timedelta(days=14), opportunity_threshold=Decimal(50000), by=people["sales_manager"]
    )
    meeting_action_item_add(
        meeting=previous, title="Refresh the pricing deck", owner=people["marketer"], by=people["sales_manager"]
    )
    meeting = meeting_create(held_on=today, opportunity_threshold=Decimal(50000), by=people["sales_manager"])
    return {"globex": globex, "meeting": meeting}


def _check(page, viewport, name):
    assert page_width(page) <= viewport["width"], f"{name} scrolls sideways"
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("viewport", "size"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_a_review_is_held_through_the_form(world, people, page_as, live_server, viewport, size):
    page = page_as(people["rep"], viewport)
    page.goto(f"{live_server.url}/companies/{world['globex'].pk}/reviews/new/")
    expect(page.get_by_role("heading", name="Key-account review")).to_be_visible()
    _check(page, viewport, f"review-form-{size}")
    page.locator("label.chip", has_text="marketer — Marketer").click()
    page.fill("#id_notes", "Expansion into APAC; security review pending.")
    page.fill("#id_items-0-title", "Send the security whitepaper")
    page.select_option("#id_items-0-owner", label="marketer — Marketer")
    page.get_by_role("button", name="Record the review").click()
    expect(page.get_by_role("heading", name="Review of Globex")).to_be_visible()
    expect(page.locator("#action-items")).to_contain_text("Send the security whitepaper")
    assert AccountReview.objects.filter(company=world["globex"]).count() == 1
    _check(page, viewport, f"review-detail-{size}")


@pytest.mark.parametrize(("viewport", "size"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_the_meeting_page_and_the_home_panel(world, people, page_as, live_server, viewport, size):
    page = page_as(people["sales_manager"], viewport)
    expect(page.locator("#action-items")).to_contain_text("Find a new champion")
    _check(page, viewport, f"home-action-items-{size}")
    page.goto(f"{live_server.url}/meetings/")
    _check(page, viewport, f"meeting-list-{size}")
    page.goto(f"{live_server.url}/meetings/{world['meeting'].pk}/")
    agenda = page.locator("#agenda")
    expect(agenda).to_contain_text("Refresh the pricing deck")
    expect(agenda).to_contain_text("Globex (Tier 1 — strategic) — never reviewed")
    expect(agenda).to_contain_text("Initech (Tier 2 — major) — last reviewed")
    _check(page, viewport, f"meeting-detail-{size}")
    page.get_by_role("button", name="Regenerate agenda").click()
    expect(page.locator(".toast")).to_contain_text("Agenda regenerated from the data: 3 item(s).")
