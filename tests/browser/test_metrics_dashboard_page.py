"""The joint-metrics dashboard in Chromium at laptop and phone width on the demo company's year (what
`python3 run.py` shows): the charts draw with real numbers, the filters keep the URL, a number opens its leads;
no sideways scroll, no console error, no serious or critical axe-core violation. Screenshots go to
.artifacts/screenshots/. The exact numbers are checked on the hand-worked scenario in
tests/funnel/test_metrics_dashboard.py.

The period's own charts are read on the last complete quarter: the demo year covers all of it on any date,
while the current quarter is empty on its first day (the year ends at the start of today). The current
quarter, as the page opens, still shows the signed target and the twelve quarters' trends."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from funnel.metrics.invalidation import metrics_invalidate
from funnel.metrics.periods import period_of
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
TRENDS = ("trend-entered", "trend-revenue")
CHARTS = ("funnel", *TRENDS, "time-in-stage", "return-by-model")


def drawn_values(page, chart: str) -> list[float]:
    """Every number a chart was given (its ECharts option, as the page holds it)."""
    option = json.loads(page.locator(f"#chart-{chart} .chart").get_attribute("data-option"))
    found = []
    for series in option["series"]:
        for point in series["data"]:
            value = point["value"] if isinstance(point, dict) else point
            if isinstance(value, int | float):
                found.append(value)
    return found


def test_the_demo_years_dashboard_at_laptop_and_phone_width(funnel_defaults, page_as, live_server):
    call_command("demo_data", verbosity=0)
    sam = User.objects.get(username="sam")
    current = period_of(kind="quarter", day=timezone.localdate())
    last = period_of(kind="quarter", day=current.start - timedelta(days=1))
    for viewport, size in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(sam, viewport, password=DEMO_PASSWORD)
        page.goto(f"{live_server.url}/metrics/?period=quarter")
        expect(page.locator("#target-kpi")).to_contain_text("%")  # this quarter's target, signed by both sides
        for chart in TRENDS:
            assert sum(drawn_values(page, chart)) > 0, f"{chart} draws nothing but zeros this quarter"
        page.goto(f"{live_server.url}/metrics/?period=quarter&start={last.start}")
        expect(page.locator("#data-as-of")).to_contain_text("Data as of")
        for chart in CHARTS:
            expect(page.locator(f"#chart-{chart} .chart svg, #chart-{chart} .chart canvas").first).to_be_attached()
            assert sum(drawn_values(page, chart)) > 0, f"{chart} draws nothing but zeros for {last.start}"
        assert page_width(page) <= viewport["width"], f"dashboard-{size} scrolls sideways"
        assert serious_accessibility_violations(page) == []
        assert page.console_errors == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"metrics-dashboard-{size}.png"), full_page=True)
    # A spend line dated back into that quarter after it was computed: the page says so until it is recomputed.
    assert metrics_invalidate(days=[last.start], cause="campaign spend") >= 1
    page.goto(f"{live_server.url}/metrics/?period=quarter&start={last.start}")
    expect(page.locator("#data-changed")).to_be_visible()
    expect(page.locator("#data-as-of").locator("..")).to_contain_text("recomputes it within 10 minutes")
    assert page_width(page) <= PHONE["width"]
    page.screenshot(path=str(SCREENSHOTS / "metrics-dashboard-changed-phone.png"))
    page.get_by_label("Segment").select_option("enterprise")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"period=quarter.*start={last.start}.*segment=enterprise"))
    expect(page.locator("#data-as-of")).to_contain_text("Data as of")
    page.locator("#conversions a").first.click()
    expect(page.get_by_role("heading", name="Leads behind")).to_be_visible()
    expect(page.locator("#metric-leads tbody tr").first).to_be_visible()
    assert page_width(page) <= PHONE["width"]
