"""The routing API: a team's people with their settings and state, a person's settings patched by whom the
rules allow, and each person's share against their weight; bad input is a 400 naming it, never a 500."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from funnel.routing.people import routing_settings_update
from tests.accounts.factories import UserFactory
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/routing/people/"
SHARE = "/api/v1/routing/share/"


def person(user) -> str:
    return f"{PEOPLE}{user.pk}/"


def test_a_manager_lists_their_teams_people_with_settings_and_state(api, people, teams):
    routing_settings_update(actor=people["sales_manager"], user=people["rep2"], routing_paused=True, routing_cap=4)
    body = api(people["sales_manager"]).get(PEOPLE).json()
    assert body["team"] == {"id": teams["sales"].pk, "name": "Sales"}
    rows = {row["username"]: row for row in body["people"]}
    assert set(rows) == {"rep", "rep2"}  # the manager takes no routed leads
    assert rows["rep"]["routing_weight"] == "1.00" and rows["rep"]["routing_cap"] is None
    assert rows["rep"]["hours"] == "Mon–Fri 09:00–17:00 UTC"
    assert (rows["rep2"]["routing_paused"], rows["rep2"]["available"], rows["rep2"]["state"]) == (
        True,
        False,
        "routing paused",
    )
    assert (rows["rep2"]["pending"], rows["rep2"]["away_until"], rows["rep2"]["routing_cap"]) == (0, None, 4)


def test_a_rep_reads_their_own_team_but_not_anothers(api, people, teams):
    client = api(people["rep"])
    assert client.get(PEOPLE).json()["team"]["name"] == "Sales"
    response = client.get(PEOPLE, {"team": teams["marketing"].pk})
    assert response.status_code == 404
    assert response.json()["detail"] == "No such team (or not one whose routing you can see)."


def test_a_revenue_leader_reads_any_team(api, people, teams):
    body = api(people["leader"]).get(PEOPLE, {"team": teams["marketing"].pk}).json()
    assert [row["username"] for row in body["people"]] == ["marketer"]


def test_a_person_with_no_team_must_name_one(api, people):
    loner = UserFactory(username="loner", team=None)
    response = api(loner).get(PEOPLE)
    assert response.status_code == 400
    assert response.json()["errors"] == {"team": ["You belong to no team; name one with ?team=."]}
    assert api(loner).get(SHARE).status_code == 400


@pytest.mark.parametrize("team", ["abc", "0", "-3", "1.5", "99999999999999999999999", "1\x00", "9" * 100_000])
def test_a_team_that_is_not_an_id_is_a_400(api, people, team):
    for url in (PEOPLE, SHARE):
        response = api(people["sales_manager"]).get(url, {"team": team})
        assert response.status_code == 400, (url, team[:20])
        assert "team" in response.json()["errors"]


def test_the_list_costs_the_same_queries_for_two_people_or_six(api, people, teams):
    client = api(people["sales_manager"])
    with CaptureQueriesContext(connection) as two:
        assert len(client.get(PEOPLE).json()["people"]) == 2
    for n in range(4):
        UserFactory(username=f"more{n}", team=teams["sales"])
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(PEOPLE).json()["people"]) == 6
    assert len(six) == len(two)


# PATCH ---------------------------------------------------------------------------------------------------------


def test_the_manager_patches_weight_cap_and_pause(api, people):
    response = api(people["sales_manager"]).patch(
        person(people["rep"]), {"routing_weight": "0.5", "routing_cap": 2, "routing_paused": True}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["routing_weight"], body["routing_cap"], body["routing_paused"]) == ("0.50", 2, True)
    assert body["state"] == "routing paused"
    stored = User.objects.get(pk=people["rep"].pk)
    assert (str(stored.routing_weight), stored.routing_cap, stored.routing_paused) == ("0.50", 2, True)


def test_a_number_weight_and_a_null_cap_are_accepted(api, people):
    client = api(people["sales_manager"])
    assert client.patch(person(people["rep"]), {"routing_cap": 3}).json()["routing_cap"] == 3
    body = client.patch(person(people["rep"]), {"routing_weight": 2, "routing_cap": None}).json()
    assert (body["routing_weight"], body["routing_cap"]) == ("2.00", None)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"routing_weight": 0},
            "routing_weight",
            "The weight must be above 0; pause the person to give them no leads.",
        ),
        (
            {"routing_weight": "-2"},
            "routing_weight",
            "The weight must be above 0; pause the person to give them no leads.",
        ),
        ({"routing_weight": 11}, "routing_weight", "The weight may be at most 10."),
        ({"routing_weight": "heavy"}, "routing_weight", "'heavy' is not a number."),
        ({"routing_weight": "1" * 100_000}, "routing_weight", f"{'1' * 100_000!r}"[:37] + "... is not a number."),
        ({"routing_weight": {"a": 1}}, "routing_weight", "{'a': 1} is not a number."),
        ({"routing_weight": True}, "routing_weight", "True is not a number."),
        ({"routing_weight": None}, "routing_weight", "This field may not be null."),
        ({"routing_cap": -1}, "routing_cap", "The cap may not be below 0; leave it empty for no cap."),
        ({"routing_cap": "3"}, "routing_cap", "'3' is not a whole number; leave it empty for no cap."),
        ({"routing_cap": 10**30}, "routing_cap", "The cap may be at most 10,000; leave it empty for no cap."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "'Mars/Olympus' is not a known time zone (e.g. Europe/Berlin)."),
        ({"time_zone": "x" * 100_000}, "time_zone", "Ensure this field has no more than 64 characters."),
        ({"work_days": [0, 0]}, "work_days", "Mon (0) is listed twice."),
        ({"work_days": [9]}, "work_days", "9 is not a day; days run from 0 (Monday) to 6 (Sunday)."),
        ({"work_days": "mon"}, "work_days", "List 1 to 7 days (0 = Monday … 6 = Sunday), or none for the team's days."),
        ({"work_ends": "08:00"}, "work_ends", "Work must end after it starts: 08:00 is not after 09:00 (the team's)."),
    ],
)
def test_bad_settings_are_a_400_naming_the_field(api, people, body, field, message):
    response = api(people["sales_manager"]).patch(person(people["rep"]), body)
    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}


@pytest.mark.parametrize(
    "body",
    [
        {"work_starts": "25:00"},
        {"work_starts": "2026-02-31T09:00"},
        {"work_ends": "09:00+19:00"},
        {"routing_paused": "maybe"},
        {"time_zone": "Europe/Berlin\x00"},
    ],
)
def test_times_and_flags_that_make_no_sense_are_a_400(api, people, body):
    response = api(people["rep"]).patch(person(people["rep"]), body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(body)


def test_json_nested_five_thousand_deep_is_a_400(client_for, people):
    deep = '{"work_days": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client_for(people["rep"]).patch(person(people["rep"]), deep, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert "nested deeper than" in body["detail"] + str(body.get("errors", ""))


def test_a_body_that_is_not_an_object_is_a_400(api, people):
    response = api(people["rep"]).patch(person(people["rep"]), [1, 2])
    assert response.status_code == 400


def test_a_person_sets_their_own_hours_and_pause_but_not_their_weight(api, people):
    client = api(people["rep"])
    hours = {"time_zone": "Europe/Berlin", "work_days": [0, 1, 2], "work_starts": "08:00", "work_ends": "16:00"}
    body = client.patch(person(people["rep"]), {**hours, "routing_paused": True}).json()
    assert body["hours"] == "Mon–Wed 08:00–16:00 Europe/Berlin"
    assert (body["work_starts"], body["work_ends"], body["routing_paused"]) == ("08:00:00", "16:00:00", True)
    refused = client.patch(person(people["rep"]), {"routing_weight": 3})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "You may not set your own routing weight or cap; your manager does."


def test_a_teammate_may_read_but_not_set_anothers_routing(api, people):
    response = api(people["rep"]).patch(person(people["rep2"]), {"routing_paused": True})
    assert response.status_code == 403
    assert response.json()["detail"] == "Only rep2's manager, a revenue leader or an administrator sets their routing."
    assert User.objects.get(pk=people["rep2"].pk).routing_paused is False


def test_someone_outside_the_teams_you_see_is_not_found(api, people):
    response = api(people["rep"]).patch(person(people["marketer"]), {"routing_paused": True})
    assert response.status_code == 404
    assert response.json()["detail"] == "No such person (or not one whose routing you can see)."


@pytest.mark.parametrize("path", ["abc/", "99999999999999999999999/", "0/", "-1/"])
def test_a_person_id_that_is_not_a_number_or_too_big_is_a_404(api, people, path):
    response = api(people["admin"]).patch(f"{PEOPLE}{path}", {"routing_paused": True})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_there_is_no_put(api, people):
    assert api(people["sales_manager"]).put(person(people["rep"]), {"routing_paused": True}).status_code == 405


def test_a_read_only_token_may_not_patch(token_client_for, people):
    client = token_client_for(people["sales_manager"], scopes=["users:read"])
    assert client.get(PEOPLE).status_code == 200
    response = client.patch(person(people["rep"]), {"routing_paused": True}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token lacks the 'users:write' scope."


def test_anonymous_is_refused(anonymous_client):
    assert anonymous_client.get(PEOPLE).status_code in (401, 403)


# Share --------------------------------------------------------------------------------------------------------


@pytest.fixture
def routed(people, teams, rule, make_lead):
    """Six leads routed in Sales with weights 2 (rep) and 1 (rep2): 4 and 2."""
    routing_settings_update(actor=people["sales_manager"], user=people["rep"], routing_weight=2)
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": teams["sales"].pk})
    for _ in range(6):
        lead = make_lead()
        for stage in ("interest", "consideration", "intent"):
            move(lead, stage, people["marketer"])
    return teams["sales"]


def test_the_share_of_the_last_30_days_by_default(api, people, routed):
    body = api(people["sales_manager"]).get(SHARE).json()
    today = timezone.now().date()
    assert (body["since"], body["until"]) == (str(today - timedelta(days=29)), str(today))
    assert (body["team"]["name"], body["routed"], body["queued"]) == ("Sales", 6, 0)
    assert [(p["name"], p["weight"], p["won"], p["expected"], p["actual"]) for p in body["people"]] == [
        ("rep", "2.00", 4, "0.6667", "0.6667"),
        ("rep2", "1.00", 2, "0.3333", "0.3333"),
    ]


def test_the_share_of_a_period_with_no_decisions_is_zero(api, people, routed):
    body = api(people["rep"]).get(SHARE, {"since": "2026-01-01", "until": "2026-01-31"}).json()
    assert (body["routed"], [p["won"] for p in body["people"]]) == (0, [0, 0])


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"since": "2026-03-02", "until": "2026-03-01"},
            "since",
            "The period starts (2026-03-02) after it ends (2026-03-01).",
        ),
        (
            {"since": "2025-01-01", "until": "2026-01-02"},
            "until",
            "The period may cover at most 366 days; it covers 367.",
        ),
        ({"since": "2026-02-31"}, "since", None),
        ({"until": "2026-13-01"}, "until", None),
        ({"since": "2026-01-01T00:00+19:00"}, "since", None),
        ({"since": "yesterday"}, "since", None),
        ({"until": "0001-01-01"}, "until", "0001-01-01 is outside 2000-01-01 … 2100-12-31."),
        ({"since": "9999-12-31", "until": "9999-12-31"}, "since", "9999-12-31 is outside 2000-01-01 … 2100-12-31."),
        ({"since": "2026-01-01\x00"}, "since", None),
        ({"since": "2" * 100_000}, "since", None),
    ],
)
def test_a_period_that_makes_no_sense_is_a_400_naming_it(api, people, routed, query, field, message):
    response = api(people["sales_manager"]).get(SHARE, query)
    assert response.status_code == 400, response.content[:200]
    errors = response.json()["errors"]
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]


def test_a_marketer_cannot_see_the_sales_share(api, people, routed):
    assert api(people["marketer"]).get(SHARE, {"team": routed.pk}).status_code == 404


def test_the_schema_documents_the_routing_operations(api, people):
    schema = api(people["admin"]).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/routing/people/"]
    assert set(paths["/api/v1/routing/people/{user_id}/"]) >= {"patch"}
    assert "put" not in paths["/api/v1/routing/people/{user_id}/"]
    assert {p["name"] for p in paths["/api/v1/routing/share/"]["get"]["parameters"]} == {"team", "since", "until"}
    settings = schema["components"]["schemas"]["PatchedSettingsRequest"]["properties"]
    assert set(settings) == {
        "routing_weight",
        "routing_cap",
        "routing_paused",
        "time_zone",
        "work_days",
        "work_starts",
        "work_ends",
    }


def test_an_integration_reads_its_own_team_which_routes_to_nobody(token_client_for, people):
    body = token_client_for(people["integration"]).get(PEOPLE).json()
    assert (body["team"]["name"], body["people"]) == ("Revenue", [])
    assert people["integration"].role == Role.INTEGRATION
