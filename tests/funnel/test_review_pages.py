"""The review form and page, and action items on their owner's home page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import AccountReview, ActionItem, Company
from crm.services.reviews import ActionDraft, review_hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex(people):
    return Company.objects.create(name="Globex", is_key_account=True, key_account_tier=1, owner=people["rep"])


def _form(people, attendees, **extra):
    today = timezone.localdate()
    return {
        "held_on": today.isoformat(),
        "attendees": [people[who].pk for who in attendees],
        "notes": "Renewal talk",
        "decisions": "",
        "items-TOTAL_FORMS": "3",
        "items-INITIAL_FORMS": "0",
        "items-0-title": "Send the case study",
        "items-0-owner": people["marketer"].pk,
        "items-0-due_on": (today + timedelta(days=5)).isoformat(),
        "items-1-title": "",
        "items-2-title": "",
        **extra,
    }


def test_the_owner_holds_a_review_from_the_form(globex, people, client_for):
    web = client_for(people["rep"])
    page = web.get(f"/companies/{globex.pk}/reviews/new/")
    assert page.status_code == 200 and "Rule of engagement" in page.content.decode()
    response = web.post(f"/companies/{globex.pk}/reviews/new/", _form(people, ["rep", "marketer"]))
    review = AccountReview.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reviews/{review.pk}/"
    assert list(review.action_items.values_list("title", "owner__username")) == [("Send the case study", "marketer")]
    detail = web.get(f"/reviews/{review.pk}/").content.decode()
    assert "Send the case study" in detail and "Renewal talk" in detail


def test_the_form_says_the_rule_when_no_marketer_attends_and_writes_nothing(globex, people, client_for):
    response = client_for(people["rep"]).post(f"/companies/{globex.pk}/reviews/new/", _form(people, ["rep"]))
    assert response.status_code == 400
    assert "Rule of engagement: a review of a Tier 1 — strategic key account" in response.content.decode()
    assert (AccountReview.objects.count(), ActionItem.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    "change",
    [
        {"held_on": "2026-02-31"},
        {"notes": "x" * 100_000},
        {"notes": "a\x00b"},
        {"attendees": ["abc"]},
        {"attendees": [str(2**70)]},
        {"items-TOTAL_FORMS": "100000"},
        {"items-TOTAL_FORMS": "abc"},
        {"items-0-owner": ""},
        {"items-0-due_on": "someday"},
    ],
)
def test_the_form_refuses_nonsense_with_a_400(globex, people, client_for, change):
    form = {**_form(people, ["rep", "marketer"]), **change}
    assert client_for(people["rep"]).post(f"/companies/{globex.pk}/reviews/new/", form).status_code == 400
    assert not AccountReview.objects.exists()


def test_the_form_is_for_those_who_hold_reviews(globex, people, client_for):
    assert client_for(people["rep2"]).get(f"/companies/{globex.pk}/reviews/new/").status_code == 403
    assert client_for(people["rep"]).get("/companies/999999/reviews/new/").status_code == 404
    assert client_for(people["rep"]).get("/reviews/999999/").status_code == 404


def test_a_company_without_owner_or_segment_that_is_not_a_key_account_says_so(people, client_for):
    plain = Company.objects.create(name="Plain")
    page = client_for(people["sales_manager"]).get(f"/companies/{plain.pk}/reviews/new/")
    assert page.status_code == 200 and "Plain is not a key account" in page.content.decode()


def test_open_action_items_show_on_their_owners_home_overdue_first(globex, people, client_for):
    today = timezone.localdate()
    review = review_hold(
        company=globex,
        held_on=today - timedelta(days=30),
        attendees=[people["rep"], people["marketer"]],
        by=people["rep"],
        action_items=[
            ActionDraft("Later thing", people["rep"], today + timedelta(days=10)),
            ActionDraft("Overdue thing", people["rep"], today - timedelta(days=3)),
            ActionDraft("Someone else's", people["rep2"], today),
        ],
    )
    home = client_for(people["rep"]).get("/").content.decode()
    assert "Your action items" in home
    assert home.index("Overdue thing") < home.index("Later thing") and "Someone else" not in home
    overdue = review.action_items.get(title="Overdue thing")
    closed = client_for(people["rep"]).post(
        f"/action-items/{overdue.pk}/close/", {"status": "done", "next": "/"}, follow=True
    )
    assert closed.status_code == 200 and "Overdue thing" not in closed.content.decode().split("Your action items")[1]
    assert client_for(people["sdr"]).post(f"/action-items/{overdue.pk}/reopen/").status_code == 302
    overdue.refresh_from_db()
    assert overdue.status == "done"  # the SDR was refused (with a message), nothing changed
    dashboard = client_for(people["sales_manager"]).get("/").content.decode()
    assert "Your action items" in dashboard
