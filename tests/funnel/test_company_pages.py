"""The company and contact pages as people use them: find a company, read its contacts, leads, call reports and
reviews, fix a field or a contact, and fold a duplicate into it."""

from datetime import date

import pytest
from django.test import Client

from crm.models import AccountReview, ActionItem, CallReport, Company, Contact, RecordMerge
from funnel.navigation import navigation_for
from leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(people):
    def make(who):
        client = Client()
        client.force_login(people[who])
        return client

    return make


@pytest.fixture
def acme(people, make_lead):
    company = Company.objects.create(
        name="Acme Robotics",
        domain="acme.com",
        segment="enterprise",
        territory="EMEA",
        is_key_account=True,
        key_account_tier=1,
        owner=people["rep"],
    )
    ann = Contact.objects.create(company=company, first_name="Ann", last_name="Lee", buying_role="decision_maker")
    Contact.objects.create(company=company, first_name="Bob", last_name="Ray", buying_role="blocker")
    mine = make_lead(owner=people["rep"], last_name="Mine")
    theirs = make_lead(owner=people["marketer"], last_name="Theirs")
    Lead.objects.filter(pk__in=[mine.pk, theirs.pk]).update(company=company)
    report = CallReport.objects.create(
        company=company, lead=mine, author=people["rep"], occurred_on=date(2026, 11, 2), channel="visit", outcome="Demo"
    )
    report.contacts.set([ann])
    review = AccountReview.objects.create(company=company, held_on=date(2026, 10, 5), created_by=people["rep"])
    review.attendees.set([people["rep"], people["marketer"]])
    for title, status in (("Deck", "open"), ("Pricing", "open"), ("Intro", "done")):
        ActionItem.objects.create(
            title=title,
            owner=people["rep"],
            review=review,
            status=status,
            created_by=people["rep"],
            closed_at=None if status == "open" else "2026-10-06T00:00Z",
        )
    return {"company": company, "ann": ann, "mine": mine, "theirs": theirs, "review": review}


def test_companies_is_in_the_navigation_of_everyone_who_works_with_customers(people):
    for who in ("rep", "sdr", "marketer", "sales_manager", "marketing_manager", "leader", "admin"):
        assert "Companies" in [item.label for item in navigation_for(people[who])], who
    assert "Companies" not in [item.label for item in navigation_for(people["integration"])]


def test_the_list_searches_filters_and_badges_key_accounts(browser, acme):
    Company.objects.create(name="Beta Foods", domain="beta.io", segment="smb")
    client = browser("rep")
    page = client.get("/companies/").content.decode()
    assert "Acme Robotics" in page and "Beta Foods" in page
    assert "Key account · tier 1" in page
    assert "Beta Foods" not in client.get("/companies/?q=ACME.com").content.decode()
    keyed = client.get("/companies/?key=yes&tier=1&territory=EMEA").content.decode()
    assert "Acme Robotics" in keyed and "Beta Foods" not in keyed
    assert "No company matches" in client.get("/companies/?segment=mid_market").content.decode()


