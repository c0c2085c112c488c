"""The web UI: server-rendered pages over the same selectors and services as the API — visibility, the one
door for moves, rule refusals shown by name and reason, handoff answers, definition proposals."""

import pytest
from django.urls import reverse

from funnel.models import ApprovalRequest, Handoff, LeadDefinition, LeadDefinitionVersion, Transition
from funnel.services.intake import lead_create
from funnel.services.rules import handoff_rule_save
from funnel.services.transitions import lead_transition
from leads.models import Lead

pytestmark = pytest.mark.django_db


def capture(people, n: int, owner=None, **fields) -> Lead:
    data = {"last_name": f"Buyer{n}", "email": f"buyer{n}@firm{n}.example", **fields}
    return lead_create(actor=people["admin"], data=data, owner=owner or people["marketer"])


def walk(lead: Lead, actor, *stages: str) -> Lead:
    for stage in stages:
        lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage=stage, actor=actor)
    return Lead.objects.get(pk=lead.pk)


def logged_in(client, user):
    client.force_login(user)
    return client


def detail(lead: Lead) -> str:
    return reverse("lead-detail", kwargs={"lead_id": lead.pk})


def edit_data(lead: Lead, **changes) -> dict:
    data = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "title": lead.title,
        "company_name": lead.company_name,
        "company_domain": lead.company.domain if lead.company_id else "",
        "segment": lead.segment,
        "territory": lead.territory,
        "industry": lead.industry,
        "expected_value": "",
        "currency": lead.currency,
        "has_budget": "unknown",
        "has_authority": "unknown",
        "has_need": "unknown",
        "has_timeline": "unknown",
    }
    return {**data, **changes}


def test_pages_need_a_login(client):
    for name in ("lead-list", "lead-create", "handoff-inbox", "definition-list", "approval-list"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_lead_list_shows_only_visible_leads_and_hidden_detail_is_404(client, people):
    marketing_lead = capture(people, 1, first_name="Mona")
    rep_lead = capture(people, 2, owner=people["rep"], first_name="Rhea")
    client = logged_in(client, people["rep"])

    page = client.get(reverse("lead-list")).content.decode()
    assert "Rhea Buyer2" in page
    assert "Mona Buyer1" not in page
    assert client.get(detail(marketing_lead)).status_code == 404
    assert client.get(detail(rep_lead)).status_code == 200


def test_marketer_sees_a_sales_stage_lead_without_sales_fields_or_forms(client, people):
    lead = capture(people, 3, owner=people["rep"], phone="+1 555 0100")
    lead = walk(lead, people["rep"], "interest", "consideration", "intent")
    client = logged_in(client, people["marketer"])

    assert "Buyer3" in client.get(reverse("lead-list")).content.decode()
    page = client.get(detail(lead)).content.decode()
    assert "marketing data only" in page
    assert "+1 555 0100" not in page
    assert reverse("lead-move", kwargs={"lead_id": lead.pk}) not in page
    response = client.post(reverse("lead-move", kwargs={"lead_id": lead.pk}), {"to_stage": "lost", "reason": "x"})
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).stage == "intent"


def test_lead_list_filters_by_stage_and_pages_by_keyset(client, people, monkeypatch):
    from funnel.views import lead_list

    monkeypatch.setattr(lead_list, "PAGE_SIZE", 2)
    leads = [capture(people, n) for n in range(10, 13)]
    walk(leads[0], people["marketer"], "interest")
    client = logged_in(client, people["marketer"])

    page = client.get(reverse("lead-list"), {"stage": "interest"}).content.decode()
    assert "Buyer10" in page
    assert "Buyer11" not in page
    first = client.get(reverse("lead-list"))
    assert [lead.last_name for lead in first.context["leads"]] == ["Buyer12", "Buyer11"]
    second = client.get(reverse("lead-list") + first.context["next_url"])
    assert [lead.last_name for lead in second.context["leads"]] == ["Buyer10"]
    assert second.context["next_url"] == ""


