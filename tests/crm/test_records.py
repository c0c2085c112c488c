"""Companies and contacts: one record per normalised domain and e-mail, refused duplicates that name the record
they clash with, who may write what, and merges that keep every link and record what they did."""

import json
import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from crm.models import (
    AccountReview,
    ActionItem,
    CallReport,
    Company,
    Contact,
    RecordMerge,
    Responsibility,
)
from crm.services.records import (
    company_create,
    company_merge,
    contact_create,
    contact_merge,
    domain_normalize,
)
from leads.models import Lead
from tests.funnel.test_concurrency import run_together
from tests.locks import until_another_session_waits_on_a_lock

pytestmark = pytest.mark.django_db

COMPANIES, CONTACTS = "/api/v1/companies/", "/api/v1/contacts/"


# Normalising and deduplicating ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "https://www.Acme.com/about",
        "acme.com",
        "ACME.COM.",
        "http://acme.com:8080/x?y=1",
        " www.acme.com ",
        "acme.com#top",
    ],
)
def test_every_spelling_of_a_domain_normalises_to_the_same_one(raw):
    assert domain_normalize(raw) == "acme.com"


def test_an_international_domain_is_stored_in_its_ascii_form():
    assert domain_normalize("https://www.Bücher.de/") == "xn--bcher-kva.de"


@pytest.mark.parametrize(
    "raw",
    [
        "acme",
        "not a domain",
        "-acme.com",
        "acme..com",
        "acme.c",
        "http://",
        "a" * 64 + ".com",
        "acme\x00.com",
        "1.2.3.4",
    ],
)
def test_something_that_is_not_a_domain_is_refused_by_name(raw):
    with pytest.raises(ValidationError) as refused:
        domain_normalize(raw)
    assert "is not a web domain" in refused.value.message_dict["domain"][0]


def test_domains_written_differently_are_one_company_and_the_second_is_refused_naming_the_first(people, api):
    client = api(people["rep"])
    first = client.post(COMPANIES, {"name": "Acme", "domain": "https://www.Acme.com/about"})
    assert first.status_code == 201, first.json()
    assert first.json()["domain"] == "acme.com"
    second = client.post(COMPANIES, {"name": "Acme Inc.", "domain": "acme.com"})
    assert second.status_code == 400
    assert second.json()["errors"]["domain"] == [
        f"acme.com is already company {first.json()['id']} (Acme): edit that one or merge them."
    ]
    assert Company.objects.count() == 1


def test_renaming_a_domain_to_one_another_company_has_is_refused(people, api):
    client = api(people["marketer"])
    acme = client.post(COMPANIES, {"name": "Acme", "domain": "acme.com"}).json()
    other = client.post(COMPANIES, {"name": "Other", "domain": "other.com"}).json()
    refused = client.patch(f"{COMPANIES}{other['id']}/", {"domain": "WWW.ACME.COM"})
    assert refused.status_code == 400
    assert f"company {acme['id']} (Acme)" in refused.json()["errors"]["domain"][0]
    assert client.patch(f"{COMPANIES}{acme['id']}/", {"domain": "https://acme.com/"}).status_code == 200
    assert Company.objects.get(pk=other["id"]).domain == "other.com"


def test_emails_differing_in_case_are_one_contact(people, api):
    client = api(people["sdr"])
    jane = client.post(CONTACTS, {"first_name": "Jane", "last_name": "Doe", "email": " Jane.Doe@Acme.COM "})
    assert jane.status_code == 201, jane.json()
    assert jane.json()["email"] == "jane.doe@acme.com"
    again = client.post(CONTACTS, {"first_name": "J.", "email": "jane.doe@acme.com"})
    assert again.status_code == 400
    assert again.json()["errors"]["email"] == [
        f"jane.doe@acme.com is already contact {jane.json()['id']} (Jane Doe): edit that one or merge them."
    ]
    assert Contact.objects.count() == 1


def test_a_contact_shows_its_buying_role_and_company(people, api):
    client = api(people["rep"])
    acme = client.post(COMPANIES, {"name": "Acme", "domain": "acme.com"}).json()
    made = client.post(CONTACTS, {"first_name": "Ann", "company": acme["id"], "buying_role": "champion"}).json()
    assert (made["buying_role"], made["company"], made["company_name"]) == ("champion", acme["id"], "Acme")
    fixed = client.patch(f"{CONTACTS}{made['id']}/", {"buying_role": "decision_maker", "title": "CFO"})
    assert (fixed.json()["buying_role"], fixed.json()["title"]) == ("decision_maker", "CFO")