@pytest.mark.parametrize("query", ["tier=9", "owner=abc", "owner=99999999999999999999999", "q=" + "x" * 100_000])
def test_a_nonsense_filter_is_shown_not_a_crash(browser, acme, query):
    response = browser("rep").get(f"/companies/?{query}")
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_the_company_page_shows_contacts_leads_reports_and_reviews(browser, acme):
    response = browser("rep").get(f"/companies/{acme['company'].pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ann Lee" in page and "Decision maker" in page and "Blocker" in page
    assert f'href="/leads/{acme["mine"].pk}/"' in page
    assert f'href="/leads/{acme["theirs"].pk}/"' not in page  # a rep sees the leads they may see
    assert "Demo" in page and "Met Ann Lee" in page
    assert f'href="/reviews/{acme["review"].pk}/"' in page and "2 open actions" in page
    assert f'href="/companies/{acme["company"].pk}/reviews/new/"' in page
    assert 'id="merge"' not in page  # merging is a manager's
    assert "Managers mark key accounts" in page


def test_a_rep_edits_a_company_but_its_key_account_fields_are_not_theirs(browser, acme):
    company = acme["company"]
    response = browser("rep").post(
        f"/companies/{company.pk}/edit/",
        {"name": "Acme Robotics", "industry": "Robots", "domain": "https://www.ACME.com/x", "is_key_account": ""},
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.industry, company.domain, company.is_key_account, company.key_account_tier) == (
        "Robots",
        "acme.com",
        True,
        1,
    )


def test_a_manager_marking_a_key_account_without_a_tier_is_told(browser, people):
    company = Company.objects.create(name="Beta")
    response = browser("sales_manager").post(f"/companies/{company.pk}/edit/", {"name": "Beta", "is_key_account": "on"})
    assert response.status_code == 400
    assert "A key account needs a tier" in response.content.decode()
    assert not Company.objects.get(pk=company.pk).is_key_account


def test_a_company_is_added_and_its_duplicate_is_refused_by_name(browser, acme):
    client = browser("marketer")
    made = client.post("/companies/new/", {"name": "Gamma", "domain": "Gamma.io"})
    assert made.status_code == 302
    gamma = Company.objects.get(name="Gamma")
    assert made["Location"] == f"/companies/{gamma.pk}/" and gamma.domain == "gamma.io"
    again = client.post("/companies/new/", {"name": "Acme again", "domain": "http://www.acme.com/about"})
    assert again.status_code == 400
    assert f"acme.com is already company {acme['company'].pk} (Acme Robotics)" in again.content.decode()
    assert Company.objects.count() == 2


def test_a_contact_is_added_on_the_company_page_and_a_duplicate_email_is_refused(browser, acme):
    client = browser("sdr")
    url = f"/companies/{acme['company'].pk}/contacts/"
    added = client.post(url, {"first_name": "Cy", "email": "Cy@Acme.com", "buying_role": "champion"})
    assert added.status_code == 302
    cy = Contact.objects.get(first_name="Cy")
    assert (cy.company_id, cy.email, cy.buying_role) == (acme["company"].pk, "cy@acme.com", "champion")
    again = client.post(url, {"first_name": "Cyrus", "email": "cy@ACME.com"})
    assert again.status_code == 400
    assert f"is already contact {cy.pk} (Cy)" in again.content.decode()


def test_a_contact_is_fixed_on_its_own_page(browser, acme):
    ann = acme["ann"]
    client = browser("rep")
    page = client.get(f"/contacts/{ann.pk}/").content.decode()
    assert "Acme Robotics" in page and "Decision maker" in page
    fixed = client.post(
        f"/contacts/{ann.pk}/edit/",
        {"first_name": "Anne", "last_name": "Lee", "email": " Anne.Lee@Acme.COM", "buying_role": "champion"},
    )
    assert fixed.status_code == 302
    ann.refresh_from_db()
    assert (ann.first_name, ann.email, ann.buying_role) == ("Anne", "anne.lee@acme.com", "champion")
    bad = client.post(f"/contacts/{ann.pk}/edit/", {"first_name": "Anne", "email": "nobody-at-all"})
    assert bad.status_code == 400 and "is not an e-mail address" in bad.content.decode()


def test_a_manager_merges_a_duplicate_from_the_company_page(browser, acme, make_lead):
    keep = acme["company"]
    dup = Company.objects.create(name="ACME ROBOTICS", domain="acme-robotics.io", industry="Robotics")
    Contact.objects.create(company=dup, first_name="Dee")
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(company=dup)
    client = browser("sales_manager")
    page = client.get(f"/companies/{keep.pk}/").content.decode()
    assert 'id="merge"' in page and f"Merge #{dup.pk} into this one" in page  # offered as a likely duplicate
    response = client.post(f"/companies/{keep.pk}/merge/", {"duplicate": dup.pk})
    assert response.status_code == 302
    assert not Company.objects.filter(pk=dup.pk).exists()
    assert (Contact.objects.filter(company=keep).count(), Lead.objects.filter(company=keep).count()) == (3, 3)
    assert RecordMerge.objects.get().moved == {"contacts": 1, "leads": 1, "fields_filled": ["industry"]}
    history = client.get(f"/companies/{keep.pk}/").content.decode()
    assert "Merge history" in history and "ACME ROBOTICS" in history and "leads: 1" in history


@pytest.mark.parametrize(
    ("who", "duplicate", "message"),
    [
        ("sales_manager", "self", "cannot be merged into itself"),
        ("sales_manager", "987654", "There is no company 987654"),
        ("sales_manager", "abc", "Enter a whole number"),
        ("sales_manager", "99999999999999999999999", "less than or equal to"),
        ("rep", "other", "Managers, revenue leaders and administrators merge companies"),
    ],
)
def test_a_bad_merge_on_the_page_says_why_and_changes_nothing(browser, acme, who, duplicate, message):
    keep = acme["company"]
    other = Company.objects.create(name="Other")
    duplicate = {"self": str(keep.pk), "other": str(other.pk)}.get(duplicate, duplicate)
    response = browser(who).post(f"/companies/{keep.pk}/merge/", {"duplicate": duplicate})
    assert response.status_code == (403 if who == "rep" else 400)
    assert message in response.content.decode()
    assert Company.objects.count() == 2 and not RecordMerge.objects.exists()


def test_a_contact_merge_on_its_page(browser, acme, make_lead):
    ann = acme["ann"]
    dup = Contact.objects.create(first_name="Ann", last_name="Lee", email="ann@acme.com")
    lead = make_lead()
    lead.contacts.set([dup])
    client = browser("leader")
    assert f"Merge #{dup.pk} into this one" in client.get(f"/contacts/{ann.pk}/").content.decode()
    assert client.post(f"/contacts/{ann.pk}/merge/", {"duplicate": dup.pk}).status_code == 302
    assert list(lead.contacts.values_list("pk", flat=True)) == [ann.pk]
    ann.refresh_from_db()
    assert ann.email == "ann@acme.com"


@pytest.mark.parametrize(
    "url",
    ["/companies/abc/", "/companies/99999999999999999999999/", "/companies/987654/", "/contacts/987654/"],
)
def test_an_unknown_page_is_404(browser, url):
    assert browser("rep").get(url).status_code == 404


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"name": "x" * 100_000}, "at most 200 characters"),
        ({"name": "Ac\x00me"}, "Null characters are not allowed"),
        ({"name": "Acme", "domain": "no domain here"}, "is not a web domain"),
        ({"name": "Acme", "employees": "10" * 40}, "less than or equal to"),
    ],
)
def test_bad_company_fields_on_the_page_are_named(browser, fields, text):
    response = browser("rep").post("/companies/new/", fields)
    assert response.status_code == 400
    assert text in response.content.decode()
    assert not Company.objects.exists()


def test_a_company_with_nothing_but_a_name_renders(browser):
    bare = Company.objects.create(name="Bare")
    response = browser("marketer").get(f"/companies/{bare.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "No contacts yet." in page and "Reviews are held for key accounts." in page
