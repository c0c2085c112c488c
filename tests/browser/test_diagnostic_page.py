"""The diagnostic page in Chromium: a manager reads the level, evidence, next steps and charts at laptop width;
an SDR answers the twenty statements on a phone. No sideways scroll, no console error, no serious axe-core
violation. Screenshots go to .artifacts/screenshots/."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funnel.diagnostic import services
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def test_a_manager_reads_the_level_and_an_sdr_answers_on_a_phone(people, page_as, live_server):
    now = timezone.now()
    earlier = now - timedelta(days=40)
    services.response_submit(user=people["marketer"], answers={str(n): 4 for n in range(1, 21)}, now=earlier)
    services.response_submit(user=people["rep"], answers={str(n): 2 for n in range(1, 21)}, now=earlier)
    services.assessment_monthly_run(now=earlier + timedelta(hours=1))
    services.response_submit(user=people["rep"], answers={str(n): 3 for n in range(1, 21)}, now=now)
    services.assessment_create(user=people["leader"], now=now)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = page_as(people["sales_manager"], LAPTOP)
    page.goto(f"{live_server.url}/diagnostic/")
    expect(page.locator("#level")).to_contain_text("Undefined")  # the data shows none of the practices yet
    expect(page.locator("#level")).to_contain_text("Marketing (1)")
    expect(page.locator("#level")).to_contain_text("20.00")  # gap: 80 − 60
    expect(page.get_by_role("heading", name="Next steps towards defined")).to_be_visible()
    expect(page.locator("#chart-diagnostic-trend .chart svg")).to_be_attached()
    expect(page.locator("#chart-diagnostic-groups .chart svg")).to_be_attached()
    assert page_width(page) <= LAPTOP["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []
    page.screenshot(path=str(SCREENSHOTS / "diagnostic-laptop.png"), full_page=True)

    phone = page_as(people["sdr"], PHONE)
    phone.goto(f"{live_server.url}/diagnostic/#questionnaire")
    phone.locator("select[name=function]").select_option("sales")
    for number in range(1, 21):
        phone.locator(f"input[name=s{number}][value='{4 if number % 2 else 3}']").click()  # a tap on the number
    assert page_width(phone) <= PHONE["width"], "the questionnaire scrolls sideways on a phone"
    phone.screenshot(path=str(SCREENSHOTS / "diagnostic-phone-top.png"))
    phone.locator("#questionnaire").screenshot(path=str(SCREENSHOTS / "diagnostic-phone-questionnaire.png"))
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.locator(".toast, .message").first).to_contain_text("your answers total 70 of 100")
    assert phone.console_errors == []
    phone.screenshot(path=str(SCREENSHOTS / "diagnostic-phone.png"), full_page=True)