def test_lead_create_form_captures_a_lead_and_refuses_a_duplicate(client, people):
    client = logged_in(client, people["marketer"])
    form = {"last_name": "Newman", "email": "new@firm.example", "currency": "USD"}

    response = client.post(reverse("lead-create"), form)
    lead = Lead.objects.get(email="new@firm.example")
    assert response.status_code == 302
    assert response["Location"] == detail(lead)
    assert (lead.stage, lead.owner) == ("awareness", people["marketer"])

    response = client.post(reverse("lead-create"), {**form, "email": "NEW+ads@firm.example"})
    assert response.status_code == 422
    assert "already exists" in response.content.decode()
    assert detail(lead) in response.content.decode()
    assert Lead.objects.filter(last_name="Newman").count() == 1


def test_move_form_changes_the_stage_and_writes_one_transition(client, people):
    lead = capture(people, 20)
    client = logged_in(client, people["marketer"])
    before = Transition.objects.filter(lead=lead).count()

    response = client.post(
        reverse("lead-move", kwargs={"lead_id": lead.pk}),
        {"to_stage": "interest", "from_stage": "awareness", "reason": "Asked for a demo"},
    )
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage == "interest"
    assert Transition.objects.filter(lead=lead).count() == before + 1
    page = client.get(detail(lead)).content.decode()
    assert f"Moved {lead.name} from Awareness to Interest." in page
    assert "Asked for a demo" in page


def test_move_forbidden_by_a_rule_shows_rule_and_reason_and_writes_nothing(client, people):
    handoff_rule_save(
        actor=people["admin"],
        data={"name": "Score gate", "to_stages": ["interest"], "preconditions": [{"kind": "min_score", "score": 50}]},
    )
    lead = capture(people, 21)
    client = logged_in(client, people["marketer"])
    before = Transition.objects.count()

    response = client.post(
        reverse("lead-move", kwargs={"lead_id": lead.pk}), {"to_stage": "interest", "from_stage": "awareness"}
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Score gate" in page
    assert "score is 0" in page
    assert Transition.objects.count() == before
    assert Lead.objects.get(pk=lead.pk).stage == "awareness"


def test_stale_move_form_gets_a_conflict_and_writes_nothing(client, people):
    lead = walk(capture(people, 22), people["marketer"], "interest")
    client = logged_in(client, people["marketer"])
    before = Transition.objects.count()

    response = client.post(
        reverse("lead-move", kwargs={"lead_id": lead.pk}), {"to_stage": "interest", "from_stage": "awareness"}
    )
    assert response.status_code == 409
    assert "since you read it" in response.content.decode()
    assert Transition.objects.count() == before


def test_nurture_without_reason_is_refused_with_the_reason_field_named(client, people):
    lead = capture(people, 23)
    client = logged_in(client, people["marketer"])
    response = client.post(
        reverse("lead-move", kwargs={"lead_id": lead.pk}), {"to_stage": "nurture", "from_stage": "awareness"}
    )
    assert response.status_code == 422
    assert "reason: Moving a lead to nurture needs a reason." in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).stage == "awareness"


def test_posting_stage_to_the_edit_form_does_not_change_the_stage(client, people):
    lead = capture(people, 24)
    client = logged_in(client, people["marketer"])

    response = client.post(
        reverse("lead-edit", kwargs={"lead_id": lead.pk}),
        edit_data(lead, title="CTO", stage="purchase", owner=people["rep"].pk),
    )
    lead.refresh_from_db()
    assert response.status_code == 302
    assert (lead.title, lead.stage, lead.owner) == ("CTO", "awareness", people["marketer"])
    assert Transition.objects.filter(lead=lead).count() == 1
    assert 'name="stage"' not in client.get(detail(lead)).content.decode()


