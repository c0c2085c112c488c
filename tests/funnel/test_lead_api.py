"""The lead API: visibility per role, filters, query counts, and the stage reachable only by transition."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Campaign
from funnel.models import HandoffRule, Transition
from leads.models import Lead, OwnerStageCount
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(people, make_lead):
    """L1 marketing's (interest), L2 rep's (intent), L3 rep2's (evaluation), L4 the SDR's (consideration)."""
    l1 = make_lead(owner=people["marketer"], expected_value=Decimal("1000"))
    move(l1, "interest", people["marketer"])
    leads = {"l1": l1}
    for key, owner, path in (
        ("l2", "rep", ["interest", "consideration", "intent"]),
        ("l3", "rep2", ["interest", "consideration", "intent", "evaluation"]),
        ("l4", "sdr", ["interest", "consideration"]),
    ):
        lead = make_lead(owner=people[owner], expected_value=Decimal("5000"))
        for stage in path:
            move(lead, stage, people[owner])
        leads[key] = lead
    return leads


def visible(client) -> dict[int, bool]:
    return {row["id"]: row["full_access"] for row in client.get("/api/v1/leads/").json()["results"]}


@pytest.mark.parametrize(
    ("who", "full", "marketing_only"),
    [
        ("rep", {"l2", "l3"}, set()),
        ("rep2", {"l2", "l3"}, set()),
        ("sdr", {"l4"}, set()),
        ("marketer", {"l1"}, {"l2", "l3", "l4"}),
        ("sales_manager", {"l2", "l3", "l4"}, set()),
        ("marketing_manager", {"l1"}, {"l2", "l3", "l4"}),
        ("leader", {"l1", "l2", "l3", "l4"}, set()),
        ("admin", {"l1", "l2", "l3", "l4"}, set()),
        ("integration", {"l1", "l2", "l3", "l4"}, set()),
    ],
)
def test_each_role_sees_its_leads_on_list_and_detail(story, people, client_for, who, full, marketing_only):
    client = client_for(people[who])
    expected = {story[k].pk: True for k in full} | {story[k].pk: False for k in marketing_only}
    assert visible(client) == expected
    for key, lead in story.items():
        response = client.get(f"/api/v1/leads/{lead.pk}/")
        if key in full | marketing_only:
            assert response.status_code == 200
            assert (response.json()["expected_value"] is None) is (key in marketing_only)
        else:
            assert response.status_code == 404, (who, key)


def test_marketing_only_viewer_cannot_change_or_move(story, people, client_for):
    client = client_for(people["marketer"])
    lead = story["l2"]
    assert client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "CFO"}, format="json").status_code == 403
    assert (
        client.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "evaluation"}, format="json").status_code
        == 403
    )
    assert Lead.objects.get(pk=lead.pk).stage == "intent"


def test_invisible_lead_actions_are_404(story, people, client_for):
    client = client_for(people["rep"])
    lead = story["l1"]
    assert (
        client.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "consideration"}, format="json").status_code
        == 404
    )
    assert client.get(f"/api/v1/leads/{lead.pk}/history/").status_code == 404


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who", ["rep", "sales_manager", "marketer", "admin"])
def test_list_query_count_does_not_grow_with_page_size(people, client_for, make_lead, who):
    campaign = Campaign.objects.create(name="Spring webinar", channel="webinar")
    for n in range(12):
        lead = make_lead(
            owner=people["rep"] if n % 2 else people["marketer"],
            company_domain=f"co{n}.example",
            source_campaign=campaign,
        )
        assert lead.company_id
    client = client_for(people[who])
    small, large = queries_for(client, "/api/v1/leads/?page_size=2"), queries_for(client, "/api/v1/leads/?page_size=50")
    assert small == large
    assert large <= 4


def test_list_query_count_with_a_token_is_bounded_too(people, token_client_for, make_lead):
    for _ in range(6):
        make_lead()
    client = token_client_for(people["integration"])
    client.get("/api/v1/leads/")  # the first use stamps last_used_at
    assert queries_for(client, "/api/v1/leads/?page_size=2") == queries_for(client, "/api/v1/leads/?page_size=50") <= 4


def test_list_pages_with_a_cursor_and_no_count(people, client_for, make_lead):
    ids = [make_lead().pk for _ in range(5)]
    client = client_for(people["admin"])
    first = client.get("/api/v1/leads/?page_size=2").json()
    assert "count" not in first
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == sorted(ids, reverse=True)
    assert third["next"] is None


def test_filters(people, client_for, make_lead):
    campaign = Campaign.objects.create(name="Trade show", channel="event")
    a = make_lead(last_name="Okafor", company_name="Zephyr Labs", source_campaign=campaign)
    b = make_lead(last_name="Lindqvist", email="Anna+promo@Nordic.example", owner=people["rep"])
    Lead.objects.filter(pk=a.pk).update(score=70)
    move(b, "interest", people["rep"])
    client = client_for(people["admin"])

    def ids(query):
        return {row["id"] for row in client.get(f"/api/v1/leads/?{query}").json()["results"]}

    assert ids("stage=interest") == {b.pk}
    assert ids("stage=interest&stage=awareness") == {a.pk, b.pk}
    assert ids(f"owner={people['rep'].pk}") == {b.pk}
    assert ids(f"team={people['rep'].team_id}") == {b.pk}
    assert ids(f"campaign={campaign.pk}") == {a.pk}
    assert ids("score_min=50") == {a.pk}
    assert ids("score_max=10") == {b.pk}
    assert ids("q=okaf") == {a.pk}
    assert ids("q=zephyr") == {a.pk}
    assert ids("q=anna@nordic.example") == {b.pk}
    assert ids("created_after=2000-01-01T00:00:00Z&created_before=2100-01-01T00:00:00Z") == {a.pk, b.pk}
    assert ids("created_after=2100-01-01T00:00:00Z") == set()


def test_create_links_the_company_and_refuses_duplicates(people, client_for):
    client = client_for(people["marketer"])
    body = {
        "first_name": "Jo",
        "last_name": "Park",
        "email": "Jo.Park+ads@Acme.example",
        "company_domain": "https://www.ACME.example/about",
    }
    created = client.post("/api/v1/leads/", body, format="json")
    assert created.status_code == 201
    assert (created.json()["stage"], created.json()["company"]["name"]) == ("awareness", "acme.example")
    duplicate = client.post("/api/v1/leads/", {**body, "email": "jo.park@acme.example"}, format="json")
    assert duplicate.status_code == 409
    assert duplicate.json()["existing_lead"] == created.json()["id"]
    assert Lead.objects.count() == 1


def test_stage_cannot_be_set_on_create_or_patch(people, client_for, make_lead):
    client = client_for(people["admin"])
    refused = client.post("/api/v1/leads/", {"last_name": "X", "stage": "purchase"}, format="json")
    assert refused.status_code == 400
    assert "stage" in refused.json()["errors"]
    lead = make_lead()
    patched = client.patch(f"/api/v1/leads/{lead.pk}/", {"stage": "purchase", "title": "CEO"}, format="json")
    assert patched.status_code == 400
    assert patched.json()["errors"]["stage"] == ["Changed only through POST /api/v1/leads/{id}/transition/."]
    assert client.put(f"/api/v1/leads/{lead.pk}/", {"last_name": "Y"}, format="json").status_code == 405
    lead.refresh_from_db()
    assert (lead.stage, lead.title) == ("awareness", "")
    ok = client.patch(f"/api/v1/leads/{lead.pk}/", {"title": "CEO", "has_budget": True}, format="json")
    assert (ok.status_code, ok.json()["title"], ok.json()["has_budget"]) == (200, "CEO", True)


def test_admin_cannot_change_the_stage(people, client, make_lead):
    lead = make_lead()
    client.force_login(people["admin"])
    page = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert 'name="stage"' not in page and 'name="owner"' not in page
    client.post(
        f"/admin/leads/lead/{lead.pk}/change/",
        {"last_name": lead.last_name, "currency": "USD", "score": 0, "stage": "purchase"},
    )
    lead.refresh_from_db()
    assert lead.stage == "awareness"


def test_admin_shows_the_owner_stage_counts_and_the_history_but_never_edits_them(people, client, make_lead):
    lead = make_lead()
    client.force_login(people["admin"])
    count = OwnerStageCount.objects.get(owner=people["marketer"], stage="awareness")
    assert count.n == 1
    assert "awareness" in client.get("/admin/leads/ownerstagecount/").content.decode()
    assert client.get("/admin/leads/ownerstagecount/add/").status_code == 403
    client.post(f"/admin/leads/ownerstagecount/{count.pk}/delete/", {"post": "yes"})
    edited = {"owner": people["marketer"].pk, "stage": "awareness", "n": 99}
    client.post(f"/admin/leads/ownerstagecount/{count.pk}/change/", edited)
    count.refresh_from_db()
    assert count.n == 1
    history = client.get(f"/admin/funnel/transition/?lead__id__exact={lead.pk}")
    assert history.status_code == 200
    assert client.get("/admin/funnel/transition/add/").status_code == 403


def test_transition_endpoint_moves_and_reports_rule_results(people, client_for, make_lead, rule):
    rule("Score gate", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 30}])
    lead = make_lead()
    client = client_for(people["marketer"])
    refused = client.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "interest"}, format="json")
    assert refused.status_code == 422
    assert refused.json()["code"] == "transition_refused"
    assert [(f["rule"], f["reason"]) for f in refused.json()["failed"]] == [("Score gate", "score is 0")]
    illegal = client.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "purchase"}, format="json")
    assert (illegal.status_code, illegal.json()["code"]) == (422, "illegal_move")
    Lead.objects.filter(pk=lead.pk).update(score=30)
    moved = client.post(
        f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "interest", "reason": "Webinar"}, format="json"
    )
    assert moved.status_code == 201
    assert moved.json()["rule_results"][0]["passed"] is True
    stale = client.post(
        f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "consideration", "from_stage": "awareness"}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["current_stage"] == "interest"
    history = client.get(f"/api/v1/leads/{lead.pk}/history/").json()["results"]
    assert [(h["from_stage"], h["to_stage"]) for h in history] == [("awareness", "interest"), (None, "awareness")]
    assert Transition.objects.filter(lead=lead).count() == 2


def test_rules_api_validates_every_part_and_saves_nothing_malformed(people, client_for):
    client = client_for(people["sales_manager"])
    bad = {
        "name": "Broken",
        "to_stages": ["intent"],
        "preconditions": [{"kind": "min_score", "score": 0}, {"kind": "definition_met"}],
        "routing": {"kind": "round_robin", "team": "sales"},
        "escalations": [
            {"when": {"field": "expected_value", "op": "gte", "value": 1}, "role": "king", "action": "approve"}
        ],
    }
    response = client.post("/api/v1/handoff-rules/", bad, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "preconditions": [
            "preconditions[0].score: must be a whole number from 1 to 100.",
            "preconditions[1].level: required for kind definition_met.",
        ],
        "routing": ["routing.team: must be a team id."],
        "escalations": [
            "escalations[0].role: 'king' is not a role; use "
            "sales_rep, sdr, marketer, sales_manager, marketing_manager, revenue_leader, admin, integration."
        ],
    }
    missing = client.post(
        "/api/v1/handoff-rules/",
        {"name": "Ghost team", "routing": {"kind": "round_robin", "team": 999999}},
        format="json",
    )
    assert missing.json()["errors"] == {"references": ["routing: team 999999 does not exist."]}
    assert not HandoffRule.objects.exists()
    good = client.post(
        "/api/v1/handoff-rules/",
        {"name": "Good", "to_stages": ["intent"], "preconditions": [{"kind": "min_score", "score": 20}]},
        format="json",
    )
    assert good.status_code == 201
    assert client_for(people["rep"]).post("/api/v1/handoff-rules/", {"name": "Mine"}, format="json").status_code == 403
    patched = client.patch(
        f"/api/v1/handoff-rules/{good.json()['id']}/", {"preconditions": [{"kind": "nope"}]}, format="json"
    )
    assert patched.status_code == 400
    assert HandoffRule.objects.get().preconditions == [{"kind": "min_score", "score": 20}]


def test_stage_owner_is_configurable_by_an_administrator_only(people, client_for, make_lead):
    assert (
        client_for(people["sales_manager"])
        .patch("/api/v1/stages/consideration/", {"owning_function": "sales"}, format="json")
        .status_code
        == 403
    )
    response = client_for(people["admin"]).patch(
        "/api/v1/stages/consideration/", {"owning_function": "sales"}, format="json"
    )
    assert (response.status_code, response.json()["owning_function"]) == (200, "sales")
    stages = client_for(people["rep"]).get("/api/v1/stages/").json()
    assert [s["key"] for s in stages][:3] == ["awareness", "interest", "consideration"]
    assert stages[0]["moves_to"] == ["interest", "lost", "nurture"]
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    move(lead, "consideration", people["marketer"])
    assert Lead.objects.get(pk=lead.pk).owning_function == "sales"


def test_duplicate_of_a_lead_you_cannot_see_does_not_name_it(people, client_for, make_lead):
    make_lead(owner=people["rep"], email="kim@secret.example")
    response = client_for(people["sdr"]).post(
        "/api/v1/leads/", {"last_name": "Kim", "email": "kim@secret.example"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["existing_lead"] is None
    assert response.json()["detail"] == "A lead with this email already exists."


@pytest.mark.parametrize("who", ["admin", "marketer"])
def test_list_rows_equal_the_detail_representation(story, people, client_for, who):
    Campaign.objects.create(name="Fall", channel="email")
    Lead.objects.filter(pk=story["l2"].pk).update(source_campaign=Campaign.objects.get(), has_need=True)
    client = client_for(people[who])
    rows = client.get("/api/v1/leads/").json()["results"]
    assert len(rows) == 4
    for row in rows:
        assert row == client.get(f"/api/v1/leads/{row['id']}/").json()


def test_admin_refuses_a_malformed_rule_naming_the_part(people, client):
    client.force_login(people["admin"])
    form = {
        "name": "Broken in admin",
        "is_active": "on",
        "priority": 100,
        "from_stages": "",
        "to_stages": "intent",
        "preconditions": '[{"kind": "min_score", "score": 500}]',
        "routing": '{"kind": "keep"}',
        "escalations": "[]",
        "sla_clock": "working",
    }
    page = client.post("/admin/funnel/handoffrule/add/", form).content.decode()
    assert "preconditions: preconditions[0].score: must be a whole number from 1 to 100." in page
    assert not HandoffRule.objects.exists()
    client.post("/admin/funnel/handoffrule/add/", {**form, "preconditions": '[{"kind": "min_score", "score": 50}]'})
    assert HandoffRule.objects.get().preconditions == [{"kind": "min_score", "score": 50}]


def test_a_gross_margin_above_the_value_is_refused_naming_it_on_capture_and_edit(people, client_for):
    client = client_for(people["admin"])
    body = {"last_name": "Margin", "expected_value": "1000", "gross_margin": "1500"}
    refused = client.post("/api/v1/leads/", body, format="json")
    assert refused.status_code == 400 and "gross_margin" in refused.json()["errors"]
    assert not Lead.objects.filter(last_name="Margin").exists()
    created = client.post("/api/v1/leads/", {**body, "gross_margin": "400"}, format="json").json()
    assert created["gross_margin"] == "400.00"
    patched = client.patch(f"/api/v1/leads/{created['id']}/", {"gross_margin": "-1"}, format="json")
    assert patched.status_code == 400 and "gross_margin" in patched.json()["errors"]
    assert Lead.objects.get(pk=created["id"]).gross_margin == 400
