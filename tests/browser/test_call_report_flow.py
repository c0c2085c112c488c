"""The thirty-second call report, in Debian's Chromium: a rep opens a lead and logs what the call brought —
an outcome, two objections and a competitor — counting every click, fill and key press a person makes. The
common report must take at most six."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from playwright.sync_api import expect

from crm.models import CallReport, Company
from crm.services.taxonomy import tag_suggest
from leads.models import Lead
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
MAX_INTERACTIONS = 6
COMPETITORS = [
    "HubSpot",
    "Pipeliner",
    "Zoho",
    "Freshworks",
    "Microsoft Dynamics",
    "Oracle",
    "SAP",
    "Copper",
    "Insightly",
    "Keap",
    "Nutshell",
    "Monday",
    "Close",
    "Attio",
]


class Hands:
    """A person's hands on the page: every click, fill and key press goes through here and is counted."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def click(self, locator):
        self.count += 1
        locator.click()

    def fill(self, locator, text):
        self.count += 1
        locator.fill(text)

    def press(self, locator, key):
        self.count += 1
        locator.press(key)


@pytest.fixture
def lead(people, make_lead):
    # Transactional tests flush the data migrations' rows: put the default taxonomies back.
    importlib.import_module("crm.migrations.0010_default_taxonomies").seed(apps, None)
    acme = Company.objects.create(name="Acme", domain="acme.example", segment="mid_market")
    made = make_lead(owner=people["rep"], first_name="Dana", last_name="Haddad")
    Lead.objects.filter(pk=made.pk).update(company=acme)
    # A real competitor list is long: too long for chips, so the rep searches it.
    for name in COMPETITORS:
        tag_suggest(user=people["sales_manager"], kind="competitor", label=name)
    tag_suggest(user=people["sales_manager"], kind="competitor", label="Salesforce", synonyms=["SFDC"])
    return made


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_rep_logs_two_objections_and_a_competitor_in_six_interactions(lead, people, page_as, live_server, viewport):
    page = page_as(people["rep"], viewport)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")  # opening the lead is where the count starts
    form = page.locator("form[data-call-report]")
    hands = Hands(page)

    hands.click(form.get_by_role("button", name="Connected — next step agreed"))
    hands.click(form.locator("label.chip", has_text="Price / value"))
    hands.click(form.locator("label.chip", has_text="Timing"))
    search = form.get_by_role("combobox", name="Find or suggest: competitors mentioned")
    hands.fill(search, "sfdc")
    expect(form.get_by_role("option", name="Salesforce")).to_be_visible()  # found by its synonym
    hands.press(search, "Enter")
    expect(form.locator(".chip.chosen", has_text="Salesforce")).to_be_visible()
    hands.click(form.get_by_role("button", name="Log call report"))

    expect(page.locator(".toast")).to_contain_text("Call report logged.")
    assert hands.count <= MAX_INTERACTIONS, f"{hands.count} interactions"
    report = CallReport.objects.get(lead=lead)
    assert (report.author, report.channel, report.outcome) == (people["rep"], "call", "Connected — next step agreed")
    assert sorted(report.tags.values_list("kind", "slug")) == [
        ("competitor", "salesforce"),
        ("objection", "price_value"),
        ("objection", "timing"),
    ]
    expect(page.locator("#call-reports .terms")).to_contain_text("Salesforce")
    assert page_width(page) <= viewport["width"]
    assert page.console_errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    form.locator("details.cr-more > summary").click()
    page.locator("#call-reports").screenshot(path=SCREENSHOTS / f"call-report-form-{viewport['width']}.png")


def test_a_rep_suggests_a_competitor_inline_and_a_near_duplicate_is_named(lead, people, page_as, live_server):
    page = page_as(people["rep"], LAPTOP)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    form = page.locator("form[data-call-report]")
    search = form.get_by_role("combobox", name="Find or suggest: competitors mentioned")
    search.fill("Pipedrive")
    form.get_by_role("option", name="Suggest “Pipedrive” as a new term").click()
    expect(form.locator(".chip.chosen", has_text="Pipedrive")).to_contain_text("(suggested)")
    search.fill("Hubspot Inc")
    form.get_by_role("option", name="Suggest “Hubspot Inc” as a new term").click()
    expect(form.locator(".tag-message").nth(2)).to_contain_text("Too close to the competitor “HubSpot”")
    form.locator("label.chip", has_text="No budget").click()
    form.locator("input[name=outcome]").fill("Intro call")
    form.get_by_role("button", name="Log call report").click()
    expect(page.locator(".toast")).to_contain_text("Call report logged.")
    report = CallReport.objects.get(lead=lead)
    assert sorted(report.tags.values_list("slug", "status")) == [("budget", "accepted"), ("pipedrive", "suggested")]
    assert serious_accessibility_violations(page) == []


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_manager_accepts_a_suggestion_on_the_taxonomy_page(lead, people, page_as, live_server, viewport):
    suggestion = tag_suggest(user=people["rep"], kind="objection", label="Procurement freeze")
    page = page_as(people["sales_manager"], viewport)
    page.goto(f"{live_server.url}/taxonomy/")
    row = page.locator(f"#term-{suggestion.pk}")
    expect(row).to_contain_text("Procurement freeze")
    assert page_width(page) <= viewport["width"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"taxonomy-{viewport['width']}.png", full_page=True)
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(".toast")).to_contain_text("“Procurement freeze” is accepted.")
    expect(page.locator("#kind-objection")).to_contain_text("Procurement freeze")
    assert serious_accessibility_violations(page) == []
