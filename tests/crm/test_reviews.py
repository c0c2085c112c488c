"""Key-account reviews: the rule of engagement (a marketer at every top-tier review), reviews written whole or
not at all, and who closes an action item."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.choices import Role
from config.errors import NotPending
from crm.exceptions import NotAllowed
from crm.models import AccountReview, ActionItem, Company
from crm.services.reviews import ActionDraft, action_item_close, action_item_create, action_item_reopen, review_hold
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(people):
    def key(name, tier):
        return Company.objects.create(
            name=name, domain=f"{name.lower()}.example", is_key_account=True, key_account_tier=tier, owner=people["rep"]
        )

    return {
        "tier1": key("Globex", 1),
        "tier2": key("Initech", 2),
        "tier3": key("Hooli", 3),
        "plain": Company.objects.create(name="Umbrella", domain="umbrella.example"),
    }


def _hold(company, by, attendees, **fields):
    today = timezone.localdate()
    return review_hold(company=company, held_on=fields.pop("held_on", today), attendees=attendees, by=by, **fields)


def test_a_tier_1_review_without_a_marketer_is_refused_naming_the_rule_and_the_tier(accounts, people):
    with pytest.raises(ValidationError) as refused:
        _hold(accounts["tier1"], people["sales_manager"], [people["sales_manager"], people["rep"]])
    message = refused.value.message_dict["attendees"][0]
    assert "Rule of engagement" in message and "Tier 1 — strategic" in message and "marketer" in message
    assert not AccountReview.objects.exists()


def test_a_tier_2_review_without_a_marketer_is_refused_too(accounts, people):
    with pytest.raises(ValidationError) as refused:
        _hold(accounts["tier2"], people["rep"], [people["rep"]])
    assert "Tier 2 — major" in refused.value.message_dict["attendees"][0]


def test_a_tier_1_review_with_a_marketer_is_held_with_its_action_items(accounts, people):
    due = timezone.localdate() + timedelta(days=14)
    review = _hold(
        accounts["tier1"],
        people["sales_manager"],
        [people["sales_manager"], people["marketer"], people["marketer"]],
        notes="Renewal at risk",
        decisions="Joint QBR in March",
        action_items=[
            ActionDraft("Send the ROI case study", people["marketer"], due),
            ActionDraft("Book the QBR", people["rep"]),
        ],
    )
    assert sorted(u.username for u in review.attendees.all()) == ["marketer", "salesmgr"]
    items = list(review.action_items.order_by("id").values_list("title", "owner__username", "due_on", "status"))
    assert items == [("Send the ROI case study", "marketer", due, "open"), ("Book the QBR", "rep", None, "open")]
    assert (review.notes, review.decisions, review.created_by) == (
        "Renewal at risk",
        "Joint QBR in March",
        people["sales_manager"],
    )


def test_a_marketing_manager_counts_as_the_marketer(accounts, people):
    assert _hold(accounts["tier1"], people["leader"], [people["leader"], people["marketing_manager"]]).pk


def test_a_tier_3_review_needs_no_marketer(accounts, people):
    review = _hold(accounts["tier3"], people["rep"], [people["rep"]])
    assert list(review.attendees.all()) == [people["rep"]]


def test_an_inactive_marketer_does_not_satisfy_the_rule(accounts, people):
    gone = UserFactory(username="gone", role=Role.MARKETER, team=people["marketer"].team, is_active=False)
    with pytest.raises(ValidationError) as refused:
        _hold(accounts["tier1"], people["sales_manager"], [people["sales_manager"], gone])
    assert "gone is no longer active" in refused.value.message_dict["attendees"][0]


def test_a_company_that_is_not_a_key_account_is_not_reviewed(accounts, people):
    with pytest.raises(ValidationError) as refused:
        _hold(accounts["plain"], people["sales_manager"], [people["sales_manager"], people["marketer"]])
    assert refused.value.message_dict["company"] == ["Umbrella is not a key account: only key accounts are reviewed."]


def test_a_review_in_the_future_is_refused(accounts, people):
    with pytest.raises(ValidationError) as refused:
        _hold(accounts["tier3"], people["rep"], [people["rep"]], held_on=timezone.localdate() + timedelta(days=2))
    assert refused.value.message_dict.keys() == {"held_on"}


def test_reviews_are_held_by_managers_the_leader_and_the_owner_only(accounts, people):
    for who in ("rep2", "marketer", "sdr"):
        with pytest.raises(NotAllowed):
            _hold(accounts["tier3"], people[who], [people[who]])
    for who in ("rep", "sales_manager", "marketing_manager", "leader", "admin"):
        _hold(accounts["tier3"], people[who], [people["rep"]])
    assert AccountReview.objects.count() == 5


def test_nothing_is_written_when_one_action_item_is_bad(accounts, people):
    gone = UserFactory(username="gone", role=Role.SALES_REP, is_active=False)
    with pytest.raises(ValidationError) as refused:
        _hold(
            accounts["tier1"],
            people["sales_manager"],
            [people["sales_manager"], people["marketer"]],
            action_items=[
                ActionDraft("Fine", people["rep"]),
                ActionDraft("   ", people["rep"]),
                ActionDraft("Owner left", gone),
            ],
        )
    assert refused.value.message_dict["action_items"] == [
        "Item 2: Say what is to be done.",
        "Item 3: gone is no longer active.",
    ]
    assert (AccountReview.objects.count(), ActionItem.objects.count()) == (0, 0)


def test_nothing_is_written_when_writing_the_items_fails_after_the_review(accounts, people, monkeypatch):
    """The review row is inserted before its items: a failure writing them must take the review with it."""

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ActionItem.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        _hold(accounts["tier3"], people["rep"], [people["rep"]], action_items=[ActionDraft("Fine", people["rep"])])
    assert (AccountReview.objects.count(), AccountReview.attendees.through.objects.count()) == (0, 0)


@pytest.fixture
def item(accounts, people):
    review = _hold(
        accounts["tier3"],
        people["rep"],
        [people["rep"]],
        action_items=[ActionDraft("Call the CFO", people["rep2"])],
    )
    return review.action_items.get()


def test_the_owner_closes_an_item_and_closing_it_again_changes_nothing(item, people):
    closed = action_item_close(item_id=item.pk, status="done", by=people["rep2"])
    assert (closed.status, closed.closed_by, closed.closed_at is not None) == ("done", people["rep2"], True)
    again = action_item_close(item_id=item.pk, status="done", by=people["rep2"])
    assert (again.status, again.closed_at) == ("done", closed.closed_at)


def test_closing_a_done_item_as_dropped_is_a_conflict_until_reopened(item, people):
    action_item_close(item_id=item.pk, status="done", by=people["rep2"])
    with pytest.raises(NotPending) as conflict:
        action_item_close(item_id=item.pk, status="dropped", by=people["rep2"])
    assert conflict.value.details == {"action_status": "done"}
    reopened = action_item_reopen(item_id=item.pk, by=people["rep2"])
    assert (reopened.status, reopened.closed_at, reopened.closed_by) == ("open", None, None)
    assert action_item_close(item_id=item.pk, status="dropped", by=people["rep2"]).status == "dropped"


def test_the_creator_and_managers_close_items_others_do_not(item, people):
    for who in ("sdr", "marketer"):
        with pytest.raises(NotAllowed):
            action_item_close(item_id=item.pk, status="done", by=people[who])
    assert action_item_close(item_id=item.pk, status="done", by=people["rep"]).status == "done"  # raised it
    action_item_reopen(item_id=item.pk, by=people["rep"])
    assert action_item_close(item_id=item.pk, status="dropped", by=people["marketing_manager"]).status == "dropped"


def test_closing_needs_done_or_dropped(item, people):
    with pytest.raises(ValidationError) as refused:
        action_item_close(item_id=item.pk, status="open", by=people["rep2"])
    assert refused.value.message_dict.keys() == {"status"}


def test_an_item_added_to_a_review_later_is_due_no_earlier_than_the_review(item, people):
    review = item.review
    with pytest.raises(ValidationError) as refused:
        action_item_create(
            title="Late",
            owner=people["rep"],
            due_on=review.held_on - timedelta(days=1),
            by=people["rep"],
            review=review,
        )
    assert refused.value.message_dict.keys() == {"due_on"}
    with pytest.raises(NotAllowed):
        action_item_create(title="Not mine", owner=people["rep"], by=people["sdr"], review=review)
    added = action_item_create(title="Follow up", owner=people["rep"], by=people["rep"], review=review)
    assert list(review.action_items.order_by("id").values_list("title", flat=True)) == ["Call the CFO", added.title]


# The API


def _review_body(company, attendees, **fields):
    return {
        "company": company.pk,
        "held_on": timezone.localdate().isoformat(),
        "attendees": [a.pk for a in attendees],
        **fields,
    }


def test_the_api_refuses_a_top_tier_review_without_a_marketer_and_holds_one_with(accounts, people, api):
    client = api(people["sales_manager"])
    refused = client.post("/api/v1/account-reviews/", _review_body(accounts["tier1"], [people["sales_manager"]]))
    assert refused.status_code == 400
    assert "Rule of engagement" in refused.json()["errors"]["attendees"][0]
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    body = _review_body(
        accounts["tier1"],
        [people["sales_manager"], people["marketer"]],
        notes="Expansion into APAC",
        action_items=[{"title": "Draft the APAC plan", "owner": people["marketer"].pk, "due_on": due}],
    )
    held = client.post("/api/v1/account-reviews/", body)
    assert held.status_code == 201, held.json()
    review = held.json()
    assert (review["company"]["name"], review["notes"], [a["username"] for a in review["attendees"]]) == (
        "Globex",
        "Expansion into APAC",
        ["marketer", "salesmgr"],
    )
    assert [(i["title"], i["owner"]["username"], i["due_on"], i["status"]) for i in review["action_items"]] == [
        ("Draft the APAC plan", "marketer", due, "open")
    ]
    listed = client.get(f"/api/v1/account-reviews/?company={accounts['tier1'].pk}").json()["results"]
    assert [r["id"] for r in listed] == [review["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"company": "abc"}, "company"),
        ({"company": 2**70}, "company"),
        ({"held_on": "2026-13-45"}, "held_on"),
        ({"held_on": "yesterday"}, "held_on"),
        ({"attendees": [2**70]}, "attendees"),
        ({"attendees": "everyone"}, "attendees"),
        ({"notes": "x" * 100_000}, "notes"),
        ({"notes": "a\u0000b"}, "notes"),
        ({"decisions": {"nested": True}}, "decisions"),
        ({"action_items": [{"title": "No owner"}]}, "action_items"),
        ({"action_items": [{"title": "t", "owner": 1, "due_on": "2026-02-30"}]}, "action_items"),
    ],
)
def test_the_api_names_bad_review_input_and_writes_nothing(accounts, people, api, change, field):
    body = {**_review_body(accounts["tier3"], [people["rep"]]), **change}
    response = api(people["rep"]).post("/api/v1/account-reviews/", body)
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not AccountReview.objects.exists()


def test_json_nested_5000_deep_is_a_400(accounts, people, client_for):
    body = '{"notes": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client_for(people["rep"]).post("/api/v1/account-reviews/", body, content_type="application/json")
    assert response.status_code == 400


def test_a_review_of_a_company_without_an_owner_or_segment_works(people, api):
    bare = Company.objects.create(name="Bare", is_key_account=True, key_account_tier=3)
    response = api(people["sales_manager"]).post("/api/v1/account-reviews/", _review_body(bare, [people["rep"]]))
    assert response.status_code == 201
    assert api(people["rep"]).get(f"/api/v1/account-reviews/{response.json()['id']}/").json()["company"] == {
        "id": bare.pk,
        "name": "Bare",
        "key_account_tier": 3,
    }


def test_the_api_closes_an_item_once_and_names_a_conflicting_close(item, people, api):
    client = api(people["rep2"])
    url = f"/api/v1/action-items/{item.pk}"
    assert client.post(f"{url}/close/", {"status": "done"}).json()["status"] == "done"
    assert client.post(f"{url}/close/", {"status": "done"}).status_code == 200
    conflict = client.post(f"{url}/close/", {"status": "dropped"})
    assert (conflict.status_code, conflict.json()["code"], conflict.json()["action_status"]) == (
        409,
        "not_pending",
        "done",
    )
    assert client.post(f"{url}/close/", {"status": "open"}).status_code == 400
    assert api(people["sdr"]).post(f"{url}/close/", {"status": "done"}).status_code == 403
    assert client.post(f"{url}/reopen/").json()["status"] == "open"
    assert client.post("/api/v1/action-items/abc/close/", {"status": "done"}).status_code == 404
    assert client.post(f"/api/v1/action-items/{2**62}/close/", {"status": "done"}).status_code == 404


def test_action_items_are_listed_by_owner_and_status(item, people, api):
    client = api(people["rep"])
    other = client.post(
        "/api/v1/action-items/", {"review": item.review_id, "title": "Send minutes", "owner": people["rep"].pk}
    )
    assert other.status_code == 201, other.json()
    action_item_close(item_id=other.json()["id"], status="done", by=people["rep"])
    mine_open = client.get(f"/api/v1/action-items/?owner={people['rep2'].pk}&status=open").json()["results"]
    assert [i["title"] for i in mine_open] == ["Call the CFO"]
    done = client.get("/api/v1/action-items/?status=done").json()["results"]
    assert [i["title"] for i in done] == ["Send minutes"]
    assert client.get("/api/v1/action-items/?owner=abc").status_code == 400
    assert client.get("/api/v1/action-items/?status=nonsense").status_code == 400


def test_a_write_only_token_closes_an_item_but_cannot_read_the_list(item, people, token_client_for):
    client = token_client_for(people["rep2"], scopes=["meetings:write"])
    assert client.post(f"/api/v1/action-items/{item.pk}/close/", {"status": "done"}, format="json").status_code == 200
    assert client.get("/api/v1/action-items/").status_code == 403


def test_the_review_list_costs_the_same_queries_whatever_its_length(
    accounts, people, api, django_assert_max_num_queries
):
    client = api(people["rep"])
    _hold(accounts["tier3"], people["rep"], [people["rep"]], action_items=[ActionDraft("a", people["rep"])])
    with django_assert_max_num_queries(20) as one:
        assert len(client.get("/api/v1/account-reviews/").json()["results"]) == 1
    for n in range(6):
        _hold(
            accounts["tier1"],
            people["sales_manager"],
            [people["sales_manager"], people["marketer"], people["rep"]],
            action_items=[ActionDraft(f"item {n}", people["rep2"]), ActionDraft(f"other {n}", people["marketer"])],
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/account-reviews/").json()["results"]) == 7
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/action-items/").json()["results"]) == 13