# Key accounts and who may write --------------------------------------------------------------------------------


def test_the_key_account_flag_and_tier_go_together(people, api):
    client = api(people["sales_manager"])
    acme = client.post(COMPANIES, {"name": "Acme"}).json()
    url = f"{COMPANIES}{acme['id']}/"
    no_tier = client.patch(url, {"is_key_account": True})
    assert no_tier.status_code == 400
    assert no_tier.json()["errors"]["key_account_tier"][0].startswith("A key account needs a tier: 1 (Tier 1")
    no_flag = client.patch(url, {"key_account_tier": 2})
    assert no_flag.json()["errors"]["key_account_tier"][0].startswith("Only a key account has a tier")
    both = client.patch(url, {"is_key_account": True, "key_account_tier": 1})
    assert (both.status_code, both.json()["key_account_tier"]) == (200, 1)
    dropped = client.patch(url, {"is_key_account": False})
    assert (dropped.json()["is_key_account"], dropped.json()["key_account_tier"]) == (False, None)


@pytest.mark.parametrize("who", ["rep", "sdr", "marketer"])
def test_staff_edit_companies_but_only_managers_mark_key_accounts_and_owners(people, api, who):
    client = api(people[who])
    acme = client.post(COMPANIES, {"name": "Acme", "industry": "Robots"}).json()
    url = f"{COMPANIES}{acme['id']}/"
    assert client.patch(url, {"industry": "Robotics"}).json()["industry"] == "Robotics"
    for change in ({"is_key_account": True, "key_account_tier": 1}, {"owner": people[who].pk}):
        refused = client.patch(url, change)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    unchanged = Company.objects.get(pk=acme["id"])
    assert (unchanged.is_key_account, unchanged.owner_id) == (False, None)
    assert client.patch(url, {"is_key_account": False}).status_code == 200  # no change is no steward's call


def test_an_owner_is_an_active_person(people, api):
    client = api(people["leader"])
    refused = client.post(COMPANIES, {"name": "Acme", "owner": people["integration"].pk})
    assert "cannot own a company" in refused.json()["errors"]["owner"][0]
    made = client.post(COMPANIES, {"name": "Acme", "owner": people["rep"].pk})
    assert made.json()["owner"]["username"] == "rep"


def test_an_integration_token_writes_with_the_write_scope_only(people, token_client_for):
    writer = token_client_for(people["integration"], scopes=["companies:write"])
    made = writer.post(COMPANIES, {"name": "Acme", "domain": "acme.com"}, format="json")
    assert made.status_code == 201
    assert writer.get(COMPANIES).status_code == 403  # may write, may not read: refused, not a 500
    reader = token_client_for(people["integration"], scopes=["companies:read"])
    assert reader.post(COMPANIES, {"name": "Other"}, format="json").status_code == 403
    assert reader.get(COMPANIES).json()["results"][0]["domain"] == "acme.com"
    assert Company.objects.count() == 1


# Merging ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def two_acmes(people, make_lead):
    keep = Company.objects.create(name="Acme", domain="acme.com")
    dup = Company.objects.create(
        name="ACME Inc", domain="acme.io", industry="Robotics", territory="EMEA", segment="enterprise"
    )
    leads = [make_lead(owner=people["rep"]) for _ in range(3)]
    Lead.objects.filter(pk__in=[leads[0].pk, leads[1].pk]).update(company=dup)
    Lead.objects.filter(pk=leads[2].pk).update(company=keep)
    ann = Contact.objects.create(company=dup, first_name="Ann", email="ann@acme.io")
    bob = Contact.objects.create(company=dup, first_name="Bob")
    Contact.objects.create(company=keep, first_name="Cy")
    report = CallReport.objects.create(
        company=dup, author=people["rep"], occurred_on=date(2026, 11, 2), channel="call", outcome="Interested"
    )
    report.contacts.set([ann, bob])
    review = AccountReview.objects.create(company=dup, held_on=date(2026, 10, 1), created_by=people["sales_manager"])
    review.attendees.set([people["rep"], people["marketer"]])
    ActionItem.objects.create(title="Send the deck", owner=people["rep"], review=review, created_by=people["rep"])
    Responsibility.objects.create(
        company=dup, rep=people["rep"], confirmed_at="2026-11-01T00:00Z", confirmed_by=people["sales_manager"]
    )
    return {"keep": keep, "dup": dup, "leads": leads, "report": report, "review": review, "ann": ann, "bob": bob}


