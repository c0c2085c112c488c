"""The joint meeting: an agenda generated from the data, checked item by item on a small world worked out by
hand, the same when regenerated; action items carried from meeting to meeting until done."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import CallReport, CallReportTag, Company, Tag
from crm.services.reviews import action_item_close, review_hold
from funnel.exceptions import NotAllowed, NotPending
from funnel.meetings.services import meeting_action_item_add, meeting_agenda_generate, meeting_create
from funnel.models import AgendaItem, Handoff, JointMeeting, SlaBreach
from funnel.services.handoffs import handoff_accept, handoff_reject
from leads.models import Lead
from tests.funnel.conftest import move
from tests.funnel.test_concurrency import run_together

pytestmark = pytest.mark.django_db

LINK = {
    "carried_action": "action_item_id",
    "opportunity": "lead_id",
    "sla_breach": "handoff_id",
    "rejected_handoff": "handoff_id",
    "objection": "tag_id",
    "competitor": "tag_id",
    "unreviewed_account": "company_id",
}


def agenda(meeting) -> list[tuple[str, int]]:
    items = AgendaItem.objects.filter(meeting=meeting).order_by("position")
    return [(item.kind, getattr(item, LINK[item.kind])) for item in items]


@pytest.fixture
def handed(make_lead, people, rule):
    """handed() → a handoff to sales of a fresh lead marketing moved to intent (no value: never an opportunity)."""
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})

    def make():
        lead = make_lead()
        for stage in ("interest", "consideration", "intent"):
            move(lead, stage, people["marketer"])
        return Handoff.objects.get(lead=lead)

    return make


def _opportunity(make_lead, people, stage, value):
    """A lead worth `value` marketing moved to intent (handing it to sales) and, for evaluation, sales moved on."""
    lead = make_lead(expected_value=Decimal(value))
    for step in ("interest", "consideration", "intent")[: {"awareness": 0, "intent": 3, "evaluation": 3}[stage]]:
        move(lead, step, people["marketer"])
    if stage == "evaluation":
        handoff = Handoff.objects.get(lead=lead)
        handoff_accept(handoff_id=handoff.pk, actor=handoff.to_owner)
        move(lead, "evaluation", handoff.to_owner)
    return Lead.objects.get(pk=lead.pk)


def _reports(people, tag_counts: dict, on):
    """One call report per mention: tag_counts {tag: n} puts `tag` on n reports dated `on`."""
    for tag, n in tag_counts.items():
        for _ in range(n):
            report = CallReport.objects.create(
                author=people["rep"], company=Company.objects.first(), occurred_on=on, channel="call", outcome="Talked"
            )
            CallReportTag.objects.create(report=report, tag=tag)


def _tag(kind, slug, label, status="accepted"):
    return Tag.objects.create(kind=kind, slug=slug, label=label, status=status)


def test_the_agenda_picks_exactly_the_right_items_in_order(people, make_lead, handed):
    today = timezone.localdate()
    now = timezone.now()
    manager = people["sales_manager"]

    previous = meeting_create(held_on=today - timedelta(days=14), opportunity_threshold=Decimal(0), by=manager)
    still_open = meeting_action_item_add(
        meeting=previous, title="Fix the MQL form", owner=people["marketer"], by=manager
    )
    finished = meeting_action_item_add(meeting=previous, title="Share the win story", owner=people["rep"], by=manager)
    action_item_close(item_id=finished.pk, status="done", by=people["rep"])

    big = _opportunity(make_lead, people, "evaluation", "120000")
    medium = _opportunity(make_lead, people, "intent", "80000")
    _opportunity(make_lead, people, "intent", "30000")  # below the threshold
    _opportunity(make_lead, people, "awareness", "200000")  # open but not an opportunity yet

    old_breach, new_breach = handed(), handed()
    SlaBreach.objects.create(handoff=old_breach, kind="accept", due_at=now - timedelta(days=20))  # before previous
    SlaBreach.objects.create(handoff=new_breach, kind="accept", due_at=now - timedelta(days=3))
    rejected, rejected_long_ago = handed(), handed()
    for handoff, days in ((rejected, 2), (rejected_long_ago, 20)):
        handoff_reject(handoff_id=handoff.pk, actor=handoff.to_owner, reason_code="no_budget")
        Handoff.objects.filter(pk=handoff.pk).update(decided_at=now - timedelta(days=days))

    globex = Company.objects.create(name="Globex", is_key_account=True, key_account_tier=1, owner=people["rep"])
    initech = Company.objects.create(name="Initech", is_key_account=True, key_account_tier=2, owner=people["rep"])
    Company.objects.create(name="Umbrella")  # not a key account
    for company, days in ((globex, 10), (initech, 200)):
        review_hold(
            company=company,
            held_on=today - timedelta(days=days),
            attendees=[manager, people["marketer"]],
            by=manager,
        )

    price, security, timing = (
        _tag("objection", "t-price", "Price"),
        _tag("objection", "t-security", "Security review"),
        _tag("objection", "t-timing", "Timing"),
    )
    suggested = _tag("objection", "t-lawyers", "Lawyers", status="suggested")
    acme, initrode = _tag("competitor", "t-acme", "Acme"), _tag("competitor", "t-initrode", "Initrode")
    _reports(
        people, {price: 3, security: 2, timing: 1, suggested: 4, acme: 2, initrode: 1}, on=today - timedelta(days=5)
    )
    _reports(people, {timing: 3, initrode: 3}, on=today - timedelta(days=20))  # before the previous meeting

    meeting = meeting_create(held_on=today, opportunity_threshold=Decimal("50000"), by=manager)
    raised_here = meeting_action_item_add(meeting=meeting, title="Plan Q3", owner=people["rep"], by=manager)

    expected = [
        ("carried_action", still_open.pk),
        ("opportunity", big.pk),
        ("opportunity", medium.pk),
        ("sla_breach", new_breach.pk),
        ("rejected_handoff", rejected.pk),
        ("objection", price.pk),
        ("objection", security.pk),
        ("objection", timing.pk),
        ("competitor", acme.pk),
        ("competitor", initrode.pk),
        ("unreviewed_account", initech.pk),
    ]
    assert agenda(meeting) == expected
    assert raised_here.pk not in [pk for kind, pk in agenda(meeting) if kind == "carried_action"]

    meeting_agenda_generate(meeting=meeting, by=manager)
    assert agenda(meeting) == expected
    first = AgendaItem.objects.filter(meeting=meeting).order_by("position")
    assert [item.position for item in first] == list(range(1, 12))
    assert first[1].detail == {
        "value": "120000.00",
        "currency": "USD",
        "stage": "evaluation",
        "owner": big.owner.get_username(),
    }
    assert big.stage == "evaluation" and first[1].title == f"{big.name} — Evaluation, 120,000 USD"
    assert first[5].detail == {"count": 3, "slug": "t-price"} and first[5].title == "Price — on 3 call reports"
    assert first[10].detail["days_since"] == 200 and first[10].title.startswith("Initech (Tier 2 — major)")


def test_an_action_item_leaves_the_agenda_once_done(people):
    manager = people["marketing_manager"]
    today = timezone.localdate()
    first = meeting_create(held_on=today - timedelta(days=7), opportunity_threshold=Decimal(10**6), by=manager)
    item = meeting_action_item_add(meeting=first, title="Refresh the deck", owner=people["marketer"], by=manager)
    second = meeting_create(held_on=today, opportunity_threshold=Decimal(10**6), by=manager)
    assert agenda(second) == [("carried_action", item.pk)]
    action_item_close(item_id=item.pk, status="done", by=people["marketer"])
    meeting_agenda_generate(meeting=second)
    assert agenda(second) == []


def test_the_first_meeting_looks_back_30_days(people, handed):
    now, today = timezone.now(), timezone.localdate()
    inside, outside = handed(), handed()
    SlaBreach.objects.create(handoff=inside, kind="accept", due_at=now - timedelta(days=29))
    SlaBreach.objects.create(handoff=outside, kind="accept", due_at=now - timedelta(days=31))
    meeting = meeting_create(held_on=today, opportunity_threshold=Decimal(10**6), by=people["leader"])
    assert agenda(meeting) == [("sla_breach", inside.pk)]


def test_only_the_top_five_tags_of_a_kind_are_on_the_agenda(people):
    Company.objects.create(name="Hooli")
    tags = [_tag("competitor", f"c{n}", f"Rival {n}") for n in range(7)]
    _reports(people, {tag: 7 - n for n, tag in enumerate(tags)}, on=timezone.localdate())
    meeting = meeting_create(held_on=timezone.localdate(), opportunity_threshold=Decimal(10**6), by=people["leader"])
    assert agenda(meeting) == [("competitor", tag.pk) for tag in tags[:5]]


def test_meetings_are_run_by_managers_and_one_a_day(people):
    today = timezone.localdate()
    for who in ("rep", "marketer", "sdr"):
        with pytest.raises(NotAllowed):
            meeting_create(held_on=today, opportunity_threshold=Decimal(0), by=people[who])
    meeting = meeting_create(held_on=today, opportunity_threshold=Decimal(0), by=people["sales_manager"])
    with pytest.raises(ValidationError) as twice:
        meeting_create(held_on=today, opportunity_threshold=Decimal(5), by=people["marketing_manager"])
    assert twice.value.message_dict == {"held_on": [f"There is already a joint meeting on {today}."]}
    with pytest.raises(NotAllowed):
        meeting_agenda_generate(meeting=meeting, by=people["rep"])
    with pytest.raises(NotAllowed):
        meeting_action_item_add(meeting=meeting, title="x", owner=people["rep"], by=people["rep"])
    assert JointMeeting.objects.count() == 1


@pytest.mark.parametrize(
    ("days", "threshold", "field"),
    [(-400, "0", "held_on"), (0, "-1", "opportunity_threshold"), (0, "1e12", "opportunity_threshold")],
)
def test_a_meeting_with_bad_fields_is_refused(people, days, threshold, field):
    with pytest.raises(ValidationError) as refused:
        meeting_create(
            held_on=timezone.localdate() - timedelta(days=days),
            opportunity_threshold=Decimal(threshold),
            by=people["leader"],
        )
    assert refused.value.message_dict.keys() == {field}
    assert not JointMeeting.objects.exists()


# The API


def test_the_api_creates_a_meeting_with_its_agenda_embedded_and_regenerates_it(people, api):
    Company.objects.create(name="Globex", is_key_account=True, key_account_tier=1)
    client = api(people["marketing_manager"])
    created = client.post("/api/v1/joint-meetings/", {"held_on": timezone.localdate(), "opportunity_threshold": "0"})
    assert created.status_code == 201, created.json()
    meeting = created.json()
    assert [(i["position"], i["kind"], i["title"]) for i in meeting["agenda"]] == [
        (1, "unreviewed_account", "Globex (Tier 1 — strategic) — never reviewed")
    ]
    assert meeting["agenda"][0]["detail"] == {"tier": 1, "owner": "no owner", "last_review": None, "days_since": None}
    raised = client.post(
        f"/api/v1/joint-meetings/{meeting['id']}/action-items/",
        {"title": "Review Globex", "owner": people["sales_manager"].pk},
    )
    assert raised.status_code == 201, raised.json()
    again = client.post(f"/api/v1/joint-meetings/{meeting['id']}/agenda/")
    assert again.status_code == 200
    assert [i["kind"] for i in again.json()["agenda"]] == ["unreviewed_account"]
    assert [i["title"] for i in again.json()["action_items"]] == ["Review Globex"]


def test_people_who_do_not_run_the_meeting_do_not_see_it(people, api):
    meeting = meeting_create(held_on=timezone.localdate(), opportunity_threshold=Decimal(0), by=people["leader"])
    rep = api(people["rep"])
    assert rep.get("/api/v1/joint-meetings/").json()["results"] == []
    assert rep.get(f"/api/v1/joint-meetings/{meeting.pk}/").status_code == 404
    assert rep.post(f"/api/v1/joint-meetings/{meeting.pk}/agenda/").status_code == 404
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused = rep.post("/api/v1/joint-meetings/", {"held_on": tomorrow, "opportunity_threshold": "0"})
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"held_on": "2026-02-30", "opportunity_threshold": "0"}, "held_on"),
        ({"held_on": "soon", "opportunity_threshold": "0"}, "held_on"),
        ({"held_on": "0001-01-01", "opportunity_threshold": "0"}, "held_on"),
        ({"held_on": "TODAY", "opportunity_threshold": "-5"}, "opportunity_threshold"),
        ({"held_on": "TODAY", "opportunity_threshold": "1e400"}, "opportunity_threshold"),
        ({"held_on": "TODAY", "opportunity_threshold": "a\u0000"}, "opportunity_threshold"),
        ({"held_on": "TODAY", "opportunity_threshold": "9" * 100_000}, "opportunity_threshold"),
    ],
)
def test_the_api_names_bad_meeting_input(people, api, body, field):
    body = {k: (timezone.localdate().isoformat() if v == "TODAY" else v) for k, v in body.items()}
    response = api(people["leader"]).post("/api/v1/joint-meetings/", body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not JointMeeting.objects.exists()


def test_a_meeting_action_with_a_bad_owner_or_date_is_refused(people, api):
    meeting = meeting_create(held_on=timezone.localdate(), opportunity_threshold=Decimal(0), by=people["leader"])
    client = api(people["leader"])
    url = f"/api/v1/joint-meetings/{meeting.pk}/action-items/"
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert client.post(url, {"title": "x", "owner": people["integration"].pk}).json()["errors"].keys() == {"owner"}
    assert client.post(url, {"title": "x", "owner": people["rep"].pk, "due_on": yesterday}).json()["errors"].keys() == {
        "due_on"
    }
    assert client.post(url, {"title": "", "owner": people["rep"].pk}).status_code == 400
    assert client.post("/api/v1/joint-meetings/abc/action-items/", {"title": "x"}).status_code == 404
    assert meeting.action_items.count() == 0


def test_the_meeting_list_costs_the_same_queries_whatever_its_length(people, api, django_assert_max_num_queries):
    client = api(people["leader"])
    today = timezone.localdate()
    meeting_create(held_on=today, opportunity_threshold=Decimal(0), by=people["leader"])
    with django_assert_max_num_queries(20) as one:
        assert len(client.get("/api/v1/joint-meetings/").json()["results"]) == 1
    for days in range(1, 7):
        earlier = meeting_create(
            held_on=today - timedelta(days=7 * days), opportunity_threshold=Decimal(0), by=people["leader"]
        )
        meeting_action_item_add(meeting=earlier, title="Follow up", owner=people["rep"], by=people["leader"])
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/joint-meetings/").json()["results"]) == 7


# The pages


def test_the_meeting_pages_show_the_agenda_with_links_and_regenerate_it(people, client_for):
    company = Company.objects.create(name="Globex", is_key_account=True, key_account_tier=2)
    web = client_for(people["sales_manager"])
    assert web.get("/meetings/").status_code == 200
    created = web.post("/meetings/new/", {"held_on": timezone.localdate().isoformat(), "opportunity_threshold": "1"})
    assert created.status_code == 302
    meeting = JointMeeting.objects.get()
    page = web.get(f"/meetings/{meeting.pk}/").content.decode()
    assert f'href="/companies/{company.pk}/"' in page and "Globex (Tier 2 — major) — never reviewed" in page
    assert f'href="/companies/{company.pk}/reviews/new/"' in page
    assert web.post(f"/meetings/{meeting.pk}/agenda/").status_code == 302
    added = web.post(f"/meetings/{meeting.pk}/action-items/", {"title": "Book the review", "owner": people["rep"].pk})
    assert added.status_code == 302
    assert "Book the review" in web.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Joint meeting" in web.get("/").content.decode()  # the navigation item


@pytest.mark.parametrize(
    "form",
    [
        {"held_on": "2026-99-99", "opportunity_threshold": "1"},
        {"held_on": "2026-01-01", "opportunity_threshold": "lots"},
        {"held_on": "2026-01-01\u0000", "opportunity_threshold": "1"},
        {"held_on": "2026-01-01", "opportunity_threshold": "1" * 100_000},
    ],
)
def test_the_meeting_form_refuses_nonsense_with_a_400(people, client_for, form):
    assert client_for(people["leader"]).post("/meetings/new/", form).status_code == 400
    assert not JointMeeting.objects.exists()


def test_the_meeting_pages_are_for_those_who_run_it(people, client_for):
    meeting = meeting_create(held_on=timezone.localdate(), opportunity_threshold=Decimal(0), by=people["leader"])
    rep = client_for(people["rep"])
    assert rep.get("/meetings/").status_code == 403
    assert rep.get(f"/meetings/{meeting.pk}/").status_code == 403
    assert rep.post(f"/meetings/{meeting.pk}/agenda/").status_code == 403
    assert client_for(people["leader"]).get("/meetings/999999/").status_code == 404
    assert client_for(people["leader"]).get("/meetings/abc/").status_code == 404
    assert "Joint meeting" not in rep.get("/").content.decode()


# Concurrency, with real concurrent transactions


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_regenerations_at_once_queue_and_leave_one_whole_agenda(people, funnel_defaults, attempt):
    today = timezone.localdate()
    for n in range(3):
        Company.objects.create(name=f"Key {n}", is_key_account=True, key_account_tier=3)
    meeting = meeting_create(held_on=today, opportunity_threshold=Decimal(0), by=people["leader"])
    results = run_together(*[lambda: meeting_agenda_generate(meeting=meeting, by=people["leader"])] * 2)
    assert [len(r) for r in results] == [3, 3], results
    assert [pos for _, pos in AgendaItem.objects.filter(meeting=meeting).values_list("kind", "position")] == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_closing_one_item_as_done_and_dropped_at_once_one_wins(people, funnel_defaults, attempt):
    meeting = meeting_create(held_on=timezone.localdate(), opportunity_threshold=Decimal(0), by=people["leader"])
    item = meeting_action_item_add(meeting=meeting, title="Decide", owner=people["rep"], by=people["leader"])
    results = run_together(
        lambda: action_item_close(item_id=item.pk, status="done", by=people["rep"]),
        lambda: action_item_close(item_id=item.pk, status="dropped", by=people["sales_manager"]),
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    assert len(winners) == 1 and sum(isinstance(r, NotPending) for r in results) == 1, results
    item.refresh_from_db()
    assert (item.status, item.closed_by_id) == (winners[0].status, winners[0].closed_by_id)


def test_an_opportunity_nobody_owns_and_a_key_account_without_owner_read_plainly(people, make_lead, client_for):
    lead = _opportunity(make_lead, people, "intent", "90000")
    Lead.objects.filter(pk=lead.pk).update(owner=None)  # in the sales team's queue
    bare = Company.objects.create(name="Bare", is_key_account=True, key_account_tier=3)
    meeting = meeting_create(held_on=timezone.localdate(), opportunity_threshold=Decimal(1), by=people["leader"])
    assert agenda(meeting) == [("opportunity", lead.pk), ("unreviewed_account", bare.pk)]
    details = [item.detail["owner"] for item in AgendaItem.objects.filter(meeting=meeting).order_by("position")]
    assert details == ["unassigned", "no owner"]
    page = client_for(people["leader"]).get(f"/meetings/{meeting.pk}/")
    assert page.status_code == 200 and "owner: unassigned" in page.content.decode()
