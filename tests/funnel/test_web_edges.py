"""Edges of the web UI and of derived texts: a lead in a team's queue, a move that hands the lead away, a
full-name search, long words, and sales-only values kept out of what a marketer reads."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funnel.services.intake import lead_create
from leads.models import Lead
from tests.conftest import leader_escalation
from tests.funnel.conftest import SQL, move

pytestmark = pytest.mark.django_db


def test_the_lead_list_shows_a_lead_nobody_owns_as_its_teams_queue(client, people, make_lead):
    make_lead(last_name="Owned")
    queued = make_lead(last_name="Queued", owner=people["rep"])
    Lead.objects.filter(pk=queued.pk).update(owner=None)  # a team's queue, as routing at capacity leaves it
    client.force_login(people["admin"])
    page = client.get(reverse("lead-list"))
    assert page.status_code == 200
    assert "(Sales queue)" in page.content.decode()
    assert client.get(reverse("lead-detail", kwargs={"lead_id": queued.pk})).status_code == 200


def test_a_move_that_hands_the_lead_out_of_sight_returns_to_the_list_with_the_message(client, people, rule):
    rule("Sales takes intent", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})
    lead = lead_create(actor=people["sdr"], data={"last_name": "Aroha", "email": "aroha@tui.example"})
    for stage in ("interest", "consideration"):
        move(lead, stage, people["sdr"])
    client.force_login(people["sdr"])
    response = client.post(
        reverse("lead-move", kwargs={"lead_id": lead.pk}), {"to_stage": "intent", "from_stage": "consideration"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("lead-list")
    page = client.get(response["Location"]).content.decode()
    assert "Moved Aroha from Consideration to Intent; owner rep. It is now in their hands" in page
    assert Lead.objects.get(pk=lead.pk).stage == "intent"


def test_searching_a_full_name_finds_the_lead(client, people, make_lead):
    dana = make_lead(first_name="Dana", last_name="Haddad", company_name="Cedar Health")
    make_lead(first_name="Dana", last_name="Garcia")
    client.force_login(people["admin"])
    for query in ("Dana Haddad", "haddad dana", "Dana Cedar", "  dana   HADDAD "):
        rows = client.get("/api/v1/leads/", {"q": query}).json()["results"]
        assert [row["id"] for row in rows] == [dana.pk], query
    page = client.get(reverse("lead-list"), {"q": "Dana Haddad"}).content.decode()
    assert f'href="/leads/{dana.pk}/"' in page and "Garcia" not in page


@pytest.fixture
def big_deal(people, make_lead, rule):
    """A $340k lead at evaluation, owned by the rep, whose move passed an escalation on its value."""
    rule(
        "Involve the leader above $100k",
        to_stages=["evaluation"],
        escalations=leader_escalation("involve", at_least=100000),
    )
    lead = make_lead(owner=people["rep"], expected_value=Decimal("340000"), phone="+64 9 555 0100")
    for stage in ("interest", "consideration", "intent", "evaluation"):
        move(lead, stage, people["rep"])
    return lead


def test_a_marketer_reads_the_history_without_the_sales_only_values(people, client_for, big_deal):
    marketer = client_for(people["marketer"])
    history = marketer.get(f"/api/v1/leads/{big_deal.pk}/history/").json()["results"]
    escalation = history[0]["rule_results"][0]
    assert escalation["check"] == "a revenue leader is involved when expected_value ≥ 100000"
    assert escalation["reason"] == "hidden: sales data"
    assert "340000" not in str(history)
    rep_view = client_for(people["rep"]).get(f"/api/v1/leads/{big_deal.pk}/history/").json()["results"]
    assert rep_view[0]["rule_results"][0]["reason"] == "leader involved (expected_value is 340000.00)"


def test_a_marketer_sees_no_sales_only_value_on_the_lead_page(client, people, big_deal):
    client.force_login(people["marketer"])
    page = client.get(reverse("lead-detail", kwargs={"lead_id": big_deal.pk})).content.decode()
    assert "hidden: sales data" in page
    assert "340000" not in page and "340,000" not in page and "555 0100" not in page


def test_approvals_show_a_deal_value_only_to_those_who_see_the_lead_in_full(client, people, big_deal, rule):
    from funnel.services.approvals import approval_request_create

    rule("Leader approves purchases", to_stages=["purchase"], escalations=leader_escalation("approve", at_least=1))
    marketing = [
        {"when": {"field": "expected_value", "op": "gte", "value": 1}, "role": "marketing_manager", "action": "approve"}
    ]
    rule("Marketing manager approves purchases", to_stages=["purchase"], escalations=marketing)
    assert len(approval_request_create(lead=big_deal, to_stage="purchase", actor=people["rep"])) == 2
    for who, url in [
        ("marketer", "approval-list"),
        ("marketing_manager", "approval-list"),
        ("marketing_manager", "home"),
    ]:
        client.force_login(people[who])
        page = client.get(reverse(url)).content.decode()
        assert big_deal.name in page, (who, url)  # the request is listed (and on the approver's dashboard)…
        assert "340,000" not in page, (who, url)  # …without the sales-only value
    client.force_login(people["leader"])
    assert "340,000" in client.get(reverse("approval-list")).content.decode()


def test_evaluating_a_definition_hides_sales_only_criteria_from_a_marketer(people, client_for, signed, big_deal):
    definition = signed("SQL", SQL).definition
    url = f"/api/v1/lead-definitions/{definition.pk}/evaluate/"
    marketer = client_for(people["marketer"]).post(url, {"lead": big_deal.pk}, format="json").json()
    assert marketer["met"] is False  # the shared language: whether it is an SQL, not why
    assert [(c["passed"], c["reason"]) for c in marketer["criteria"]] == [(None, "hidden: sales data")] * 2
    rep = client_for(people["rep"]).post(url, {"lead": big_deal.pk}, format="json").json()
    assert (rep["met"], rep["criteria"][1]["reason"]) == (False, "expected_value is 340000.00")


def test_a_history_row_recorded_before_checks_listed_their_fields_is_judged_by_its_words(people):
    from funnel.selectors import rule_results_for

    legacy = [
        {"rule": "R", "check": "meets SQL", "passed": True, "reason": "SQL v1 met"},
        {"rule": "R", "check": "x", "passed": True, "reason": "not triggered (expected_value is 5000)"},
        {"rule": "R", "check": "score ≥ 40", "passed": True, "reason": "score is 55"},
    ]
    shown = rule_results_for(legacy, full_access=False)
    assert [c["reason"] for c in shown] == ["SQL v1 met", "hidden: sales data", "score is 55"]


@pytest.mark.parametrize("number", ["²", "٣", "9" * 5000])
def test_a_form_number_that_is_no_whole_number_is_refused_in_words_not_a_500(client, people, make_lead, number):
    lead = make_lead(owner=people["rep"])
    client.force_login(people["rep"])
    used = client.post(reverse("lead-collateral-use", kwargs={"lead_id": lead.pk}), {"version": number}, follow=True)
    assert used.status_code == 200 and "Choose the collateral you used." in used.content.decode()
    client.force_login(people["admin"])
    assert client.get(reverse("scoring"), {"preview": number}).status_code == 200  # no such preview: none shown
    answers = {f"s{n}": "3" for n in range(1, 21)} | {"s1": number, "function": "sales"}
    refused = client.post(reverse("diagnostic-answer"), answers)
    assert refused.status_code == 400 and "Statement 1" in refused.content.decode()
