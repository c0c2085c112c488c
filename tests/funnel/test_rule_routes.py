"""The `rules` routing kind (routes of criteria, each naming a team, and a fallback team) through the API and
the rule pages: saved when valid, refused with 400/422 naming the route and the condition when not, and read
back in words on the rule list."""

import json

import pytest
from django.urls import reverse

from funnel.models import HandoffRule
from leads.criteria import shown

pytestmark = pytest.mark.django_db
URL = "/api/v1/handoff-rules/"


def _rules(teams, *routes, fallback=None) -> dict:
    spec = {"kind": "rules", "routes": list(routes)}
    if fallback is not None:
        spec["fallback_team"] = fallback
    return spec


def _route(team, *conditions) -> dict:
    return {"when": {"conditions": list(conditions)}, "team": team.pk}


KEY_ACCOUNTS = {"field": "key_account", "op": "is_true"}
BIG = {"field": "size_band", "op": "in", "value": ["1001-5000", "5001+"]}
EMEA = {"field": "territory", "op": "eq", "value": "EMEA"}
LONG = "x" * 100_000


def _post(client, routing, name="Routes"):
    return client.post(URL, {"name": name, "to_stages": ["intent"], "routing": routing}, format="json")


def test_a_valid_rules_routing_is_saved_as_sent(people, teams, client_for):
    routing = _rules(
        teams, _route(teams["sales"], KEY_ACCOUNTS, BIG), _route(teams["sdr"], EMEA), fallback=teams["sdr"].pk
    )
    response = _post(client_for(people["sales_manager"]), routing)
    assert response.status_code == 201, response.json()
    assert response.json()["routing"] == routing
    assert HandoffRule.objects.get(name="Routes").routing == routing


def test_a_bad_criterion_inside_a_route_is_refused_naming_the_route_and_the_condition(people, teams, client_for):
    bad = {"field": "territory", "op": "between", "value": "EMEA"}
    routing = _rules(teams, _route(teams["sales"], KEY_ACCOUNTS), _route(teams["sdr"], EMEA, bad))
    response = _post(client_for(people["sales_manager"]), routing)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "routing": [
            "routing.routes[1].when: criteria.conditions[1].op: 'between' is not an operator for text field "
            "territory; use eq, ne, in, not_in, present, absent."
        ]
    }
    assert not HandoffRule.objects.exists()


def test_a_route_naming_a_team_that_does_not_exist_is_refused(people, teams, client_for):
    response = _post(
        client_for(people["sales_manager"]), _rules(teams, _route(teams["sales"], EMEA) | {"team": 999999})
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"references": ["routing: team 999999 does not exist."]}
    fallback = _post(client_for(people["sales_manager"]), _rules(teams, _route(teams["sales"], EMEA), fallback=888888))
    assert fallback.json()["errors"] == {"references": ["routing: team 888888 does not exist."]}
    assert not HandoffRule.objects.exists()


@pytest.mark.parametrize(
    ("routes", "problem"),
    [
        ([], "routing.routes: must list 1 to 50 routes, each {when, team}."),
        ([{"when": {"conditions": [EMEA]}}], "routing.routes[0]: must have exactly the keys when and team."),
        ([{"when": {"conditions": [EMEA]}, "team": "sales"}], "routing.routes[0].team: must be a team id."),
        ([{"when": {"conditions": [EMEA]}, "team": True}], "routing.routes[0].team: must be a team id."),
        ([{"when": {"conditions": []}, "team": 1}], "routing.routes[0].when: criteria.conditions: must be a list of 1"),
        (
            [{"when": {"conditions": [{"field": "territory", "op": "eq", "value": LONG}]}, "team": 1}],
            f"routing.routes[0].when: criteria.conditions[0].value: {shown(LONG)} is not a string of at most 200.",
        ),
        (
            [{"when": {"conditions": [{"field": "territory", "op": "eq", "value": "EM\x00EA"}]}, "team": 1}],
            "routing.routes[0].when.conditions[0].value: contains a NUL character",
        ),
    ],
)
def test_malformed_routes_are_refused_naming_where(people, teams, client_for, routes, problem):
    response = _post(client_for(people["sales_manager"]), {"kind": "rules", "routes": routes})
    assert response.status_code == 400
    assert response.json()["errors"]["routing"][0].startswith(problem)
    assert not HandoffRule.objects.exists()


def test_routes_nested_five_thousand_deep_are_refused_without_walking_them(people, teams, client_for):
    deep = "[" * 5000 + '"EMEA"' + "]" * 5000  # sent as text: no JSON encoder here recurses that deep either
    condition = '{"field": "territory", "op": "eq", "value": ' + deep + "}"
    body = (
        '{"name": "Deep", "routing": {"kind": "rules", "routes": [{"when": {"conditions": ['
        + condition
        + ']}, "team": 1}]}}'
    )
    response = client_for(people["sales_manager"]).post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.content.decode()
    assert not HandoffRule.objects.exists()


def test_the_rule_list_reads_the_routes_in_words(client, people, teams, rule):
    rule(
        "By route",
        to_stages=["intent"],
        routing=_rules(teams, _route(teams["sales"], KEY_ACCOUNTS, BIG), _route(teams["sdr"], EMEA)),
    )
    client.force_login(people["rep"])
    page = client.get(reverse("rule-list")).content.decode()
    assert (
        "if key_account is confirmed and size_band in 1001-5000, 5001+: team Sales; if territory = EMEA: "
        "team Sales development; otherwise the owner stays"
    ) in page


def test_the_rule_form_without_javascript_saves_routes_and_shows_a_bad_route_by_its_place(client, people, teams):
    client.force_login(people["sales_manager"])
    form = {
        "name": "Routes",
        "priority": 100,
        "is_active": "on",
        "to_stages": ["intent"],
        "preconditions": "[]",
        "escalations": "[]",
        "sla_clock": "working",
    }
    bad = _rules(teams, _route(teams["sales"], {"field": "key_account", "op": "eq", "value": "yes"}))
    refused = client.post(reverse("rule-create"), form | {"routing": json.dumps(bad)})
    assert refused.status_code == 422
    assert (
        "routing.routes[0].when: criteria.conditions[0].op: &#x27;eq&#x27; is not an operator for bool field "
        "key_account" in refused.content.decode()
    )
    good = _rules(teams, _route(teams["sales"], KEY_ACCOUNTS), fallback=teams["sdr"].pk)
    assert client.post(reverse("rule-create"), form | {"routing": json.dumps(good)}).status_code == 302
    assert HandoffRule.objects.get().routing == good
    language = json.loads(client.get(reverse("rule-create")).context["language"])
    assert {"name": "key_account", "kind": "bool"} in language["fields"]
    assert {"name": "size_band", "kind": "text"} in language["fields"]
