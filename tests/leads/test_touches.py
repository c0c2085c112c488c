"""Touches: one at a time or ten thousand per request, idempotent on the sender's key, bad ones by position."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Campaign, Touch
from leads.models import LeadScore
from leads.scoring.services import scoring_version_propose, scoring_version_sign_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_lead):
    campaign = Campaign.objects.create(name="Webinar", channel="webinar", requires_sales_preview=False)
    return {"campaign": campaign, "leads": [make_lead() for _ in range(3)]}


def _touch(world, n=0, **fields):
    when = (timezone.now() - timedelta(hours=1)).isoformat()
    base = {"lead": world["leads"][n].pk, "campaign": world["campaign"].pk, "kind": "form_fill", "occurred_at": when}
    return {**base, **fields}


def test_a_bulk_request_stores_the_good_touches_and_names_each_bad_one_by_position(people, api, world):
    items = [
        _touch(world, 0, key="a"),
        _touch(world, 1, lead=999_999),  # unknown lead
        _touch(world, 2, kind="telepathy"),
        _touch(world, 1, key="b", weight="2.5"),
        _touch(world, 0, occurred_at="2026-13-45T00:00:00Z"),
        _touch(world, 0, occurred_at="2026-03-01T10:00:00+19:00"),  # no zone is 19 h from UTC
        _touch(world, 0, occurred_at=(timezone.now() + timedelta(days=1)).isoformat()),
        _touch(world, 0, campaign="x"),
        "not an object",
        _touch(world, 0, key="k" * 101),
    ]
    response = api(people["integration"]).post("/api/v1/touches/bulk/", {"touches": items})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"]) == (2, [])
    assert {r["index"]: sorted(r["errors"]) for r in body["rejected"]} == {
        1: ["lead"],
        2: ["kind"],
        4: ["occurred_at"],
        5: ["occurred_at"],
        6: ["occurred_at"],
        7: ["campaign"],
        8: ["item"],
        9: ["key"],
    }
    assert sorted(Touch.objects.values_list("client_key", "weight")) == [("a", 1), ("b", 2.5)]


def test_a_nul_character_anywhere_refuses_the_request_at_the_door_naming_its_place(people, api, world):
    items = [_touch(world, 0, key="fine"), _touch(world, 1, key="k\x00")]
    response = api(people["integration"]).post("/api/v1/touches/bulk/", {"touches": items})
    assert response.status_code == 400
    assert any("touches[1].key" in problem for problem in response.json()["errors"]["touches"])
    assert not Touch.objects.exists()


def test_sending_the_same_keys_again_stores_nothing_new(people, api, world):
    items = [_touch(world, n % 3, key=f"evt-{n}") for n in range(50)] + [_touch(world, 0)]
    client = api(people["integration"])
    assert client.post("/api/v1/touches/bulk/", {"touches": items}).json()["created"] == 51
    again = client.post("/api/v1/touches/bulk/", {"touches": [*items[:50], _touch(world, 0, key="evt-0")]}).json()
    assert (again["created"], again["duplicates"]) == (0, list(range(51)))
    assert Touch.objects.count() == 51
    # Another sender's keys are its own.
    assert api(people["admin"]).post("/api/v1/touches/bulk/", {"touches": items[:3]}).json()["created"] == 3


def test_all_or_nothing_refuses_the_whole_request_naming_the_position(people, api, world):
    items = [_touch(world, 0, key="ok"), _touch(world, 1, campaign=987_654)]
    response = api(people["integration"]).post("/api/v1/touches/bulk/", {"touches": items, "all_or_nothing": True})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["touches[1].campaign"]
    assert not Touch.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"touches": []}, {"touches": "many"}, {}, {"touches": [{}] * 10_001}],
)
def test_a_bulk_envelope_that_is_not_a_list_of_up_to_ten_thousand_is_refused(people, api, body):
    response = api(people["integration"]).post("/api/v1/touches/bulk/", body)
    assert response.status_code == 400
    assert "touches" in response.json()["errors"]


def test_one_touch_at_a_time_and_its_retry(people, api, world):
    client = api(people["marketer"])
    first = client.post("/api/v1/touches/", _touch(world, 0, key="one"))
    assert first.status_code == 201
    again = client.post("/api/v1/touches/", _touch(world, 0, key="one"))
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    bad = client.post("/api/v1/touches/", _touch(world, 0, weight="11"))
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["weight"])
    assert client.get(f"/api/v1/touches/?lead={world['leads'][0].pk}").json()["results"][0]["client_key"] == "one"


def test_sales_reps_do_not_record_marketing_touches(people, api, world):
    response = api(people["rep"]).post("/api/v1/touches/bulk/", {"touches": [_touch(world)]})
    assert response.status_code == 403
    assert not Touch.objects.exists()


def test_a_new_touch_updates_its_leads_score(people, api, world, django_capture_on_commit_callbacks):
    engagement = [{"kind": "form_fill", "points": 40, "half_life_days": 30, "cap": 60}]
    version = scoring_version_propose(user=people["marketer"], fit_rules=[], engagement_rules=engagement)
    scoring_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    scoring_version_sign_off(version_id=version.pk, user=people["sales_manager"])
    with django_capture_on_commit_callbacks(execute=True):
        api(people["integration"]).post("/api/v1/touches/bulk/", {"touches": [_touch(world, 1)]})
    lead = world["leads"][1]
    lead.refresh_from_db()
    assert lead.score == 40  # an hour old in a 30-day half-life: 39.96, rounded
    assert LeadScore.objects.get(lead=lead).engagement == Decimal("39.96")
    explained = api(people["marketer"]).get(f"/api/v1/lead-scores/{lead.pk}/").json()
    assert explained["score"] == 40
    assert sum(float(line["points"]) for line in explained["lines"]) == pytest.approx(40)
    assert api(people["marketer"]).get("/api/v1/lead-scores/abc/").status_code == 404
