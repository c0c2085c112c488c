"""Campaigns: spend that sums, the sales preview gate, and bad input refused with the field named."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import Role
from crm.models import Campaign, CampaignSpend
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

WEBINAR = {"name": "Spring webinar", "channel": "webinar", "starts_on": "2026-03-01", "ends_on": "2026-06-30"}


def _create(client, **fields):
    return client.post("/api/v1/campaigns/", {**WEBINAR, **fields}, format="json")


def test_a_marketer_creates_a_campaign_and_owns_it(people, api):
    response = _create(api(people["marketer"]), budget="12000.00", segments=["smb", "mid_market"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["owner"]["username"], body["status"], body["spent"], body["budget"]) == (
        "marketer",
        "planned",
        "0.00",
        "12000.00",
    )
    assert body["segments"] == ["smb", "mid_market"] and body["requires_sales_preview"] is True


def test_spend_is_the_sum_of_its_entries_never_a_typed_in_number(people, api):
    client = api(people["marketer"])
    campaign = _create(client, budget="5000").json()
    for day, amount in (("2026-03-02", "1200.50"), ("2026-03-09", "799.50"), ("2026-04-01", "0.01")):
        response = client.post(f"/api/v1/campaigns/{campaign['id']}/spend/", {"spent_on": day, "amount": amount})
        assert response.status_code == 201, response.json()
    assert client.get(f"/api/v1/campaigns/{campaign['id']}/").json()["spent"] == "2000.01"
    assert [e["amount"] for e in client.get(f"/api/v1/campaigns/{campaign['id']}/spend/").json()] == [
        "0.01",
        "799.50",
        "1200.50",
    ]
    assert client.patch(f"/api/v1/campaigns/{campaign['id']}/", {"spent": "1"}, format="json").json()["spent"] == (
        "2000.01"
    )
    line = CampaignSpend.objects.get(amount=Decimal("799.50"))
    assert client.delete(f"/api/v1/campaign-spend/{line.pk}/").status_code == 204
    assert client.get(f"/api/v1/campaigns/{campaign['id']}/").json()["spent"] == "1200.51"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"spent_on": "2026-03-02", "amount": "-5"}, "amount"),
        ({"spent_on": "2026-03-02", "amount": "0"}, "amount"),
        ({"spent_on": "2026-03-02", "amount": "ten"}, "amount"),
        ({"spent_on": "2026-03-02", "amount": "1e300"}, "amount"),
        ({"spent_on": "2026-03-02", "amount": "NaN"}, "amount"),
        ({"spent_on": "2026-02-28", "amount": "10"}, "spent_on"),  # before the campaign starts
        ({"spent_on": "2026-07-01", "amount": "10"}, "spent_on"),  # after it ends
        ({"spent_on": "2026-13-01", "amount": "10"}, "spent_on"),
        ({"spent_on": "2026-03-02", "amount": "10", "currency": "EUR"}, "currency"),
    ],
)
def test_bad_spend_is_refused_naming_the_field_and_nothing_is_written(people, api, entry, field):
    client = api(people["marketer"])
    campaign = _create(client).json()
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/spend/", entry, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert CampaignSpend.objects.count() == 0


def test_spend_in_the_future_is_refused(people, api):
    client = api(people["marketer"])
    campaign = _create(client, starts_on=None, ends_on=None).json()
    later = (timezone.now() + timedelta(days=2)).date().isoformat()
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/spend/", {"spent_on": later, "amount": "10"})
    assert response.json()["errors"].keys() == {"spent_on"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": "2026-02-01"}, "ends_on"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "1e15"}, "budget"),
        ({"channel": "carrier_pigeon"}, "channel"),
        ({"segments": ["galactic"]}, "segments"),
        ({"segments": ["smb", "smb"]}, "segments"),
        ({"currency": "usd"}, "currency"),
        ({"name": "x" * 100_000}, "name"),
    ],
)
def test_a_campaign_with_bad_fields_is_refused(people, api, fields, field):
    response = _create(api(people["marketing_manager"]), **fields)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Campaign.objects.exists()


def test_a_campaign_owned_by_a_sales_rep_is_refused(people, api):
    response = _create(api(people["marketing_manager"]), owner=people["rep"].pk)
    assert response.json()["errors"].keys() == {"owner"}


def test_a_campaign_that_requires_a_preview_goes_live_only_after_sales_approves(people, api):
    marketer, manager = api(people["marketer"]), api(people["sales_manager"])
    campaign = _create(marketer).json()
    url = f"/api/v1/campaigns/{campaign['id']}"
    refused = marketer.post(f"{url}/activate/")
    assert (refused.status_code, refused.json()["code"]) == (409, "wrong_status")
    too_early = manager.post(f"{url}/preview/", {"decision": "approved"})
    assert (too_early.status_code, too_early.json()["campaign_status"]) == (409, "planned")

    assert marketer.post(f"{url}/submit-for-preview/").json()["status"] == "awaiting_preview"
    assert manager.post(f"{url}/preview/", {"decision": "changes_requested"}).json()["errors"].keys() == {"comments"}
    changes = manager.post(f"{url}/preview/", {"decision": "changes_requested", "comments": "Name the SMB offer"})
    assert changes.status_code == 201
    assert marketer.get(f"{url}/").json()["status"] == "planned"

    marketer.post(f"{url}/submit-for-preview/")
    assert manager.post(f"{url}/preview/", {"decision": "approved", "comments": "Good"}).status_code == 201
    assert marketer.get(f"{url}/").json()["status"] == "active"
    assert [(p["decision"], p["reviewer"]["username"]) for p in marketer.get(f"{url}/preview/").json()] == [
        ("approved", "salesmgr"),
        ("changes_requested", "salesmgr"),
    ]
    assert marketer.post(f"{url}/complete/").json()["status"] == "completed"
    assert marketer.post(f"{url}/cancel/").status_code == 409


def test_only_sales_previewers_preview_and_marketing_cannot_approve_its_own_campaign(people, api):
    campaign = _create(api(people["marketer"])).json()
    url = f"/api/v1/campaigns/{campaign['id']}"
    api(people["marketer"]).post(f"{url}/submit-for-preview/")
    for role in ("marketer", "marketing_manager", "rep", "integration"):
        response = api(people[role]).post(f"{url}/preview/", {"decision": "approved"})
        assert response.status_code == 403, role
    assert Campaign.objects.get().status == "awaiting_preview"


def test_a_campaign_without_a_preview_requirement_is_started_by_its_owner(people, api):
    campaign = _create(api(people["marketer"]), requires_sales_preview=False).json()
    url = f"/api/v1/campaigns/{campaign['id']}"
    assert api(people["rep"]).post(f"{url}/activate/").status_code == 403
    assert api(people["marketer"]).post(f"{url}/activate/").json()["status"] == "active"


def test_a_marketer_changes_only_their_own_campaigns(people, teams, api):
    campaign = _create(api(people["marketing_manager"]), owner=people["marketer"].pk).json()
    other = UserFactory(username="other_marketer", role=Role.MARKETER, team=teams["marketing"])
    assert api(other).patch(f"/api/v1/campaigns/{campaign['id']}/", {"budget": "1"}).status_code == 403
    assert (
        api(other)
        .post(f"/api/v1/campaigns/{campaign['id']}/spend/", {"spent_on": "2026-03-02", "amount": "1"})
        .status_code
        == 403
    )
    mine = api(people["marketer"]).patch(f"/api/v1/campaigns/{campaign['id']}/", {"budget": "900"})
    assert mine.json()["budget"] == "900.00"


def test_campaign_ids_that_are_not_numbers_match_nothing(people, api):
    assert api(people["rep"]).get("/api/v1/campaigns/abc/").status_code == 404
    assert api(people["rep"]).post("/api/v1/campaigns/1%00/spend/", {}).status_code == 404


def test_the_campaign_list_costs_the_same_queries_for_one_campaign_or_twenty(
    people, api, django_assert_max_num_queries
):
    client = api(people["rep"])
    Campaign.objects.create(name="One", channel="email", owner=people["marketer"])
    with django_assert_max_num_queries(20) as one:
        client.get("/api/v1/campaigns/")
    Campaign.objects.bulk_create(
        Campaign(name=f"C{n}", channel="email", owner=people["marketer"], starts_on=date(2026, 1, 1)) for n in range(20)
    )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/campaigns/").json()["results"]) == 21
