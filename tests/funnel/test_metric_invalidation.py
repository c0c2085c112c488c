"""Late changes reach closed periods' snapshots: a change dated inside a computed closed period writes an
invalidation with itself (the outbox), the snapshot says it changed since, and the schedule recomputes it.

February 2026 is the hand-worked scenario of tests/funnel/metrics_scenario.py; it is closed whatever today is."""

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import Client

from crm.models import Campaign, Company, Touch
from crm.services.records import company_merge, company_update
from funnel.attribution.services import attribution_rebuild
from funnel.metrics.compute import snapshot_compute
from funnel.metrics.dashboard import dashboard_read
from funnel.metrics.families import FAMILIES
from funnel.metrics.invalidation import metrics_invalidate, stale_snapshots
from funnel.metrics.models import MetricInvalidation, MetricSnapshot, MetricValue
from funnel.metrics.periods import period_of
from funnel.metrics.services import metrics_recompute_stale
from integrations.models import OutboxMessage
from leads.imports.services import import_job_create
from leads.models import Lead
from tests.funnel.conftest import move
from tests.funnel.metrics_scenario import build_scenario

FEBRUARY = period_of(kind="month", day=date(2026, 2, 1))
FEB_3 = period_of(kind="day", day=date(2026, 2, 3))
INVALIDATE = "funnel.tasks.metrics_invalidate"


def interest_to_consideration() -> MetricValue:
    return MetricValue.objects.get(
        snapshot__period_kind="month", snapshot__period_start=FEBRUARY.start, metric="cohort_conversion",
        stage="interest", to_stage="consideration", dimension="all",
    )  # fmt: skip


@pytest.fixture
def computed(people):
    """The scenario with February's month and Feb 3's day computed, as the nightly job leaves them."""
    leads = build_scenario(people)
    for period in (FEBRUARY, FEB_3):
        snapshot_compute(period=period, families=FAMILIES)
    return leads


def invalidations() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(task=INVALIDATE))


def cohort(body: dict) -> tuple[str, str]:
    """The dashboard API's interest → consideration cohort conversion, as (numerator, denominator)."""
    [row] = [
        n for n in body["numbers"] if (n["metric"], n["stage"], n["to_stage"]) == (
            "cohort_conversion", "interest", "consideration"
        )
    ]  # fmt: skip
    return row["numerator"], row["denominator"]


def cohort_cell(response) -> str:
    """The dashboard page's interest → consideration cohort rate, as shown."""
    row = response.content.decode().split('<td data-label="From → to"><span class="stage stage-interest">')[1]
    return row.split('data-label="Cohort">')[1].split("</a>")[0].rsplit(">", 1)[1]


