"""The web lead list: sortable columns walked by keyset, an approximate total, saved views, bulk moves."""

import base64
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SavedView
from funnel.views import lead_list
from funnel.views.listing import about
from leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(lead_list, "PAGE_SIZE", 2)


def walk_pages(client, query: dict) -> list[list[str]]:
    pages, url = [], reverse("lead-list") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    while url:
        response = client.get(url)
        pages.append([lead.last_name for lead in response.context["leads"]])
        url = reverse("lead-list") + response.context["next_url"] if response.context["next_url"] else ""
    return pages


def test_sorting_by_name_walks_every_lead_once_in_order(client, people, make_lead, small_pages):
    for name in ("Diaz", "Abe", "Chu", "Bose", "Eto"):
        make_lead(owner=people["rep"], last_name=name)
    client.force_login(people["rep"])
    assert walk_pages(client, {"sort": "name"}) == [["Abe", "Bose"], ["Chu", "Diaz"], ["Eto"]]


def test_sorting_by_score_keeps_ties_in_a_stable_order_across_pages(client, people, make_lead, small_pages):
    leads = [make_lead(owner=people["rep"], last_name=f"L{n}") for n in range(5)]
    for lead, score in zip(leads, (50, 80, 50, 50, 10), strict=True):
        Lead.objects.filter(pk=lead.pk).update(score=score)
    client.force_login(people["rep"])
    pages = walk_pages(client, {"sort": "score"})
    assert pages == [["L1", "L3"], ["L2", "L0"], ["L4"]]  # 80, then the three 50s newest first, then 10


def test_a_cursor_that_is_not_ours_shows_the_first_page_and_says_so(client, people, make_lead):
    make_lead(owner=people["rep"], last_name="Only")
    client.force_login(people["rep"])
    crafted = [
        ("newest", "garbage"),  # not base64 JSON
        ("newest", _cursor(["x"])),  # a string id
        ("newest", _cursor([1, 2, 3])),  # too many values
        ("newest", _cursor([2**63])),  # an id no column holds
        ("score", _cursor(["high", 5])),  # a word where the score goes
        ("score", _cursor([40000, 5])),  # past a small integer
        ("name", _cursor(["Ab\x00c", "", 5])),  # NUL, which PostgreSQL text cannot hold
        ("name", _cursor(["x" * 5000, "", 5])),
        ("name", _cursor([True, "", 5])),
        ("newest", base64.urlsafe_b64encode(b"[" * 5000).decode()),  # nested past the recursion limit
    ]
    for sort, cursor in crafted:
        response = client.get(reverse("lead-list"), {"cursor": cursor, "sort": sort})
        assert response.status_code == 200, (sort, cursor)
        assert [lead.last_name for lead in response.context["leads"]] == ["Only"]
        assert "out of date" in response.content.decode()


def _cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def test_the_total_is_exact_when_small_and_an_estimate_past_a_thousand(client, people, make_lead):
    for _ in range(3):
        make_lead(owner=people["rep"])
    client.force_login(people["rep"])
    assert client.get(reverse("lead-list")).context["total"] == "3"
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(
            last_name=f"Bulk {n}",
            owner=people["rep"],
            team=people["rep"].team,
            stage="awareness",
            owning_function="marketing",
            stage_entered_at=now,
            created_at=now,
        )
        for n in range(1100)
    )
    total = client.get(reverse("lead-list")).context["total"]
    assert total.startswith("about ")
    assert about(1_234_567, False) == "about 1.2 M" and about(12_345, False) == "about 12 k"


