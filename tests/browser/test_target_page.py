"""The shared target's page in Chromium at laptop and phone width: the gauge and the weekly chart draw, the
sign button signs, every count links to its leads; no sideways scroll, no console error, no serious or critical
axe-core violation. Screenshots go to .artifacts/screenshots/."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funnel.metrics.periods import period_of
from funnel.targets.periods import next_period_start
from funnel.targets.services import Split, target_propose, target_sign_off
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations
from tests.funnel.target_scenario import build_target_history

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def test_the_target_page_at_laptop_and_phone_width(people, page_as, live_server):
    quarter = period_of(kind="quarter", day=timezone.localdate())
    target = target_propose(
        period_kind="quarter",
        period_start=quarter.start,
        amount=Decimal(500_000),
        currency="USD",
        splits=[Split(Decimal(400_000), segment="enterprise"), Split(Decimal(100_000), segment="smb")],
        proposed_by=people["leader"],
    )
    target_sign_off(target_id=target.pk, user=people["sales_manager"])
    for viewport, size in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(people["marketing_manager"], viewport)
        page.goto(f"{live_server.url}/targets/{target.pk}/")
        expect(page.get_by_role("heading", name="Reverse funnel: what the rest of the target needs")).to_be_visible()
        expect(page.locator("#chart-attainment .chart svg")).to_be_attached()
        expect(page.get_by_text("No plan by week yet")).to_be_visible()  # a company without history
        assert page_width(page) <= viewport["width"], f"target-{size} scrolls sideways"
        assert serious_accessibility_violations(page) == []
        assert page.console_errors == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"target-detail-{size}.png"), full_page=True)
    page.get_by_role("button", name="Sign for marketing").click()
    expect(page.locator(".toast")).to_contain_text("It is the number now.")
    page.get_by_role("link", name="Shared target").first.click()
    expect(page.get_by_role("heading", name="Shared target")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    assert serious_accessibility_violations(page) == []


def test_the_propose_form_defaults_a_valid_start_and_shows_split_problems_by_their_row(
    people, teams, page_as, live_server
):
    today = timezone.localdate()
    starts = {kind: next_period_start(kind=kind, today=today).isoformat() for kind in ("month", "quarter", "year")}
    for viewport, size in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(people["leader"], viewport)
        page.goto(f"{live_server.url}/targets/")
        start = page.locator("#id_period_start")
        expect(start).to_have_value(starts["quarter"])
        page.select_option("#id_period_kind", "month")
        expect(start).to_have_value(starts["month"])  # a default follows the kind…
        start.fill("2031-07-01")
        page.select_option("#id_period_kind", "year")
        expect(start).to_have_value("2031-07-01")  # …a date typed in is left alone
        page.select_option("#id_period_kind", "quarter")
        start.fill(starts["quarter"])
        page.fill("#id_amount", "400000")
        page.select_option("#id_split-0-team", label=teams["sales"].name)
        page.fill("#id_split-0-amount", "300000")
        page.fill("#id_split-1-amount", "100000")
        page.get_by_role("button", name="Propose for sign-off").click()
        row = page.get_by_role("group", name="Row 2")
        expect(row.locator(".split-errors")).to_have_text("Row 2: name a team, a segment or both.")
        boxes = [page.locator(f"#id_split-0-{f}").bounding_box() for f in ("team", "segment", "amount")]
        if size == "laptop":  # one line per split, each field wide enough to read
            middles = [b["y"] + b["height"] / 2 for b in boxes]
            assert max(middles) - min(middles) < 3 and min(b["width"] for b in boxes) > 250, boxes
        else:  # stacked, one field under the other
            assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"], boxes
        assert page_width(page) <= viewport["width"], f"target-form-{size} scrolls sideways"
        assert serious_accessibility_violations(page) == []
        # The refused form's 400, which Chromium logs; nothing else may be there.
        assert page.console_errors == [
            "Failed to load resource: the server responded with a status of 400 (Bad Request)"
        ]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"target-propose-{size}.png"), full_page=True)


def test_the_target_page_with_history_by_week_and_signed_sides(people, signed, rule, page_as, live_server):
    build_target_history(people, signed, rule, t0=timezone.now() - timedelta(days=60))
    quarter = period_of(kind="quarter", day=timezone.localdate())
    target = target_propose(
        period_kind="quarter",
        period_start=quarter.start,
        amount=Decimal(400_000),
        currency="USD",
        proposed_by=people["leader"],
    )
    target_sign_off(target_id=target.pk, user=people["marketing_manager"])
    for viewport, size in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(people["marketing_manager"], viewport)
        page.goto(f"{live_server.url}/targets/{target.pk}/")
        expect(page.get_by_text(re.compile(r"You signed for marketing on \d+ \w+ \d{4}"))).to_be_visible()
        expect(page.get_by_role("button", name="Sign for marketing")).to_have_count(0)
        weeks = page.get_by_role("region", name="Reverse funnel by week")
        expect(weeks).to_contain_text(re.compile(r"\d+ short of \d+ due"))
        # The plan's first week always folds in last week's SQLs (they come a week before the purchase).
        expect(weeks.locator(".badge").first).to_have_text(
            re.compile(r"Overdue: \d+ SQLs?(, \d+ (MQLs?|new leads?))*$")
        )
        expect(page.locator("#chart-reverse-funnel .chart svg")).to_be_attached()
        assert page_width(page) <= viewport["width"], f"target-history-{size} scrolls sideways"
        assert serious_accessibility_violations(page) == []
        assert page.console_errors == []
        page.screenshot(path=str(SCREENSHOTS / f"target-history-{size}.png"), full_page=True)
        page.locator(".page-head").screenshot(path=str(SCREENSHOTS / f"target-head-{size}.png"))
        weeks.screenshot(path=str(SCREENSHOTS / f"target-weeks-{size}.png"))
    # A stage's Open leads number lists that many leads.
    link = page.get_by_role("region", name="Forecast by stage").get_by_role("link").first
    count = link.inner_text()
    link.click()
    expect(page.locator("h1 .badge")).to_have_text(count)
