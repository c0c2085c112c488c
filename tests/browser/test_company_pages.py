"""The company pages in Chromium: a manager finds a company, fixes a contact and folds a duplicate into it; each
page is looked at at laptop and phone width (screenshot in .artifacts/screenshots/, no sideways scroll, no
console error, no serious axe-core violation)."""

from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from crm.models import AccountReview, CallReport, Company, Contact
from leads.models import Lead
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


@pytest.fixture
def world(people, make_lead):
    acme = Company.objects.create(
        name="Acme Robotics International",
        domain="acme-robotics.example",
        industry="Manufacturing",
        segment="enterprise",
        territory="NA-East",
        employees=9800,
        size_band="5001+",
        is_key_account=True,
        key_account_tier=1,
        owner=people["rep"],
    )
    dup = Company.objects.create(name="ACME Robotics International", domain="acmerobotics.example")
    ann = Contact.objects.create(
        company=acme, first_name="Ann", last_name="Lee", email="ann.lee@acme-robotics.example", buying_role="champion"
    )
    Contact.objects.create(company=dup, first_name="Bob", last_name="Ray", title="Procurement Lead")
    lead = make_lead(owner=people["rep"], last_name="Lee", first_name="Ann")
    Lead.objects.filter(pk=lead.pk).update(company=acme)
    report = CallReport.objects.create(
        company=acme,
        lead=lead,
        author=people["rep"],
        occurred_on=date(2026, 11, 2),
        channel="visit",
        outcome="Demo went well",
        next_step="Send the proposal",
    )
    report.contacts.set([ann])
    review = AccountReview.objects.create(company=acme, held_on=date(2026, 10, 5), created_by=people["rep"])
    review.attendees.set([people["rep"], people["marketer"]])
    return {"acme": acme, "dup": dup, "ann": ann}


def test_a_manager_fixes_a_contact_and_merges_a_duplicate(world, people, page_as, live_server):
    page = page_as(people["sales_manager"])
    page.get_by_role("link", name="Companies").click()
    page.get_by_role("searchbox", name="Search", exact=True).fill("acme")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Acme Robotics International", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Acme Robotics International")

    page.locator("#merge summary").click()
    page.get_by_role("button", name=f"Merge #{world['dup'].pk} into this one").click()
    expect(page.locator(".toast")).to_contain_text("ACME Robotics International is merged into")
    expect(page.locator("#contacts")).to_contain_text("Bob Ray")
    expect(page.locator("#merges")).to_contain_text("contacts: 1")

    page.get_by_role("link", name="Ann Lee").first.click()
    page.locator("#edit summary").click()
    page.get_by_label("Buying role").select_option("decision_maker")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".toast")).to_contain_text("Ann Lee is saved")
    assert Contact.objects.get(pk=world["ann"].pk).buying_role == "decision_maker"
    assert page.console_errors == []


def test_the_company_pages_at_laptop_and_phone_width(world, people, page_as, live_server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = [
        ("/companies/", "companies"),
        (f"/companies/{world['acme'].pk}/", "company"),
        (f"/contacts/{world['ann'].pk}/", "contact"),
    ]
    problems = []
    for viewport, tag in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = page_as(people["sales_manager"], viewport)
        for path, name in pages:
            response = page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            for summary in page.locator("details > summary").all():
                summary.click()  # the forms folded away are part of the page too
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{tag}.png"), full_page=True)
            if response.status != 200:
                problems.append(f"{name} {tag}: status {response.status}")
            if page_width(page) > viewport["width"]:
                problems.append(f"{name} {tag}: {page_width(page)} px wide, scrolls sideways")
            problems += [f"{name} {tag}: axe {line}" for line in serious_accessibility_violations(page)]
        problems += [f"{tag}: console {error}" for error in page.console_errors]
    assert problems == []