def test_a_saved_view_keeps_the_filters_but_not_the_page(client, people):
    client.force_login(people["rep"])
    client.post(
        reverse("saved-view-save"),
        {"name": "Intent by score", "query": "stage=intent&sort=score&cursor=abc", "next": "/leads/"},
    )
    view = SavedView.objects.get(user=people["rep"])
    assert (view.name, view.query) == ("Intent by score", "stage=intent&sort=score")
    page = client.get(reverse("lead-list")).content.decode()
    assert 'href="/leads/?stage=intent&amp;sort=score">Intent by score</a>' in page
    client.force_login(people["rep2"])
    client.post(reverse("saved-view-delete", kwargs={"view_id": view.pk}))
    assert SavedView.objects.filter(pk=view.pk).exists()  # not rep2's to delete


def test_a_bulk_move_runs_each_lead_through_its_rules_and_names_each_refusal(client, people, make_lead, rule):
    rule("Score gate", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 30}])
    ready = [make_lead(owner=people["marketer"], last_name=f"Ready{n}") for n in range(2)]
    cold = make_lead(owner=people["marketer"], last_name="Cold")
    Lead.objects.filter(pk__in=[lead.pk for lead in ready]).update(score=40)
    client.force_login(people["marketer"])
    response = client.post(
        reverse("lead-bulk-move"),
        {"ids": [cold.pk, *(lead.pk for lead in ready)], "to_stage": "interest", "next": "/leads/"},
        follow=True,
    )
    page = response.content.decode()
    assert "Moved 2 leads to Interest." in page
    assert "1 not moved to Interest — Cold: Score gate: score ≥ 30 — score is 0" in page
    assert sorted(Lead.objects.filter(stage="interest").values_list("last_name", flat=True)) == ["Ready0", "Ready1"]


def test_a_bulk_move_of_leads_one_may_not_change_refuses_each_by_name(client, people, make_lead):
    theirs = make_lead(owner=people["rep2"], last_name="Teammates")
    client.force_login(people["rep"])
    page = client.post(
        reverse("lead-bulk-move"), {"ids": [theirs.pk, 999999], "to_stage": "interest"}, follow=True
    ).content.decode()
    assert "2 not moved to Interest" in page and "rep2&#x27;s to change" in page and "lead 999999: not found" in page
    assert Lead.objects.get(pk=theirs.pk).stage == "awareness"


def test_a_filter_that_is_not_valid_shows_no_leads_and_says_why(client, people, make_lead):
    make_lead(owner=people["rep"], last_name="Hidden")
    client.force_login(people["rep"])
    response = client.get(reverse("lead-list"), {"owner": "abc"})
    assert response.status_code == 200
    assert list(response.context["leads"]) == [] and response.context["total"] == "0"
    assert "owner" in response.context["filter_errors"]


def test_several_stages_filter_together_and_the_form_shows_them_chosen(client, people, make_lead):
    from tests.funnel.conftest import move

    staying = make_lead(owner=people["sdr"], last_name="Aware")
    moved = make_lead(owner=people["sdr"], last_name="Interested")
    move(moved, "interest", people["admin"])
    client.force_login(people["sdr"])
    response = client.get(reverse("lead-list"), {"stage": ["interest", "consideration", "intent"]})
    assert [lead.last_name for lead in response.context["leads"]] == ["Interested"]
    page = response.content.decode()
    assert "Interest, Consideration, Intent" in page
    assert page.count('name="stage" value="interest" checked') == 1
    assert staying.pk not in [lead.pk for lead in response.context["leads"]]


def test_a_bulk_move_of_more_than_two_hundred_leads_is_refused_whole(client, people, make_lead):
    leads = [make_lead(owner=people["rep"]) for _ in range(3)]
    ids = [lead.pk for lead in leads] + list(range(10**6, 10**6 + 198))
    client.force_login(people["rep"])
    response = client.post(
        reverse("lead-bulk-move"), {"ids": [str(i) for i in ids], "to_stage": "interest"}, follow=True
    )
    assert "at most 200 leads at a time; 201 were chosen" in response.content.decode()
    assert set(Lead.objects.filter(pk__in=[lead.pk for lead in leads]).values_list("stage", flat=True)) == {"awareness"}
