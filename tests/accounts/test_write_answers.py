"""Writing is no way to read: a token that may write a resource but not read it gets the ids of what it wrote, as a
webhook payload carries only the ids of the parts its token may not read. A token that may read, and a session,
get the whole answer."""

from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from crm.models import CallReport, Campaign, Touch
from funnel.models import Handoff, Transition
from leads.models import Lead
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


def withheld(object_id, scope):
    return {"id": object_id, "withheld": f"the token lacks '{scope}'"}


@pytest.fixture
def lead_writer(people, token_client_for):
    return token_client_for(people["integration"], scopes=["leads:write"])


def test_a_lead_created_and_patched_without_leads_read_comes_back_as_its_id(people, lead_writer):
    body = {"last_name": "Ngata", "email": "aroha@kauri.example", "owner": people["marketer"].pk}
    created = lead_writer.post("/api/v1/leads/", body, format="json")
    lead = Lead.objects.get(email="aroha@kauri.example")
    assert (created.status_code, created.json()) == (201, withheld(lead.pk, "leads:read"))
    patched = lead_writer.patch(f"/api/v1/leads/{lead.pk}/", {"industry": "Media"}, format="json")
    assert (patched.status_code, patched.json()) == (200, withheld(lead.pk, "leads:read"))
    lead.refresh_from_db()
    assert lead.industry == "Media"  # the write itself happened
    assert lead_writer.get(f"/api/v1/leads/{lead.pk}/").status_code == 403


def test_a_move_without_leads_read_answers_the_transitions_id_not_owners_or_rule_results(
    people, lead_writer, make_lead
):
    lead = make_lead()
    moved = lead_writer.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "interest"}, format="json")
    transition = Transition.objects.filter(lead=lead).latest("pk")
    assert (moved.status_code, moved.json()) == (201, withheld(transition.pk, "leads:read"))
    assert transition.to_stage == "interest"


def test_a_token_that_reads_too_and_a_session_get_the_whole_lead(people, token_client_for, api, make_lead):
    lead = make_lead()
    both = token_client_for(people["integration"], scopes=["leads:read", "leads:write"])
    patched = both.patch(f"/api/v1/leads/{lead.pk}/", {"industry": "Media"}, format="json")
    assert (patched.json()["industry"], patched.json()["email"]) == ("Media", lead.email)
    session = api(people["admin"]).patch(f"/api/v1/leads/{lead.pk}/", {"industry": "Film"})
    assert (session.json()["industry"], session.json()["email"]) == ("Film", lead.email)


def test_touches_call_reports_and_campaigns_written_without_their_read_scope_come_back_as_ids(
    people, token_client_for, make_lead
):
    lead = make_lead(owner=people["rep"])
    campaign = Campaign.objects.create(name="Webinar", channel="webinar", requires_sales_preview=False)
    when = (timezone.now() - timedelta(hours=1)).isoformat()
    touch = {"lead": lead.pk, "campaign": campaign.pk, "kind": "form_fill", "occurred_at": when}
    toucher = token_client_for(people["integration"], scopes=["touches:write"])
    touched = toucher.post("/api/v1/touches/", touch, format="json")
    assert touched.json() == withheld(Touch.objects.get().pk, "touches:read")
    report = {"occurred_on": timezone.localdate().isoformat(), "channel": "call", "outcome": "Spoke"}
    reporter = token_client_for(people["rep"], scopes=["call_reports:write"])
    reported = reporter.post(f"/api/v1/leads/{lead.pk}/call-reports/", report, format="json")
    assert reported.json() == withheld(CallReport.objects.get().pk, "call_reports:read")
    planner = token_client_for(people["marketer"], scopes=["campaigns:write"])
    planned = planner.post("/api/v1/campaigns/", {"name": "Spring", "channel": "email"}, format="json")
    assert planned.json() == withheld(Campaign.objects.get(name="Spring").pk, "campaigns:read")


def test_a_handoff_accepted_without_handoffs_read_comes_back_as_its_id(people, token_client_for, make_lead, rule):
    rule("To sales", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    move(lead, "consideration", people["marketer"])
    handoff = Handoff.objects.get(lead=lead)
    client = token_client_for(handoff.to_owner, scopes=["handoffs:write"])
    accepted = client.post(f"/api/v1/handoffs/{handoff.pk}/accept/", {}, format="json")
    assert (accepted.status_code, accepted.json()) == (200, withheld(handoff.pk, "handoffs:read"))
    handoff.refresh_from_db()
    assert handoff.status == "accepted"


def test_a_bulk_report_of_the_request_itself_is_kept(people, token_client_for, make_lead):
    """Positions stored, skipped and refused say nothing a reader of touches would need `touches:read` for."""
    campaign = Campaign.objects.create(name="Webinar", channel="webinar", requires_sales_preview=False)
    when = (timezone.now() - timedelta(hours=1)).isoformat()
    good = {"lead": make_lead().pk, "campaign": campaign.pk, "kind": "form_fill", "occurred_at": when}
    client = token_client_for(people["integration"], scopes=["touches:write"])
    answer = client.post("/api/v1/touches/bulk/", {"touches": [good, {**good, "kind": "telepathy"}]}, format="json")
    assert (answer.json()["created"], [r["index"] for r in answer.json()["rejected"]]) == (1, [1])


def test_the_schema_says_a_write_answers_ids_without_the_read_scope():
    schema = SchemaGenerator().get_schema(public=True)
    patch = schema["paths"]["/api/v1/leads/{id}/"]["patch"]["description"]
    assert "without `leads:read` too gets each object of the answer as its `id` only" in patch
    assert "withheld" not in schema["paths"]["/api/v1/leads/{id}/"]["get"]["description"]
    assert "withheld" not in schema["paths"]["/api/v1/imports/"]["post"]["description"]  # one scope: imports:write


def test_evaluating_a_definition_against_a_lead_is_reading_the_lead(people, token_client_for, make_lead):
    from funnel.models import LeadDefinition

    lead, mql = make_lead(), LeadDefinition.objects.get(code="MQL")
    url, body = f"/api/v1/lead-definitions/{mql.pk}/evaluate/", {"lead": lead.pk}
    writer = token_client_for(people["integration"], scopes=["definitions:write", "definitions:read"])
    refused = writer.post(url, body, format="json")
    assert refused.status_code == 403 and "leads:read" in refused.json()["detail"]
    reader = token_client_for(people["integration"], scopes=["leads:read"])
    assert reader.post(url, body, format="json").status_code in (200, 404)  # 404: no active MQL version yet
    operation = SchemaGenerator().get_schema(public=True)["paths"]["/api/v1/lead-definitions/{id}/evaluate/"]["post"]
    assert "leads:read" in operation["description"]
