"""Reassignment: leads change owner without changing stage, set-based, with history, refused whole when wrong."""

import pytest

from accounts.models import Notification
from funnel.models import Handoff, Reassignment
from leads.models import Lead, OwnerStageCount
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _to_rep(rule, people):
    """Marketing hands territory-A leads to the rep at intent: the handoff waits for the rep to accept."""
    rule(
        "To the rep",
        to_stages=["intent"],
        routing={"kind": "match", "field": "territory", "map": {"A": people["rep"].pk}},
    )


def _sales_leads(make_lead, people, n: int) -> list[Lead]:
    leads = []
    for _ in range(n):
        lead = make_lead(owner=people["marketer"], territory="A")
        for stage in ("interest", "consideration", "intent"):
            move(lead, stage, people["admin"])
        leads.append(Lead.objects.get(pk=lead.pk))
    return leads


def _counts() -> dict:
    return {(r.owner_id, r.stage): r.n for r in OwnerStageCount.objects.filter(n__gt=0)}


def test_a_manager_gives_a_lead_to_another_rep_keeping_its_stage_and_its_pending_handoff_follows(
    people, make_lead, client_for, django_capture_on_commit_callbacks
):
    (lead,) = _sales_leads(make_lead, people, 1)
    assert Handoff.objects.get(lead=lead, status="pending").to_owner == people["rep"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people["sales_manager"]).post(
            "/api/v1/reassignments/",
            {"leads": [lead.pk], "to_owner": people["rep2"].pk, "reason": "Rep on leave for two weeks"},
            format="json",
        )
    assert response.json() == {"leads": 1, "handoffs": 1}
    lead.refresh_from_db()
    assert (lead.owner, lead.team, lead.stage) == (people["rep2"], people["rep2"].team, "intent")
    assert Handoff.objects.get(lead=lead, status="pending").to_owner == people["rep2"]
    history = Reassignment.objects.get(lead=lead)
    assert (history.from_owner, history.to_owner, history.actor, history.reason) == (
        people["rep"],
        people["rep2"],
        people["sales_manager"],
        "Rep on leave for two weeks",
    )
    assert _counts() == {(people["rep2"].pk, "intent"): 1}
    assert Notification.objects.filter(recipient=people["rep2"], kind="leads_reassigned").count() == 1
    listed = client_for(people["rep2"]).get(f"/api/v1/reassignments/?lead={lead.pk}").json()["results"]
    assert [row["reason"] for row in listed] == ["Rep on leave for two weeks"]


def test_all_of_a_departing_reps_leads_move_in_one_call(people, make_lead, client_for):
    leads = _sales_leads(make_lead, people, 4)
    response = client_for(people["leader"]).post(
        "/api/v1/reassignments/",
        {"from_owner": people["rep"].pk, "to_owner": people["rep2"].pk, "reason": "Rep left the company"},
        format="json",
    )
    assert response.json()["leads"] == 4
    assert set(Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("owner", flat=True)) == {people["rep2"].pk}
    assert Reassignment.objects.count() == 4
    assert _counts() == {(people["rep2"].pk, "intent"): 4}


@pytest.mark.parametrize(
    ("who", "change", "status", "field"),
    [
        ("rep", {}, 403, None),  # reps do not reassign
        ("sales_manager", {"to_owner": "marketer"}, 400, "to_owner"),  # sales stages: not to marketing
        ("sales_manager", {"reason": "  "}, 400, "reason"),
        ("marketing_manager", {}, 400, "leads"),  # not a lead in the marketing manager's line
        ("sales_manager", {"inactive": True}, 400, "to_owner"),
        ("sales_manager", {"leads": [10**12]}, 400, "leads"),
    ],
)
def test_a_wrong_reassignment_is_refused_whole_naming_the_problem(
    people, make_lead, client_for, who, change, status, field
):
    leads = _sales_leads(make_lead, people, 2)
    if change.pop("inactive", False):
        people["rep2"].is_active = False
        people["rep2"].save()
    body = {"leads": [x.pk for x in leads], "to_owner": people["rep2"].pk, "reason": "Rebalance"}
    if "to_owner" in change:
        change["to_owner"] = people[change["to_owner"]].pk
    response = client_for(people[who]).post("/api/v1/reassignments/", {**body, **change}, format="json")
    assert response.status_code == status, response.json()
    if field:
        assert field in response.json()["errors"]
    assert set(Lead.objects.values_list("owner", flat=True)) == {people["rep"].pk}
    assert not Reassignment.objects.exists()


