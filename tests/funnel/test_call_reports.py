"""Call reports with typed fields: terms of the managed taxonomies, contacts met, marketers, interest and
sentiment; on a lead (stopping the first-touch clock, meeting `call_report_within_days`) or on a company.
Bad input is refused by name, and one bad field leaves nothing written."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from crm.models import CallReport, CallReportTag, Company, Contact, Tag
from crm.services.taxonomy import tag_accept, tag_suggest
from funnel.models import Handoff
from funnel.services.handoffs import handoff_accept
from leads.models import Lead
from tests.accounts.factories import UserFactory
from tests.funnel.conftest import move
from tests.funnel.test_lead_api import queries_for

pytestmark = pytest.mark.django_db


def today() -> str:
    return timezone.localdate().isoformat()


@pytest.fixture
def acme(db):
    company = Company.objects.create(name="Acme", domain="acme.example", segment="mid_market")
    Contact.objects.create(company=company, first_name="Dana", last_name="Haddad", email="dana@acme.example")
    Contact.objects.create(company=company, first_name="Ivo", last_name="Berg", email="ivo@acme.example")
    return company


@pytest.fixture
def salesforce(people):
    return tag_suggest(user=people["sales_manager"], kind="competitor", label="Salesforce")


@pytest.fixture
def lead(make_lead, people, acme):
    made = make_lead(owner=people["rep"], last_name="Haddad")
    Lead.objects.filter(pk=made.pk).update(company=acme)
    return Lead.objects.get(pk=made.pk)


def _post(client, lead_id, **fields):
    body = {"occurred_on": today(), "channel": "call", "outcome": "Discovery call", **fields}
    return client.post(f"/api/v1/leads/{lead_id}/call-reports/", body, format="json")


def test_a_typed_report_meets_the_call_report_precondition_and_stops_the_first_touch_clock(
    make_lead, people, rule, client_for, salesforce
):
    rule(
        "To sales",
        to_stages=["intent"],
        routing={"kind": "round_robin", "team": people["rep"].team_id},
        accept_within_hours=4,
        first_touch_within_hours=2,
        sla_clock="clock",
    )
    rule("Talk first", to_stages=["evaluation"], preconditions=[{"kind": "call_report_within_days", "days": 7}])
    lead = make_lead()
    for stage in ("interest", "consideration", "intent"):
        move(lead, stage, people["marketer"])
    handoff = Handoff.objects.get(lead=lead)
    handoff_accept(handoff_id=handoff.pk, actor=people["rep"])
    from funnel.exceptions import TransitionRefused

    with pytest.raises(TransitionRefused):
        move(lead, "evaluation", people["rep"])
    response = _post(
        client_for(people["rep"]),
        lead.pk,
        objections=["price_value", "timing"],
        competitors=[salesforce.pk],
        needs=["reporting"],
        interest_level="high",
        sentiment="positive",
        marketers=[people["marketer"].pk],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert [t["slug"] for t in body["objections"]] == ["price_value", "timing"]
    assert [t["label"] for t in body["competitors"]] == ["Salesforce"]
    assert [m["username"] for m in body["marketers"]] == ["marketer"]
    assert (body["interest_level"], body["sentiment"], body["lead_stage"]) == ("high", "positive", "intent")
    handoff.refresh_from_db()
    assert handoff.first_touched_at is not None
    assert move(lead, "evaluation", people["rep"]).to_stage == "evaluation"


def test_an_unknown_term_is_refused_with_the_allowed_ones_and_nothing_is_written(lead, people, client_for):
    response = _post(client_for(people["rep"]), lead.pk, objections=["price_value", "too_pricey"])
    assert response.status_code == 400
    message = response.json()["errors"]["objections"][0]
    assert message.startswith("Unknown objection 'too_pricey': the allowed ones are authority, budget, competitor,")
    assert "POST /api/v1/tags/" in message
    assert not CallReport.objects.exists()


def test_a_suggested_term_is_stored_on_the_report_and_counts_once_accepted(lead, people, client_for):
    suggestion = tag_suggest(user=people["rep"], kind="objection", label="Procurement freeze")
    response = _post(client_for(people["rep"]), lead.pk, objections=[suggestion.slug])
    assert response.status_code == 201
    assert response.json()["objections"] == [
        {"id": suggestion.pk, "slug": "procurement_freeze", "label": "Procurement freeze", "status": "suggested"}
    ]
    link = CallReportTag.objects.get(report_id=response.json()["id"])
    assert (link.tag_id, link.tag.status) == (suggestion.pk, "suggested")
    tag_accept(user=people["sales_manager"], tag_id=suggestion.pk)
    assert CallReportTag.objects.get(pk=link.pk).tag.status == "accepted"


def test_a_rejected_term_cannot_be_used(lead, people, client_for):
    suggestion = tag_suggest(user=people["rep"], kind="competitor", label="Pipedrive")
    Tag.objects.filter(pk=suggestion.pk).update(status="rejected")
    response = _post(client_for(people["rep"]), lead.pk, competitors=["pipedrive"])
    assert "Unknown competitor 'pipedrive'" in response.json()["errors"]["competitors"][0]


def test_a_next_step_already_past_everywhere_is_refused(lead, people, client_for):
    two_days_ago = (timezone.now() - timedelta(days=2)).date()
    response = _post(
        client_for(people["rep"]),
        lead.pk,
        occurred_on=(two_days_ago - timedelta(days=1)).isoformat(),
        next_step="Send the deck",
        next_step_on=two_days_ago.isoformat(),
    )
    assert response.status_code == 400
    assert "a day already past" in response.json()["errors"]["next_step_on"][0]
    # Yesterday in UTC is still today at UTC-12 for part of the day: the westernmost date is the limit.
    westernmost_today = (timezone.now() - timedelta(hours=12)).date().isoformat()
    # The call was that day too for the rep out there (a UTC "today" after midnight would be after the next step).
    ok = _post(
        client_for(people["rep"]),
        lead.pk,
        occurred_on=westernmost_today,
        next_step="Send the deck",
        next_step_on=westernmost_today,
    )
    assert ok.status_code == 201, ok.json()


def test_a_report_on_a_lead_the_rep_cannot_see_is_a_404_at_both_doors(make_lead, people, client_for):
    hidden = make_lead(owner=people["marketer"])  # awareness, marketing's: a rep does not see it
    client = client_for(people["rep"])
    assert _post(client, hidden.pk).status_code == 404
    body = {"lead": hidden.pk, "occurred_on": today(), "channel": "call", "outcome": "x"}
    response = client.post("/api/v1/call-reports/", body, format="json")
    assert (response.status_code, response.json()["detail"]) == (404, f"No lead {hidden.pk} that you can see.")
    assert not CallReport.objects.exists()


def test_marketers_on_a_report_must_be_active_marketing_people(lead, people, client_for, teams):
    gone = UserFactory(username="gone", role=Role.MARKETER, team=teams["marketing"], is_active=False)
    response = _post(client_for(people["rep"]), lead.pk, marketers=[people["marketer"].pk, people["rep2"].pk, gone.pk])
    assert response.json()["errors"]["marketers"] == [
        f"Not active marketing people: {people['rep2'].pk}, {gone.pk}. Name the marketers who took part."
    ]
    ok = _post(client_for(people["rep"]), lead.pk, marketers=[people["marketer"].pk, people["marketing_manager"].pk])
    assert ok.status_code == 201
    assert sorted(m["username"] for m in ok.json()["marketers"]) == ["marketer", "mktmgr"]


def test_one_bad_field_leaves_nothing_written_and_the_clock_running(lead, people, client_for, acme):
    stranger = Contact.objects.create(first_name="Nobody", email="nobody@elsewhere.example")
    dana = acme.contacts.get(first_name="Dana")
    response = _post(
        client_for(people["rep"]),
        lead.pk,
        contacts=[dana.pk, stranger.pk],
        objections=["budget"],
        marketers=[people["marketer"].pk],
        interest_level="medium",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "contacts": [f"Not contacts of Acme: {stranger.pk}. Name the people of its company."]
    }
    assert (CallReport.objects.count(), CallReportTag.objects.count()) == (0, 0)


def test_every_problem_is_named_at_once(lead, people, client_for):
    response = _post(
        client_for(people["rep"]),
        lead.pk,
        outcome=" ",
        objections=["nope"],
        next_step_on=today(),
        interest_level="ecstatic",
    )
    assert response.json()["errors"].keys() == {"outcome", "interest_level"}  # the serializer's shape checks first
    response = _post(client_for(people["rep"]), lead.pk, outcome=" x ", objections=["nope"], next_step_on=today())
    assert response.json()["errors"].keys() == {"objections", "next_step"}


def test_a_rep_logs_a_visit_to_an_account_without_a_lead(people, client_for, acme):
    dana = acme.contacts.get(first_name="Dana")
    body = {
        "company": acme.pk,
        "occurred_on": today(),
        "channel": "visit",
        "outcome": "Quarterly visit",
        "contacts": [dana.pk],
        "feedback": ["performance"],
    }
    response = client_for(people["rep"]).post("/api/v1/call-reports/", body, format="json")
    assert response.status_code == 201, response.json()
    report = CallReport.objects.get()
    assert (report.lead_id, report.company_id, report.segment, report.lead_stage) == (None, acme.pk, "mid_market", "")
    assert list(report.contacts.values_list("first_name", flat=True)) == ["Dana"]
    missing = client_for(people["rep"]).post("/api/v1/call-reports/", {**body, "company": 999999}, format="json")
    assert (missing.status_code, missing.json()["detail"]) == (404, "No company 999999.")
    neither = client_for(people["rep"]).post(
        "/api/v1/call-reports/", {k: body[k] for k in ("occurred_on", "outcome")}, format="json"
    )
    assert neither.json()["errors"].keys() == {"lead"}


def test_a_lead_without_a_company_has_no_contacts_to_name(make_lead, people, client_for, acme):
    bare = make_lead(owner=people["rep"])
    response = _post(client_for(people["rep"]), bare.pk, contacts=[acme.contacts.first().pk])
    assert response.json()["errors"]["contacts"] == ["The report has no company, so it has no contacts to name."]


def test_the_list_filters_by_lead_company_author_dates_and_term(lead, people, client_for, acme, salesforce):
    rep = client_for(people["rep"])
    _post(rep, lead.pk, objections=["budget"])
    _post(rep, lead.pk, occurred_on=(timezone.localdate() - timedelta(days=30)).isoformat(), competitors=["salesforce"])
    rep.post(
        "/api/v1/call-reports/",
        {"company": acme.pk, "occurred_on": today(), "channel": "visit", "outcome": "Visit"},
        format="json",
    )

    def ids(query):
        response = rep.get(f"/api/v1/call-reports/?{query}")
        assert response.status_code == 200, response.json()
        return [r["outcome"] for r in response.json()["results"]]

    assert ids("") == ["Visit", "Discovery call", "Discovery call"]
    assert ids(f"lead={lead.pk}") == ["Discovery call", "Discovery call"]
    assert ids(f"company={acme.pk}") == ["Visit", "Discovery call", "Discovery call"]
    assert ids("tag=salesforce") == ids(f"tag={salesforce.pk}") == ["Discovery call"]
    assert len(ids(f"occurred_after={(timezone.localdate() - timedelta(days=7)).isoformat()}")) == 2
    assert ids(f"author={people['rep2'].pk}") == []
    assert rep.get("/api/v1/call-reports/?occurred_after=2026-13-45").json()["errors"].keys() == {"occurred_after"}
    assert rep.get("/api/v1/call-reports/?lead=abc").status_code == 400
    assert rep.get("/api/v1/call-reports/abc/").status_code == 404
    # Another rep outside the lead's team sees the account visit, not the lead's reports.
    other = UserFactory(username="elsewhere", role=Role.SALES_REP)
    assert [r["outcome"] for r in client_for(other).get("/api/v1/call-reports/").json()["results"]] == ["Visit"]


def test_the_list_costs_the_same_queries_for_one_report_or_twenty(lead, people, client_for, acme):
    rep = client_for(people["rep"])
    contacts = list(acme.contacts.values_list("pk", flat=True))
    for n in range(20):
        terms = {"objections": ["budget", "timing"]} if n % 2 else {"needs": ["reporting"], "competitors": []}
        _post(rep, lead.pk, outcome=f"Call {n}", contacts=contacts, marketers=[people["marketer"].pk], **terms)
    assert CallReportTag.objects.count() == 30
    one, twenty = (queries_for(rep, f"/api/v1/call-reports/?page_size={size}") for size in (1, 20))
    assert one == twenty <= 10


def test_bad_shapes_are_refused_by_name(lead, people, client_for):
    client = client_for(people["rep"])
    assert _post(client, lead.pk, objections="budget").json()["errors"].keys() == {"objections"}
    assert _post(client, lead.pk, objections=[True]).json()["errors"].keys() == {"objections"}
    assert _post(client, lead.pk, objections=["a\x00b"]).json()["errors"].keys() == {"objections"}
    assert _post(client, lead.pk, outcome="x" * 100_000).json()["errors"].keys() == {"outcome"}
    assert _post(client, lead.pk, contacts=["1.5"]).json()["errors"].keys() == {"contacts"}
    assert _post(client, lead.pk, next_step_on="2026-02-30").json()["errors"].keys() == {"next_step_on"}
    deep = '{"occurred_on": "2026-01-01", "channel": "call", "outcome": "x", "needs": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.post(f"/api/v1/leads/{lead.pk}/call-reports/", deep, content_type="application/json")
    assert response.status_code == 400
    assert not CallReport.objects.exists()


# The web form


def test_the_lead_page_form_logs_a_report_with_chips_and_shows_it(lead, people, client, acme, salesforce):
    client.force_login(people["rep"])
    page = client.get(reverse("lead-detail", kwargs={"lead_id": lead.pk})).content.decode()
    assert 'name="objections" value="price_value"' in page and 'value="call" id="id_channel_0" required checked' in page
    assert 'id="outcome-picks"' in page and "More: contacts met, marketers, next step, notes" in page
    dana = acme.contacts.get(first_name="Dana")
    response = client.post(
        reverse("lead-call-report", kwargs={"lead_id": lead.pk}),
        {
            "occurred_on": today(),
            "channel": "call",
            "outcome": "Demo given",
            "objections": ["price_value", "timing"],
            "competitors": ["salesforce"],
            "interest_level": "medium",
            "contacts": [str(dana.pk)],
        },
    )
    assert response.status_code == 302
    report = CallReport.objects.get()
    assert sorted(report.tags.values_list("slug", flat=True)) == ["price_value", "salesforce", "timing"]
    assert (report.interest_level, list(report.contacts.all())) == ("medium", [dana])
    page = client.get(reverse("lead-detail", kwargs={"lead_id": lead.pk})).content.decode()
    assert "Salesforce" in page and "Interest: medium" in page


def test_the_form_shows_an_unknown_term_and_a_past_next_step_beside_their_fields(lead, people, client):
    client.force_login(people["rep"])
    response = client.post(
        reverse("lead-call-report", kwargs={"lead_id": lead.pk}),
        {
            "occurred_on": today(),
            "channel": "call",
            "outcome": "Call",
            "objections": ["budget", "made_up"],
            "next_step": "Call back",
            "next_step_on": "2020-01-01",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Unknown objection &#x27;made_up&#x27;" in page and "a day already past" in page
    assert '<details class="cr-more" open>' in page
    assert 'value="budget" checked' in page  # what was chosen stays chosen
    assert not CallReport.objects.exists()


def test_the_form_posts_basic_fields_without_any_term(lead, people, client):
    client.force_login(people["rep"])
    url = reverse("lead-call-report", kwargs={"lead_id": lead.pk})
    assert client.post(url, {"occurred_on": today(), "channel": "email", "outcome": "Sent"}).status_code == 302
    assert CallReport.objects.get().channel == "email"
    assert client.post(url, {"occurred_on": "nonsense", "channel": "call", "outcome": "x"}).status_code == 400
    assert client.post(url, {"occurred_on": today(), "channel": "call", "outcome": "a\x00b"}).status_code == 400
    assert client.post("/leads/999999/call-reports/", {"outcome": "x"}).status_code == 404


def test_a_company_call_report_is_logged_from_its_own_page(people, client, acme):
    client.force_login(people["rep"])
    url = reverse("company-call-report", kwargs={"company_id": acme.pk})
    page = client.get(url).content.decode()
    assert "Call report on Acme" in page and "Dana Haddad" in page  # its contacts, to tick as met
    dana = acme.contacts.get(first_name="Dana")
    bad = client.post(url, {"occurred_on": today(), "channel": "visit", "outcome": "Visit", "needs": ["nope"]})
    assert bad.status_code == 400 and "Unknown need" in bad.content.decode()
    done = client.post(
        url,
        {"occurred_on": today(), "channel": "visit", "outcome": "Visit", "contacts": [dana.pk]},
    )
    assert done.status_code == 302 and done["Location"] == reverse("company-detail", kwargs={"company_id": acme.pk})
    report = CallReport.objects.get()
    assert (report.lead_id, report.company_id, list(report.contacts.all())) == (None, acme.pk, [dana])
    assert "Log a call report" in client.get(done["Location"]).content.decode()
    assert client.get("/companies/999999/call-report/").status_code == 404