def test_a_company_merge_moves_every_link_and_records_the_counts(people, api, two_acmes):
    keep, dup = two_acmes["keep"], two_acmes["dup"]
    response = api(people["sales_manager"]).post(f"{COMPANIES}{keep.pk}/merge/", {"duplicate": dup.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["moved"] == {
        "contacts": 2,
        "call_reports": 1,
        "responsibilities": 1,
        "reviews": 1,
        "leads": 2,
        "fields_filled": ["industry", "segment", "territory"],
    }
    assert not Company.objects.filter(pk=dup.pk).exists()
    assert Lead.objects.filter(company=keep).count() == 3
    assert Contact.objects.filter(company=keep).count() == 3
    report = CallReport.objects.get(pk=two_acmes["report"].pk)
    assert report.company_id == keep.pk
    assert set(report.contacts.values_list("first_name", flat=True)) == {"Ann", "Bob"}  # its contacts came along
    review = AccountReview.objects.get(pk=two_acmes["review"].pk)
    assert (review.company_id, review.action_items.count(), review.attendees.count()) == (keep.pk, 1, 2)
    assert Responsibility.objects.get().company_id == keep.pk
    keep.refresh_from_db()
    assert (keep.domain, keep.industry, keep.segment) == ("acme.com", "Robotics", "enterprise")
    merge = RecordMerge.objects.get()
    assert (merge.kind, merge.kept_id, merge.removed_id, merge.merged_by) == (
        "company",
        keep.pk,
        dup.pk,
        people["sales_manager"],
    )
    assert (merge.removed["name"], merge.removed["domain"]) == ("ACME Inc", "acme.io")
    history = api(people["rep"]).get(f"{COMPANIES}{keep.pk}/merges/").json()["results"]
    assert [(m["removed_id"], m["merged_by"]["username"]) for m in history] == [(dup.pk, "salesmgr")]


def test_a_merge_fills_the_kept_domain_from_the_duplicate_when_it_had_none(people):
    keep = Company.objects.create(name="Acme")
    dup = Company.objects.create(name="Acme Ltd", domain="acme.com", is_key_account=True, key_account_tier=2)
    merge = company_merge(keep=keep.pk, duplicate=dup.pk, by=people["leader"])
    keep.refresh_from_db()
    assert (keep.domain, keep.is_key_account, keep.key_account_tier) == ("acme.com", True, 2)
    assert merge.moved == {"fields_filled": ["domain", "is_key_account", "key_account_tier"]}


def test_a_directory_line_that_clashes_with_the_kept_one_stays_behind_and_is_counted(people, two_acmes):
    keep, dup = two_acmes["keep"], two_acmes["dup"]
    Responsibility.objects.create(
        company=keep, rep=people["rep2"], confirmed_at="2026-11-01T00:00Z", confirmed_by=people["sales_manager"]
    )
    merge = company_merge(keep=keep.pk, duplicate=dup.pk, by=people["admin"])
    assert merge.moved["not_moved"] == {"responsibilities": 1}
    assert "responsibilities" not in {k for k in merge.moved if k != "not_moved"}
    assert list(Responsibility.objects.values_list("company_id", "rep__username")) == [(keep.pk, "rep2")]


def test_a_contact_merge_moves_lead_and_call_report_links_without_doubling_one(people, make_lead):
    keep = Contact.objects.create(first_name="Ann", last_name="Lee", title="CFO")
    dup = Contact.objects.create(first_name="Ann", last_name="Lee", email="Ann.Lee@acme.com", phone="+1 555")
    both, only_dup, only_keep = make_lead(), make_lead(), make_lead()
    both.contacts.set([keep, dup])
    only_dup.contacts.set([dup])
    only_keep.contacts.set([keep])
    shared = CallReport.objects.create(lead=both, author=people["rep"], occurred_on=date(2026, 11, 3), channel="call")
    shared.contacts.set([keep, dup])
    own = CallReport.objects.create(lead=only_dup, author=people["rep"], occurred_on=date(2026, 11, 4), channel="visit")
    own.contacts.set([dup])

    merge = contact_merge(keep=keep.pk, duplicate=dup.pk, by=people["marketing_manager"])

    assert merge.moved == {
        "call_reports": 1,
        "call_reports_already_linked": 1,
        "leads": 1,
        "leads_already_linked": 1,
        "fields_filled": ["email", "phone"],
    }
    for lead in (both, only_dup, only_keep):
        assert list(lead.contacts.values_list("pk", flat=True)) == [keep.pk]
    for report in (shared, own):
        assert list(report.contacts.values_list("pk", flat=True)) == [keep.pk]
    keep.refresh_from_db()
    assert (keep.email, keep.phone, keep.title) == ("Ann.Lee@acme.com", "+1 555", "CFO")
    assert merge.removed["email"] == "Ann.Lee@acme.com" and not Contact.objects.filter(pk=dup.pk).exists()


def test_a_contact_merge_over_the_api(people, api):
    keep = Contact.objects.create(first_name="Ann")
    dup = Contact.objects.create(first_name="Annie")
    response = api(people["admin"]).post(f"{CONTACTS}{keep.pk}/merge/", {"duplicate": dup.pk})
    assert (response.status_code, response.json()["kind"], response.json()["moved"]) == (201, "contact", {})
    assert [m["removed_id"] for m in api(people["rep"]).get(f"{CONTACTS}{keep.pk}/merges/").json()["results"]] == [
        dup.pk
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"duplicate": "self"}, 400, "duplicate"),
        ({"duplicate": 987654}, 400, "duplicate"),
        ({"duplicate": "abc"}, 400, "duplicate"),
        ({"duplicate": 10**30}, 400, "duplicate"),
        ({"duplicate": None}, 400, "duplicate"),
        ({}, 400, "duplicate"),
    ],
)
def test_a_merge_into_itself_or_of_nothing_is_refused(people, api, two_acmes, body, status, field):
    keep = two_acmes["keep"]
    if body.get("duplicate") == "self":
        body = {"duplicate": keep.pk}
    response = api(people["sales_manager"]).post(f"{COMPANIES}{keep.pk}/merge/", body)
    assert response.status_code == status
    assert field in response.json()["errors"]
    assert Company.objects.count() == 2 and not RecordMerge.objects.exists()


