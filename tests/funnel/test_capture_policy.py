"""Capture cannot orphan a lead: every caller gets a lead they can see, owned as the capture policy says,
or a refusal before anything is committed."""

import pytest

from crm.models import Campaign, Company
from funnel.models import RoutingCursor, Transition
from leads.models import Lead
from tests.config.test_problems import assert_problem

pytestmark = pytest.mark.django_db


def capture(client, **fields):
    return client.post(
        "/api/v1/leads/", {"last_name": "Ngata", "email": "ngata@kauri.example", **fields}, format="json"
    )


@pytest.mark.parametrize("who", ["rep", "sdr", "sales_manager", "marketer", "marketing_manager", "leader", "admin"])
def test_a_person_owns_what_they_capture_and_sees_it(people, client_for, who):
    user = people[who]
    response = capture(client_for(user))
    assert response.status_code == 201
    body = response.json()
    assert (body["owner"]["username"], body["team"]["id"], body["full_access"]) == (user.username, user.team_id, True)
    assert client_for(user).get(f"/api/v1/leads/{body['id']}/").status_code == 200
    assert Transition.objects.get(lead_id=body["id"]).to_owner == user


def test_a_rep_may_not_capture_a_lead_for_someone_else(people, client_for):
    response = capture(client_for(people["rep"]), owner=people["rep2"].pk)
    assert "captures leads for themselves" in assert_problem(response, 403, "not_allowed")["detail"]
    assert capture(client_for(people["rep"]), owner=people["rep"].pk).status_code == 201


def test_a_manager_naming_an_owner_they_cannot_see_gets_403_and_nothing_is_written(people, client_for):
    response = capture(client_for(people["sales_manager"]), owner=people["marketer"].pk, company_domain="kauri.example")
    assert "would not be able to see" in assert_problem(response, 403, "not_allowed")["detail"]
    assert not Lead.objects.exists()
    assert not Transition.objects.exists()
    assert not Company.objects.exists()


def test_a_manager_may_capture_for_a_report(people, client_for):
    response = capture(client_for(people["sales_manager"]), owner=people["rep"].pk)
    assert (response.status_code, response.json()["owner"]["username"]) == (201, "rep")


def test_an_integration_capture_is_routed_by_the_rules_for_new_leads(people, token_client_for, rule):
    marketing = people["marketer"].team
    rule("New leads to marketing", to_stages=["awareness"], routing={"kind": "round_robin", "team": marketing.pk})
    response = capture(token_client_for(people["integration"]))
    assert response.status_code == 201
    assert response.json()["owner"]["username"] == "marketer"
    history = Transition.objects.get(lead_id=response.json()["id"])
    assert [(c["check"], c["passed"]) for c in history.rule_results] == [("routing", True)]
    assert RoutingCursor.objects.get(team=marketing).position == 1


def test_an_integration_capture_falls_back_to_the_campaign_owner(people, token_client_for):
    campaign = Campaign.objects.create(name="Kauri webinar", channel="webinar", owner=people["marketer"])
    response = capture(token_client_for(people["integration"]), source_campaign=campaign.pk)
    assert (response.status_code, response.json()["owner"]["username"]) == (201, "marketer")


def test_an_integration_capture_with_nobody_to_own_it_is_refused_with_what_to_set(people, token_client_for):
    response = capture(token_client_for(people["integration"]))
    body = assert_problem(response, 422, "no_owner")
    assert "name an owner" in body["detail"] and "source campaign" in body["detail"]
    assert not Lead.objects.exists()


def test_an_integration_cannot_be_named_owner(people, client_for):
    response = capture(client_for(people["admin"]), owner=people["integration"].pk)
    assert assert_problem(response, 400, "invalid")["errors"] == {"owner": ["integration cannot own leads."]}


def test_a_duplicate_names_the_existing_lead_only_to_who_may_see_it(people, client_for, make_lead):
    existing = make_lead(owner=people["rep"], email="kim@kauri.example")
    hidden = capture(client_for(people["sdr"]), email="Kim+event@Kauri.example")
    body = assert_problem(hidden, 409, "duplicate_lead")
    assert (body["existing_lead"], body["detail"]) == (None, "A lead with this email already exists.")
    seen = capture(client_for(people["rep2"]), email="kim@kauri.example")
    assert assert_problem(seen, 409, "duplicate_lead")["existing_lead"] == existing.pk
    assert Lead.objects.count() == 1