def test_a_move_today_settles_februarys_cohort_and_the_schedule_recomputes_it(
    computed, people, api, django_capture_on_commit_callbacks
):
    assert (interest_to_consideration().numerator, interest_to_consideration().denominator) == (15, 21)
    february_api = "/api/v1/dashboard/?period_kind=month&period_start=2026-02-01"
    first = api(people["sales_manager"]).get(february_api)  # its body is now kept in the cache
    before = first.json()
    assert before["changed_at"] is None and cohort(before) == ("15.000000", "21.000000")
    again = api(people["sales_manager"]).get(february_api, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    page = Client()
    page.force_login(people["leader"])
    february_page = "/metrics/?period=month&start=2026-02-01"
    assert cohort_cell(page.get(february_page)) == "71.4 %"  # 15/21; the board's HTML is now cached too
    waiting = computed["P5"][0]  # entered interest on Feb 3 and still there
    with django_capture_on_commit_callbacks(execute=True):
        move(waiting, "consideration", people["admin"])
    [message] = invalidations()
    # Its interest entry's day; its capture's (Jan 10) is left out: no January snapshot is computed.
    assert message.kwargs["days"] == ["2026-02-03"]
    assert message.kwargs["cause"] == "transition"
    assert set(stale_snapshots().values_list("period_kind", "period_start")) == {
        ("month", FEBRUARY.start), ("day", FEB_3.start),
    }  # fmt: skip
    board = dashboard_read(period=FEBRUARY)
    assert board.changed_at is not None and board.changed_at >= board.computed_at
    changed = api(people["sales_manager"]).get(february_api, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]  # the late change is news
    body = changed.json()
    assert body["changed_at"] is not None and cohort(body) == ("15.000000", "21.000000")
    row = api(people["sales_manager"]).get("/api/v1/metrics/?period_kind=month&period_start=2026-02-01").json()
    assert all(r["changed_at"] for r in row["results"])
    html = page.get(february_page).content.decode()
    assert "Changed since:" in html and "recomputes it within 10 minutes" in html

    jobs = metrics_recompute_stale()

    assert sorted((job.period_kind, job.period_starts) for job in jobs) == [
        ("day", ["2026-02-03"]), ("month", ["2026-02-01"]),
    ]  # fmt: skip
    assert (interest_to_consideration().numerator, interest_to_consideration().denominator) == (16, 21)
    assert not stale_snapshots().exists()
    assert dashboard_read(period=FEBRUARY).changed_at is None
    after = api(people["sales_manager"]).get(february_api).json()
    assert after["changed_at"] is None and cohort(after) == ("16.000000", "21.000000")
    assert after["computed_at"] > body["computed_at"]
    assert "Changed since:" not in page.get(february_page).content.decode()
    assert cohort_cell(page.get(february_page)) == "76.2 %"  # 16/21
    assert metrics_recompute_stale() == []  # nothing left to do


def test_a_refused_move_and_a_rolled_back_one_invalidate_nothing(computed, people, django_capture_on_commit_callbacks):
    waiting = computed["P5"][1]
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        move(waiting, "consideration", people["admin"])
        raise RuntimeError("the caller's own work failed after the move")
    assert invalidations() == []
    assert not MetricInvalidation.objects.exists()
    assert not stale_snapshots().exists()


def test_moves_of_leads_whose_days_no_closed_snapshot_holds_send_nothing(people, django_capture_on_commit_callbacks):
    leads = build_scenario(people)  # nothing computed yet: the demo's year is written so, without a message
    assert invalidations() == []
    snapshot_compute(period=FEB_3, families=FAMILIES)
    with django_capture_on_commit_callbacks(execute=True):
        move(leads["P8"][0], "interest", people["admin"])  # captured Feb 5: no computed closed period holds it
    assert invalidations() == []


def test_spend_dated_in_february_marks_february_and_removing_it_marks_it_again(
    computed, people, api, django_capture_on_commit_callbacks
):
    campaign_id = Campaign.objects.get().pk
    client = api(people["marketing_manager"])
    with django_capture_on_commit_callbacks(execute=True):
        spend = client.post(
            f"/api/v1/campaigns/{campaign_id}/spend/", {"spent_on": "2026-02-10", "amount": "1200.00"}, format="json"
        )
    assert spend.status_code == 201, spend.content
    assert [m.kwargs["days"] for m in invalidations()] == [["2026-02-10"]]
    assert set(stale_snapshots().values_list("period_kind", flat=True)) == {"month"}  # Feb 10's day is not computed
    [mark] = MetricInvalidation.objects.all()
    assert mark.cause == "campaign spend"

    metrics_recompute_stale()
    cost = MetricValue.objects.get(
        snapshot__period_start=FEBRUARY.start, snapshot__period_kind="month", metric="cost_per_lead",
        dimension="all", to_stage="USD",
    )  # fmt: skip
    assert cost.numerator == Decimal("1200")
    assert not stale_snapshots().exists()


def test_an_expense_recorded_for_today_sends_nothing(computed, people, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = api(people["sales_manager"]).post(
            "/api/v1/sales-expenses/",
            {"team": people["rep"].team_id, "spent_on": date.today().isoformat(), "amount": "90.00"},
            format="json",
        )
    assert answer.status_code == 201, answer.content
    assert invalidations() == []


def test_a_touch_back_dated_before_a_purchase_marks_the_purchases_period(
    computed, people, api, django_capture_on_commit_callbacks
):
    buyer = computed["P9"][0]  # bought on Feb 12
    campaign_id = Campaign.objects.get().pk
    item = {"lead": buyer.pk, "campaign": campaign_id, "kind": "webinar_attended"}
    item["occurred_at"] = "2026-01-05T10:00:00Z"
    with django_capture_on_commit_callbacks(execute=True):
        answer = api(people["marketer"]).post("/api/v1/touches/bulk/", {"touches": [item]}, format="json")
    assert answer.json()["created"] == 1, answer.content
    [message] = invalidations()
    assert (message.kwargs["days"], message.kwargs["lead_ids"]) == (["2026-01-05"], [buyer.pk])
    # January's touch day holds no computed snapshot; the purchase it now influenced lies in February.
    assert set(stale_snapshots().values_list("period_kind", "period_start")) == {("month", FEBRUARY.start)}


def test_the_invalidation_runs_twice_and_marks_the_same_periods(computed):
    assert metrics_invalidate(days=[date(2026, 2, 3)], cause="test") == 2
    assert metrics_invalidate(days=[date(2026, 2, 3)], cause="test") == 2
    assert MetricInvalidation.objects.count() == 2
    assert stale_snapshots().count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_change_marked_while_a_recompute_reads_leaves_the_snapshot_stale(people, funnel_defaults):
    """Real concurrent transactions: a recompute holds its REPEATABLE READ snapshot while a change commits and is
    marked; the recompute then commits without it, so the period must stay stale (and the recompute not fail)."""
    build_scenario(people)
    reading, marked = threading.Event(), threading.Event()

    def slow_family(cursor, batch):
        reading.set()
        assert marked.wait(10)

    failures = []

    def recompute():
        try:
            snapshot_compute(period=FEBRUARY, families=[*FAMILIES, slow_family])
        except Exception as error:  # noqa: BLE001 - asserted below: a thread's exception would vanish
            failures.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=recompute)
    worker.start()
    assert reading.wait(30)
    assert metrics_invalidate(days=[date(2026, 2, 20)], cause="test") == 0  # first computation: no row yet to mark
    marked.set()
    worker.join(30)
    assert failures == []
    assert not stale_snapshots().exists()

    # The period now exists; a second recompute is caught mid-read by a change marked meanwhile.
    reading.clear(), marked.clear()
    worker = threading.Thread(target=recompute)
    worker.start()
    assert reading.wait(30)
    assert metrics_invalidate(days=[date(2026, 2, 20)], cause="test") == 1
    marked.set()
    worker.join(30)
    assert failures == []
    snapshot = MetricSnapshot.objects.get(period_kind="month", period_start=FEBRUARY.start)
    assert list(stale_snapshots()) == [snapshot]

    # A recompute that starts after the mark reads the change and clears it.
    metrics_recompute_stale()
    assert not stale_snapshots().exists()


def test_a_segment_edit_reslices_the_leads_history_and_a_phone_edit_does_not(
    computed, people, api, django_capture_on_commit_callbacks
):
    buyer = computed["P9"][0]  # captured Jan 2, in interest Jan 3 … bought Feb 12: February holds its history
    client = api(people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.patch(f"/api/v1/leads/{buyer.pk}/", {"phone": "+1 555 0199"}).status_code == 200
    assert invalidations() == []
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.patch(f"/api/v1/leads/{buyer.pk}/", {"segment": "enterprise"})
    assert answer.status_code == 200, answer.content
    [message] = invalidations()
    assert (message.kwargs["history_of"], message.kwargs["cause"]) == ([buyer.pk], "lead edited")
    assert set(stale_snapshots().values_list("period_kind", "period_start")) == {("month", FEBRUARY.start)}


def test_a_company_becoming_a_key_account_or_merged_into_one_reslices_its_leads_history(
    computed, people, django_capture_on_commit_callbacks
):
    shared = Company.objects.get(domain="p1-0.example")  # P1's first copy and P9, both bought in February
    with django_capture_on_commit_callbacks(execute=True):
        company_update(user=people["admin"], company_id=shared.pk, industry="Retail")
    assert invalidations() == []  # not a slice the metrics use
    with django_capture_on_commit_callbacks(execute=True):
        company_update(user=people["admin"], company_id=shared.pk, is_key_account=True, key_account_tier=1)
    [message] = invalidations()
    expected = sorted([computed["P1"][0].pk, computed["P9"][0].pk])
    assert (message.kwargs["history_of"], message.kwargs["cause"]) == (expected, "key account changed")
    assert ("month", FEBRUARY.start) in set(stale_snapshots().values_list("period_kind", "period_start"))

    other = Company.objects.get(domain="x.example")  # P10 and P11, not a key account
    with django_capture_on_commit_callbacks(execute=True):
        company_merge(keep=shared.pk, duplicate=other.pk, by=people["admin"])
    merged = invalidations()[-1]
    expected += [computed["P10"][0].pk, computed["P11"][0].pk]
    assert (merged.kwargs["history_of"], merged.kwargs["cause"]) == (sorted(expected), "key account merged")


def test_an_import_with_back_dated_touches_marks_their_days_and_the_buyers_purchase(
    computed, people, django_capture_on_commit_callbacks
):
    content = (
        b"Last name,E-mail,Touch,When\n"
        b"Buyer,p9-0@mail.example,webinar_attended,2026-01-05T10:00:00Z\n"  # P9 bought on Feb 12
        b"Newcomer,new@mail.example,visit,2026-02-03T15:00:00Z\n"
    )
    mapping = {
        "Last name": "lead.last_name",
        "E-mail": "lead.email",
        "Touch": "touch.kind",
        "When": "touch.occurred_at",
    }
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(
            actor=people["admin"], content=content, filename="touches.csv", mapping=mapping,
            defaults={"lead.source_campaign": "Spring webinar"}, dry_run=False,
        )  # fmt: skip
    job.refresh_from_db()
    assert (job.status, job.counts) == ("done", {"updated": 1, "created": 1}), job.error
    [message] = [m for m in invalidations() if m.kwargs["cause"] == "imported touches"]
    assert message.kwargs["days"] == ["2026-01-05", "2026-02-03"]
    assert message.kwargs["lead_ids"] == sorted(
        Lead.objects.filter(email__in=["p9-0@mail.example", "new@mail.example"]).values_list("pk", flat=True)
    )
    # Feb 3's day (the newcomer's touch) and February (that touch, and the buyer's purchase it now influenced).
    assert set(stale_snapshots().values_list("period_kind", "period_start")) == {
        ("month", FEBRUARY.start), ("day", FEB_3.start),
    }  # fmt: skip


def test_the_nightly_rebuild_marks_once_the_periods_whose_credits_moved(
    computed, people, django_capture_on_commit_callbacks
):
    buyer = computed["P9"][0]  # bought on Feb 12, with no touch until now
    Touch.objects.create(  # as an ad platform's late export leaves it, for the rebuild to pick up
        lead=buyer, campaign=Campaign.objects.get(), kind="webinar_attended",
        occurred_at=datetime(2026, 1, 5, 10, tzinfo=UTC), recorded_by=people["marketer"],
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        attribution_rebuild()
    [message] = [m for m in invalidations() if m.kwargs["cause"] == "attribution rebuilt"]
    assert message.kwargs["days"] == ["2026-02-12"]  # one message for the batch, only the purchase that moved
    assert set(stale_snapshots().values_list("period_kind", "period_start")) == {("month", FEBRUARY.start)}
    with django_capture_on_commit_callbacks(execute=True):
        attribution_rebuild()  # nothing moves the second time
    assert len([m for m in invalidations() if m.kwargs["cause"] == "attribution rebuilt"]) == 1