def test_merge_messages_name_the_problem(people, two_acmes):
    keep = two_acmes["keep"]
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        company_merge(keep=keep.pk, duplicate=keep.pk, by=people["admin"])
    with pytest.raises(ValidationError, match="There is no company 987654 to merge"):
        company_merge(keep=keep.pk, duplicate=987654, by=people["admin"])


def test_a_merge_into_an_unknown_company_is_404(people, api, two_acmes):
    response = api(people["admin"]).post(f"{COMPANIES}987654/merge/", {"duplicate": two_acmes["dup"].pk})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["rep", "sdr", "marketer", "integration"])
def test_only_managers_revenue_leaders_and_admins_merge(people, api, two_acmes, who):
    keep, dup = two_acmes["keep"], two_acmes["dup"]
    response = api(people[who]).post(f"{COMPANIES}{keep.pk}/merge/", {"duplicate": dup.pk})
    assert (response.status_code, response.json()["code"]) == (403, "not_allowed")
    assert Lead.objects.filter(company=dup).count() == 2 and not RecordMerge.objects.exists()


# Concurrency ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_creates_of_one_domain_at_once_one_wins_the_other_is_told_which(people, attempt):
    results = run_together(
        lambda: company_create(user=people["rep"], name="Acme one", domain="https://www.acme.com/"),
        lambda: company_create(user=people["rep2"], name="Acme two", domain="ACME.com"),
    )
    wins = [r for r in results if isinstance(r, Company)]
    losses = [r for r in results if isinstance(r, ValidationError)]
    assert (len(wins), len(losses)) == (1, 1), results
    assert losses[0].message_dict["domain"] == [
        f"acme.com is already company {wins[0].pk} ({wins[0].name}): edit that one or merge them."
    ]
    assert Company.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_create_racing_an_uncommitted_one_gets_the_named_error_from_the_unique_key(people):
    """The look-up cannot see the other transaction's row; the unique key makes our insert wait, then refuse."""
    holding = threading.Event()

    def holder():
        try:
            with transaction.atomic():
                Company.objects.create(name="First", domain="acme.com")
                holding.set()
                until_another_session_waits_on_a_lock()
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    assert holding.wait(timeout=10)
    try:
        with pytest.raises(ValidationError) as refused:
            company_create(user=people["rep"], name="Second", domain="acme.com")
    finally:
        thread.join(timeout=10)
    first = Company.objects.get()
    assert refused.value.message_dict["domain"] == [
        f"acme.com is already company {first.pk} (First): edit that one or merge them."
    ]


