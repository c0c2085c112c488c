"""The Import page in Chromium at laptop and phone width: a marketer starts from the lead list, uploads a
file whose columns the page cannot guess, maps them, reads the dry run (one row refused, naming its column),
imports the rows and sees the finished progress bar. No sideways scroll, no console error beyond the refused
upload's 400, no serious or critical axe-core violation; screenshots into $SCREENSHOTS (else
.artifacts/screenshots/)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

import funnel.tasks  # noqa: F401  (the tasks the outbox names exist in this process, as in a worker)
from crm.models import Campaign
from leads.imports.models import ImportJob
from leads.models import Lead
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOTS") or Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots")
FILE = (
    b"Surname,Mail,Firm\nFair,fair@booth.example,Booth Ltd\nBroken,not-an-address,Nowhere\n"
    b"Second,second@booth.example,\n"
)


def looks_right(page, viewport, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"import-{name}.png"), full_page=True)
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_a_marketer_maps_checks_and_imports_a_file(people, page_as, live_server, tmp_path, viewport, name):
    Campaign.objects.create(name="Trade fair 2026", channel="trade_show", owner=people["marketer"])
    page = page_as(people["marketer"], viewport)
    page.goto(f"{live_server.url}/leads/")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import leads", level=1)).to_be_visible()
    looks_right(page, viewport, f"empty-{name}")

    upload = tmp_path / "fair.csv"
    upload.write_bytes(FILE)
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check (dry run)").click()
    expect(page.locator("#import-progress")).to_contain_text("Map the file's columns")
    page.get_by_label("Surname").select_option("lead.last_name")
    page.get_by_label("Mail").select_option("lead.email")
    page.get_by_label("Firm").select_option("lead.company_name")
    page.get_by_label("Source campaign when a row gives none").select_option(label="Trade fair 2026")
    page.get_by_label("Save as source (optional)").fill("Trade fair")
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-progress")).to_contain_text("Checked all 3 rows")
    expect(page.locator("#import-result")).to_contain_text("not-an-address")
    assert Lead.objects.filter(email_normalized__endswith="@booth.example").count() == 0
    looks_right(page, viewport, f"dry-run-{name}")

    page.get_by_role("button", name="Import these rows").click()
    expect(page.locator("#import-progress")).to_contain_text("Imported all 3 rows")
    expect(page.locator("progress")).to_have_attribute("value", "100")
    assert Lead.objects.filter(email_normalized__endswith="@booth.example").count() == 2
    assert ImportJob.objects.get(dry_run=False).counts == {"created": 2, "refused": 1}
    looks_right(page, viewport, f"done-{name}")
