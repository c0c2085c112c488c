"""Simulations, rule states and shadow results over the API: the job's answer, drill-down, and bad input as 400s
that name the problem."""

import pytest

from funnel.models import LeadDefinition
from funnel.services.definitions import definition_version_propose
from tests.funnel.conftest import MQL, move

pytestmark = pytest.mark.django_db

V2 = {"conditions": [{"field": "segment", "op": "eq", "value": "enterprise"}]}


@pytest.fixture
def proposal(people, make_lead, signed, rule):
    signed("MQL", MQL)
    rule("MQL first", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 1}])
    lead = make_lead(segment="enterprise")
    return definition_version_propose(
        definition=LeadDefinition.objects.get(code="MQL"), criteria=V2, proposed_by=people["marketer"]
    ), lead


@pytest.fixture
def start(django_capture_on_commit_callbacks):
    """POSTs a simulation; the API starts the job once its transaction commits, which a test's never does."""

    def post(client, **body):
        with django_capture_on_commit_callbacks(execute=True):
            body = {"kind": "definition", "window_days": 1, **body}
            return client.post("/api/v1/simulations/", body, format="json")

    return post


def test_a_definition_simulation_runs_as_a_job_and_drills_down(start, client_for, people, proposal):
    version, lead = proposal
    client = client_for(people["marketing_manager"])
    started = start(client, definition_version=version.pk)
    assert started.status_code == 202, started.content
    simulation = client.get(f"/api/v1/simulations/{started.json()['id']}/").json()
    assert (simulation["status"], simulation["progress"]) == ("done", 100)
    assert simulation["result"]["now"]["totals"]["newly_qualify"] == 1
    drilled = client.get(
        f"/api/v1/simulations/{simulation['id']}/leads/", {"part": "now", "bucket": "newly_qualify"}
    ).json()
    assert [row["id"] for row in drilled["results"]] == [lead.pk]
    again = start(client, definition_version=version.pk)
    assert again.json()["id"] == simulation["id"]  # the same question within the hour: the same answer

    signed = client.post(
        f"/api/v1/definition-versions/{version.pk}/sign-off/", {"simulation": simulation["id"]}, format="json"
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["marketing_simulation"] == simulation["id"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"window_days": 0}, "window_days", "greater than or equal to 1"),
        ({"window_days": 500}, "window_days", "a 500-day window is longer"),
        ({"window_days": "9" * 30}, "window_days", "less than or equal to 3660"),
        ({"definition_version": "abc"}, "definition_version", "A valid integer is required"),
        ({"definition_version": 999999}, "definition_version", "There is no definition version 999999"),
        ({"definition_version": None}, "definition_version", "may not be null"),
        ({"kind": "weather"}, "kind", "not a valid choice"),
        ({"kind": "rule", "changes": {"routing": {"kind": "lottery"}}}, "routing", "'lottery' is not a routing kind"),
        ({"kind": "rule", "changes": {"colour": "red"}}, "changes", "'colour' is not a rule part"),
        ({"kind": "rule", "changes": [1, 2]}, "changes", "An object of rule parts"),
    ],
)
def test_bad_simulation_requests_are_400s_naming_the_problem(start, client_for, people, proposal, body, field, words):
    version, _ = proposal
    response = start(client_for(people["marketing_manager"]), **{"definition_version": version.pk, **body})
    assert response.status_code == 400, response.content
    assert words in str(response.json()), response.json()
    assert field in str(response.json())


def test_an_active_version_is_not_simulated_and_reps_may_not_simulate(start, client_for, people, proposal):
    active = LeadDefinition.objects.get(code="MQL").versions.get(status="active")
    response = start(client_for(people["marketing_manager"]), definition_version=active.pk)
    assert response.status_code == 400
    assert "only a proposal is simulated" in str(response.json())
    version, _ = proposal
    assert start(client_for(people["rep"]), definition_version=version.pk).status_code == 403
    assert client_for(people["rep"]).get("/api/v1/simulations/").status_code == 403


def test_a_bad_drill_down_is_a_400(start, client_for, people, proposal):
    version, _ = proposal
    client = client_for(people["marketing_manager"])
    simulation = start(client, definition_version=version.pk).json()
    url = f"/api/v1/simulations/{simulation['id']}/leads/"
    assert client.get(url, {"part": "later", "bucket": "leads"}).status_code == 400
    response = client.get(url, {"part": "now", "bucket": "everything"})
    assert (response.status_code, "'everything' is not a count" in str(response.json())) == (400, True)
    assert client.get("/api/v1/simulations/abc/").status_code == 404


def test_a_rule_goes_to_shadow_and_reports_its_would_refuse_rate(client_for, people, make_lead, rule):
    strict = rule(
        "Title first", to_stages=["interest"], preconditions=[{"kind": "required_fields", "fields": ["title"]}]
    )
    client = client_for(people["sales_manager"])
    changed = client.post(
        f"/api/v1/handoff-rules/{strict.pk}/state/", {"state": "shadow", "note": "try it"}, format="json"
    )
    assert changed.status_code == 201, changed.content
    assert (changed.json()["from_state"], changed.json()["to_state"]) == ("enforced", "shadow")
    assert client.get(f"/api/v1/handoff-rules/{strict.pk}/").json()["state"] == "shadow"
    move(make_lead(), "interest", people["marketer"])  # no title: the shadow rule would refuse, the move happens
    rate = client.get(f"/api/v1/handoff-rules/{strict.pk}/shadow/").json()
    assert (rate["moves"], rate["would_refuse"], rate["rate"]) == (1, 1, 1.0)
    bad = client.post(f"/api/v1/handoff-rules/{strict.pk}/state/", {"state": "shadow\x00"}, format="json")
    assert bad.status_code == 400
    assert (
        client_for(people["rep"])
        .post(f"/api/v1/handoff-rules/{strict.pk}/state/", {"state": "enforced"}, format="json")
        .status_code
        == 403
    )