@pytest.mark.django_db(transaction=True)
def test_two_creates_of_one_email_at_once_one_wins(people):
    results = run_together(
        lambda: contact_create(user=people["rep"], first_name="Jo", email="Jo@Acme.com"),
        lambda: contact_create(user=people["marketer"], first_name="Joanna", email="jo@acme.COM"),
    )
    assert sorted(type(r).__name__ for r in results) == ["Contact", "ValidationError"], results
    assert Contact.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_managers_merging_a_pair_opposite_ways_at_once_one_wins_and_no_link_is_lost(
    funnel_defaults, people, make_lead
):
    a = Company.objects.create(name="Acme", domain="acme.com")
    b = Company.objects.create(name="Acme Inc", domain="acme.io")
    leads = [make_lead() for _ in range(4)]
    Lead.objects.filter(pk__in=[leads[0].pk, leads[1].pk]).update(company=a)
    Lead.objects.filter(pk__in=[leads[2].pk, leads[3].pk]).update(company=b)
    results = run_together(
        lambda: company_merge(keep=a.pk, duplicate=b.pk, by=people["sales_manager"]),
        lambda: company_merge(keep=b.pk, duplicate=a.pk, by=people["marketing_manager"]),
    )
    merges = [r for r in results if isinstance(r, RecordMerge)]
    refused = [r for r in results if isinstance(r, ValidationError | Company.DoesNotExist)]
    assert (len(merges), len(refused)) == (1, 1), results
    survivor = Company.objects.get()
    assert survivor.pk == merges[0].kept_id and merges[0].moved["leads"] == 2
    assert Lead.objects.filter(company=survivor).count() == 4 and RecordMerge.objects.count() == 1


# Bad input -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x" * 100_000}, "name"),
        ({"name": "Ac\x00me"}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "Acme", "domain": "not a domain"}, "domain"),
        ({"name": "Acme", "domain": "d" * 100_000}, "domain"),
        ({"name": "Acme", "segment": "galactic"}, "segment"),
        ({"name": "Acme", "size_band": "huge"}, "size_band"),
        ({"name": "Acme", "employees": -1}, "employees"),
        ({"name": "Acme", "employees": 10**30}, "employees"),
        ({"name": "Acme", "key_account_tier": 7}, "key_account_tier"),
        ({"name": "Acme", "owner": 10**30}, "owner"),
        ({"name": "Acme", "owner": "abc"}, "owner"),
        ({"name": "Acme", "owner": 987654}, "owner"),
    ],
)
def test_a_bad_company_is_refused_naming_the_field(people, api, body, field):
    response = api(people["leader"]).post(COMPANIES, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Company.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_name": "Jo", "email": "not-an-address"}, "email"),
        ({"first_name": "Jo", "email": "x" * 100_000 + "@acme.com"}, "email"),
        ({"first_name": "Jo", "buying_role": "king"}, "buying_role"),
        ({"first_name": "Jo", "company": 987654}, "company"),
        ({"first_name": "Jo", "company": "abc"}, "company"),
        ({"first_name": ""}, "first_name"),
        ({"first_name": "J\x00o"}, "first_name"),
    ],
)
def test_a_bad_contact_is_refused_naming_the_field(people, api, body, field):
    response = api(people["rep"]).post(CONTACTS, body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Contact.objects.exists()


def test_json_nested_5000_deep_is_a_400(people, api):
    nested = '{"name": ' + "[" * 5000 + "]" * 5000 + "}"
    client = api(people["rep"])
    response = client.generic("POST", COMPANIES, nested, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        f"{COMPANIES}abc/",
        f"{COMPANIES}99999999999999999999999/",
        f"{COMPANIES}987654/",
        f"{CONTACTS}abc/merges/",
        f"{COMPANIES}987654/merges/",
    ],
)
def test_an_id_that_is_no_company_is_404(people, api, url):
    assert api(people["rep"]).get(url).status_code == 404


