"""Collateral: each version released only after sales approved that version, and its use as a precondition."""

import pytest

from crm.models import CollateralUse, CollateralVersion
from funnel.models import Transition
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db
DECK = {"title": "Enterprise deck", "kind": "deck", "stages": ["evaluation"], "link": "https://docs.example/deck-1"}


def test_a_version_is_released_only_after_sales_approves_that_version(people, api):
    marketer, rep = api(people["marketer"]), api(people["rep"])
    first = marketer.post("/api/v1/collateral/", DECK).json()
    assert first["status"] == "in_review"
    url = f"/api/v1/collateral-versions/{first['id']}"
    refused = marketer.post(f"{url}/release/")
    assert (refused.status_code, refused.json()["version_status"]) == (409, "in_review")
    assert marketer.post(f"{url}/review/", {"decision": "approved"}).status_code == 403  # marketing cannot
    assert rep.post(f"{url}/review/", {"decision": "changes_requested"}).json()["errors"].keys() == {"comments"}
    assert rep.post(f"{url}/review/", {"decision": "approved", "comments": "Clear"}).json()["status"] == "approved"
    assert rep.post(f"{url}/review/", {"decision": "approved"}).status_code == 409  # reviewed already
    assert marketer.post(f"{url}/release/").json()["status"] == "released"

    second = marketer.post(f"/api/v1/collateral/{first['collateral']}/versions/", {"link": "https://docs.example/d2"})
    assert second.json()["status"] == "in_review"  # a new version goes back to review
    assert marketer.post(f"/api/v1/collateral-versions/{second.json()['id']}/release/").status_code == 409
    assert marketer.get(f"/api/v1/collateral/{first['collateral']}/").json()["released"] == first["id"]
    queue = rep.get("/api/v1/collateral-versions/", {"status": "in_review"}).json()["results"]
    assert [(v["title"], v["number"]) for v in queue] == [("Enterprise deck", 2)]

    rep.post(f"/api/v1/collateral-versions/{second.json()['id']}/review/", {"decision": "approved"})
    marketer.post(f"/api/v1/collateral-versions/{second.json()['id']}/release/")
    statuses = dict(CollateralVersion.objects.values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "released"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "poster"}, "kind"),
        ({"stages": ["limbo"]}, "stages"),
        ({"link": "not a link"}, "link"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_bad_collateral_is_refused_naming_the_field(people, api, fields, field):
    response = api(people["marketer"]).post("/api/v1/collateral/", {**DECK, **fields})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CollateralVersion.objects.exists()


def test_a_rule_can_require_released_collateral_used_at_the_stage_being_left(people, api, make_lead, rule):
    rule("Case study first", to_stages=["purchase"], preconditions=[{"kind": "collateral_used", "kinds": ["deck"]}])
    lead = make_lead(owner=people["rep"])
    for stage in ("interest", "consideration", "intent", "evaluation"):
        move(lead, stage, people["admin"])
    rep, marketer = api(people["rep"]), api(people["marketer"])
    version = marketer.post("/api/v1/collateral/", DECK).json()
    use = {"version": version["id"], "lead": lead.pk}
    assert rep.post("/api/v1/collateral-uses/", use).status_code == 409  # not released yet
    refused = rep.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "purchase"})
    assert refused.status_code == 422
    assert "no released collateral" in str(refused.json())

    api(people["sales_manager"]).post(f"/api/v1/collateral-versions/{version['id']}/review/", {"decision": "approved"})
    marketer.post(f"/api/v1/collateral-versions/{version['id']}/release/")
    assert rep.post("/api/v1/collateral-uses/", use).json()["stage"] == "evaluation"
    assert rep.post("/api/v1/collateral-uses/", {"version": version["id"], "lead": 10**9}).status_code == 404
    moved = rep.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "purchase"})
    assert moved.status_code == 201, moved.json()
    checks = Transition.objects.get(to_stage="purchase").rule_results
    assert [c["reason"] for c in checks if c["check"] == "released deck used at this stage"] == [
        "Enterprise deck v1 used"
    ]
    assert CollateralUse.objects.count() == 1