def test_handoff_rejected_in_the_inbox_sends_the_lead_to_nurture_with_the_reason(client, people, teams):
    handoff_rule_save(
        actor=people["admin"],
        data={
            "name": "To sales",
            "to_stages": ["consideration"],
            "routing": {"kind": "round_robin", "team": teams["sales"].pk},
        },
    )
    lead = walk(capture(people, 25), people["marketer"], "interest", "consideration")
    handoff = Handoff.objects.get(lead=lead, status="pending")
    receiver = handoff.to_owner
    client = logged_in(client, receiver)
    assert "Buyer25" in client.get(reverse("handoff-inbox")).content.decode()

    response = client.post(
        reverse("handoff-reject", kwargs={"handoff_id": handoff.pk}), {"reason_code": "no_budget", "note": "Frozen"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == ("nurture", people["marketer"])
    page = logged_in(client, people["marketer"]).get(detail(lead)).content.decode()
    assert "Rejected: No budget — Frozen" in page
    assert "Handoff rejected: No budget" in page


def test_handoff_accepted_in_the_inbox(client, people, teams):
    handoff_rule_save(
        actor=people["admin"],
        data={
            "name": "To sales",
            "to_stages": ["consideration"],
            "routing": {"kind": "round_robin", "team": teams["sales"].pk},
        },
    )
    lead = walk(capture(people, 26), people["marketer"], "interest", "consideration")
    handoff = Handoff.objects.get(lead=lead, status="pending")
    client = logged_in(client, handoff.to_owner)

    response = client.post(reverse("handoff-accept", kwargs={"handoff_id": handoff.pk}))
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert (handoff.status, handoff.decided_by) == ("accepted", handoff.to_owner)


def test_definition_propose_shows_validation_errors_and_sign_off_activates(client, people):
    client = logged_in(client, people["marketer"])
    url = reverse("definition-propose", kwargs={"definition_id": LeadDefinition.objects.get(code="MQL").pk})
    bad = client.post(url, {"criteria": '{"conditions": [{"field": "shoe_size", "op": "gte", "value": 1}]}'})
    assert bad.status_code == 422
    assert "shoe_size" in bad.content.decode()
    assert not LeadDefinitionVersion.objects.exists()

    good = client.post(url, {"criteria": '{"conditions": [{"field": "score", "op": "gte", "value": 40}]}'})
    assert good.status_code == 302
    version = LeadDefinitionVersion.objects.get()
    for signer in ("marketing_manager", "sales_manager"):
        logged_in(client, people[signer]).post(reverse("definition-sign-off", kwargs={"version_id": version.pk}))
    version.refresh_from_db()
    assert version.status == "active"
    assert "score ≥ 40" in client.get(reverse("definition-list")).content.decode()


def test_lead_list_and_inbox_query_counts_do_not_grow_with_rows(client, people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(client, people["marketer"])

    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name)).status_code == 200
        return len(captured)

    capture(people, 30)
    few = queries("lead-list"), queries("handoff-inbox")
    for n in range(31, 38):
        capture(people, n, owner=people["rep"], company_domain=f"firm{n}.example")
    assert (queries("lead-list"), queries("handoff-inbox")) == few


def test_move_needing_approval_offers_a_request_and_passes_once_approved(client, people):
    big_deal = {"field": "expected_value", "op": "gte", "value": 100000}
    handoff_rule_save(
        actor=people["admin"],
        data={
            "name": "Big deal",
            "to_stages": ["interest"],
            "escalations": [{"when": big_deal, "role": "revenue_leader", "action": "approve"}],
        },
    )
    lead = capture(people, 40, expected_value=250000)
    client = logged_in(client, people["marketer"])
    move = reverse("lead-move", kwargs={"lead_id": lead.pk})

    refused = client.post(move, {"to_stage": "interest", "from_stage": "awareness"}).content.decode()
    assert "needs approval by a revenue leader" in refused
    assert reverse("lead-approval-ask", kwargs={"lead_id": lead.pk}) in refused
    client.post(reverse("lead-approval-ask", kwargs={"lead_id": lead.pk}), {"to_stage": "interest"})
    request = ApprovalRequest.objects.get(lead=lead, status="pending")

    leader = logged_in(client, people["leader"])
    assert "Big deal" in leader.get(reverse("approval-list")).content.decode()
    leader.post(reverse("approval-approve", kwargs={"request_id": request.pk}), {"note": "Go"})

    response = logged_in(client, people["marketer"]).post(move, {"to_stage": "interest", "from_stage": "awareness"})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage == "interest"
    assert "approved by leader" in client.get(detail(lead)).content.decode()