@pytest.mark.parametrize(
    "query", ["tier=9", "owner=abc", "owner=99999999999999999999999", "is_key_account=maybe", "segment=x"]
)
def test_a_nonsense_filter_is_a_400_naming_it(people, api, query):
    response = api(people["rep"]).get(f"{COMPANIES}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()["errors"]


def test_put_is_not_offered(people, api):
    acme = Company.objects.create(name="Acme")
    assert api(people["admin"]).put(f"{COMPANIES}{acme.pk}/", {"name": "Acme"}).status_code == 405


def test_a_company_without_segment_territory_or_owner_reads_fine(people, api):
    acme = Company.objects.create(name="Acme")
    body = api(people["marketer"]).get(f"{COMPANIES}{acme.pk}/").json()
    assert (body["segment"], body["territory"], body["owner"], body["key_account_tier"]) == ("", "", None, None)


# Lists -----------------------------------------------------------------------------------------------------------


def test_the_company_list_filters_and_searches(people, api):
    Company.objects.create(name="Acme", domain="acme.com", segment="enterprise", territory="EMEA", owner=people["rep"])
    Company.objects.create(name="Beta", domain="beta.io", segment="smb", is_key_account=True, key_account_tier=1)
    Company.objects.create(name="Gamma", domain="acme-gamma.com", segment="smb", territory="APAC")
    client = api(people["rep"])

    def names(query):
        return sorted(c["name"] for c in client.get(f"{COMPANIES}?{query}").json()["results"])

    assert names("q=acme") == ["Acme", "Gamma"]
    assert names("q=BETA") == ["Beta"]
    assert names("segment=smb") == ["Beta", "Gamma"]
    assert names("territory=emea") == ["Acme"]
    assert names("is_key_account=true") == ["Beta"]
    assert names("is_key_account=false") == ["Acme", "Gamma"]
    assert names("tier=1") == ["Beta"]
    assert names(f"owner={people['rep'].pk}") == ["Acme"]


def test_the_contact_list_filters_by_company_and_buying_role(people, api):
    acme = Company.objects.create(name="Acme")
    Contact.objects.create(company=acme, first_name="Ann", buying_role="champion", email="ann@acme.com")
    Contact.objects.create(company=acme, first_name="Bob", buying_role="blocker")
    Contact.objects.create(first_name="Cy", buying_role="champion")
    client = api(people["marketer"])

    def names(query):
        return sorted(c["first_name"] for c in client.get(f"{CONTACTS}?{query}").json()["results"])

    assert names(f"company={acme.pk}") == ["Ann", "Bob"]
    assert names("buying_role=champion") == ["Ann", "Cy"]
    assert names("q=ACME.COM") == ["Ann"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [COMPANIES, CONTACTS])
def test_list_query_count_does_not_grow_with_page_size(people, api, url):
    for n in range(12):
        company = Company.objects.create(name=f"Co {n}", domain=f"co{n}.example", owner=people["rep"])
        Contact.objects.create(company=company, first_name=f"P{n}")
    client = api(people["rep"])
    small, large = _queries(client, f"{url}?page_size=2"), _queries(client, f"{url}?page_size=50")
    assert small == large
    assert large <= 4


def test_the_duplicates_finder_matches_normalised_domains_and_names(people):
    from crm.selectors import company_duplicates_of

    acme = Company.objects.create(name="Acme", domain="acme.com")
    Company.objects.create(name="Acme legacy", domain="https://WWW.acme.com/")  # written before normalisation
    Company.objects.create(name="ACME", domain="acme.io")
    Company.objects.create(name="Acme Robotics", domain="acme-robotics.com")
    assert sorted(c.name for c in company_duplicates_of(company=acme)) == ["ACME", "Acme legacy"]


def test_the_merge_record_is_json(people, two_acmes):
    merge = company_merge(keep=two_acmes["keep"].pk, duplicate=two_acmes["dup"].pk, by=people["admin"])
    merge.refresh_from_db()
    assert json.loads(json.dumps(merge.removed))["created_at"] == two_acmes["dup"].created_at.isoformat()