def test_the_lead_page_shows_who_gave_the_lead_to_whom_and_why(people, make_lead, client, client_for):
    (lead,) = _sales_leads(make_lead, people, 1)
    client_for(people["sales_manager"]).post(
        "/api/v1/reassignments/",
        {"leads": [lead.pk], "to_owner": people["rep2"].pk, "reason": "Territory swap"},
        format="json",
    )
    client.force_login(people["rep2"])
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Given to" in page and "Why: Territory swap" in page and "stage unchanged" in page


def test_a_manager_gives_chosen_leads_away_from_the_lead_list(people, make_lead, client):
    leads = _sales_leads(make_lead, people, 2)
    client.force_login(people["sales_manager"])
    page = client.get("/leads/").content.decode()
    assert "Give them (stage unchanged)" in page
    response = client.post(
        "/leads/bulk-reassign/",
        {"ids": [str(x.pk) for x in leads], "to_owner": people["rep2"].pk, "reason": "Rep on leave"},
        follow=True,
    )
    assert "Gave 2 leads to" in response.content.decode()
    assert set(Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("owner", "stage")) == {
        (people["rep2"].pk, "intent")
    }
    refused = client.post(
        "/leads/bulk-reassign/",
        {"ids": [str(leads[0].pk)], "to_owner": people["marketer"].pk, "reason": "Wrong"},
        follow=True,
    )
    assert "works in marketing" in refused.content.decode()
    assert Lead.objects.get(pk=leads[0].pk).owner == people["rep2"]


def test_reps_are_not_offered_to_give_leads_away(people, client):
    client.force_login(people["rep"])
    assert "Give them (stage unchanged)" not in client.get("/leads/").content.decode()


def test_a_manager_gives_a_card_away_from_the_board_and_returns_to_the_board(people, make_lead, client):
    (lead,) = _sales_leads(make_lead, people, 1)
    client.force_login(people["sales_manager"])
    board = client.get("/board/").content.decode()
    assert f'data-give="{lead.pk}"' in board and 'id="give-dialog"' in board
    response = client.post(
        "/leads/bulk-reassign/",
        {"ids": str(lead.pk), "to_owner": people["rep2"].pk, "reason": "Rep on leave", "next": "/board/"},
    )
    assert response.status_code == 302 and response["Location"] == "/board/"
    lead.refresh_from_db()
    assert (lead.owner, lead.stage) == (people["rep2"], "intent")
    assert Reassignment.objects.get(lead=lead).reason == "Rep on leave"


def test_the_lead_page_offers_the_give_form_to_managers_only(people, make_lead, client):
    (lead,) = _sales_leads(make_lead, people, 1)
    client.force_login(people["sales_manager"])
    assert 'id="give"' in client.get(f"/leads/{lead.pk}/").content.decode()
    client.force_login(people["rep"])
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'id="give"' not in page
    assert "data-give=" not in client.get("/board/").content.decode()


def test_the_team_page_hands_over_every_lead_of_a_departing_rep(people, make_lead, client):
    leads = _sales_leads(make_lead, people, 3)
    client.force_login(people["sales_manager"])
    assert "Hand over all their leads" in client.get("/team/").content.decode()
    response = client.post(
        "/team/hand-over/",
        {"from_owner": people["rep"].pk, "to_owner": people["rep2"].pk, "reason": "Leaves on Friday"},
        follow=True,
    )
    assert "Gave 3 leads of" in response.content.decode()
    assert set(Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("owner", "stage")) == {
        (people["rep2"].pk, "intent")
    }
    assert Reassignment.objects.filter(reason="Leaves on Friday", from_owner=people["rep"]).count() == 3


def test_the_hand_over_is_refused_to_a_rep_and_names_a_bad_target(people, make_lead, client):
    leads = _sales_leads(make_lead, people, 1)
    client.force_login(people["rep"])
    response = client.post(
        "/team/hand-over/", {"from_owner": people["rep"].pk, "to_owner": people["rep2"].pk, "reason": "x"}
    )
    assert response.status_code == 403
    client.force_login(people["sales_manager"])
    refused = client.post(
        "/team/hand-over/",
        {"from_owner": people["rep"].pk, "to_owner": people["marketer"].pk, "reason": "Wrong"},
        follow=True,
    ).content.decode()
    assert "works in marketing" in refused
    junk = client.post("/team/hand-over/", {"from_owner": "abc", "to_owner": "", "reason": ""}, follow=True)
    assert "from_owner" in junk.content.decode()
    assert Lead.objects.get(pk=leads[0].pk).owner == people["rep"]
