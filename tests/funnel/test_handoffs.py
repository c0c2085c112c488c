"""Handoffs: accepted or rejected by the receiving side; SLA clocks recorded once and escalated."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Notification
from crm.models import CallReport
from funnel.exceptions import NotAllowed, NotPending
from funnel.models import Handoff, SlaBreach
from funnel.services.handoff_open import handoff_first_touch_record
from funnel.services.handoffs import handoff_accept, handoff_reject
from funnel.services.sla import handoff_sla_breaches_record
from funnel.services.touches import years_from
from funnel.tasks import handoff_sla_check
from leads.models import Lead
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed(make_lead, people, rule):
    """A lead marketing handed to sales (rep), 4 h to accept, 2 h to first touch."""
    rule(
        "To sales",
        to_stages=["intent"],
        routing={"kind": "round_robin", "team": people["rep"].team_id},
        accept_within_hours=4,
        first_touch_within_hours=2,
        sla_clock="clock",
    )
    lead = make_lead()
    for stage in ("interest", "consideration", "intent"):
        move(lead, stage, people["marketer"])
    return Handoff.objects.get(lead=lead)


def test_receiver_accepts(handed, people):
    handoff = handoff_accept(handoff_id=handed.pk, actor=people["rep"])
    assert (handoff.status, handoff.decided_by) == ("accepted", people["rep"])
    with pytest.raises(NotPending):
        handoff_accept(handoff_id=handed.pk, actor=people["rep"])


def test_only_the_receiving_side_answers(handed, people):
    for who in ("marketer", "rep2", "sdr"):
        with pytest.raises(NotAllowed):
            handoff_accept(handoff_id=handed.pk, actor=people[who])
    assert handoff_accept(handoff_id=handed.pk, actor=people["sales_manager"]).status == "accepted"


def test_rejection_sends_the_lead_to_nurture_with_the_reason(handed, people):
    handoff_reject(handoff_id=handed.pk, actor=people["rep"], reason_code="no_budget", note="Budget frozen until Q3")
    lead = Lead.objects.get(pk=handed.lead_id)
    assert (lead.stage, lead.owning_function, lead.owner) == ("nurture", "marketing", people["marketer"])
    assert lead.outcome_reason == "Handoff rejected: No budget — Budget frozen until Q3"
    last = lead.transitions.first()
    assert (last.from_stage, last.to_stage, last.actor) == ("intent", "nurture", people["rep"])
    handed.refresh_from_db()
    assert (handed.status, handed.reject_reason_id, handed.reject_note) == (
        "rejected",
        "no_budget",
        "Budget frozen until Q3",
    )


def test_rejection_reason_is_visible_to_marketing_through_the_api(handed, people, client_for):
    handoff_reject(handoff_id=handed.pk, actor=people["rep"], reason_code="bad_timing")
    body = client_for(people["marketer"]).get(f"/api/v1/leads/{handed.lead_id}/").json()
    assert (body["stage"], body["outcome_reason"], body["full_access"]) == (
        "nurture",
        "Handoff rejected: Bad timing",
        True,
    )
    handoffs = client_for(people["marketer"]).get(f"/api/v1/handoffs/?lead={handed.lead_id}").json()["results"]
    assert [(h["status"], h["reject_reason"]) for h in handoffs] == [("rejected", "bad_timing")]


def test_rejection_needs_a_known_code_and_other_needs_a_note(handed, people):
    with pytest.raises(ValidationError, match="'meh' is not a rejection reason"):
        handoff_reject(handoff_id=handed.pk, actor=people["rep"], reason_code="meh")
    with pytest.raises(ValidationError, match="needs a note"):
        handoff_reject(handoff_id=handed.pk, actor=people["rep"], reason_code="other")
    handed.refresh_from_db()
    assert handed.status == "pending"


def test_api_accept_and_reject(handed, people, client_for):
    response = client_for(people["rep"]).post(
        f"/api/v1/handoffs/{handed.pk}/reject/", {"reason_code": "no_need"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    again = client_for(people["rep"]).post(f"/api/v1/handoffs/{handed.pk}/accept/")
    assert again.status_code == 409
    assert again.json()["code"] == "not_pending"


def test_sla_breach_is_recorded_once_across_repeated_runs(handed, people):
    later = timezone.now() + timedelta(hours=5)
    first = handoff_sla_breaches_record(now=later)
    assert sorted(b.kind for b in first) == ["accept", "first_touch"]
    assert handoff_sla_breaches_record(now=later) == []
    assert handoff_sla_breaches_record(now=later + timedelta(hours=1)) == []
    assert SlaBreach.objects.filter(handoff=handed).count() == 2
    breach = SlaBreach.objects.get(handoff=handed, kind="accept")
    assert (breach.due_at, breach.escalated_to) == (handed.accept_due_at, people["sales_manager"])
    notes = Notification.objects.filter(recipient=people["sales_manager"], kind__startswith="sla_breach")
    assert notes.count() == 2
    assert "SLA missed: accept or reject of Lead" in notes.get(kind="sla_breach_accept").message


def test_no_breach_before_the_clock_runs_out_or_after_an_answer(handed, people):
    assert handoff_sla_breaches_record(now=timezone.now() + timedelta(hours=1)) == []
    handoff_accept(handoff_id=handed.pk, actor=people["rep"])
    handoff_first_touch_record(lead=handed.lead, by=people["rep"])
    assert handoff_sla_breaches_record(now=timezone.now() + timedelta(days=3)) == []


def test_first_touch_clock_runs_after_acceptance(handed, people):
    handoff_accept(handoff_id=handed.pk, actor=people["rep"])
    breaches = handoff_sla_breaches_record(now=timezone.now() + timedelta(hours=3))
    assert [b.kind for b in breaches] == ["first_touch"]


def test_the_periodic_task_records_breaches(handed):
    Handoff.objects.filter(pk=handed.pk).update(accept_due_at=timezone.now() - timedelta(minutes=1))
    assert handoff_sla_check() == 1
    assert handoff_sla_check() == 0


def test_a_call_report_by_the_receiver_is_the_first_touch(handed, people, client_for):
    handoff_accept(handoff_id=handed.pk, actor=people["rep"])
    response = client_for(people["rep"]).post(
        f"/api/v1/leads/{handed.lead_id}/call-reports/",
        {"occurred_on": timezone.localdate().isoformat(), "channel": "call", "outcome": "Discovery call"},
        format="json",
    )
    assert response.status_code == 201
    handed.refresh_from_db()
    assert handed.first_touched_at is not None
    assert handoff_sla_breaches_record(now=timezone.now() + timedelta(days=3)) == []
    listed = client_for(people["rep"]).get(f"/api/v1/leads/{handed.lead_id}/call-reports/").json()["results"]
    assert [(r["author"], r["outcome"]) for r in listed] == [("rep", "Discovery call")]


def test_a_call_report_in_the_future_is_refused(handed, people, client_for):
    # Two days ahead of UTC is the future in every time zone (UTC+14 is at most one day ahead).
    future = (timezone.now() + timedelta(days=2)).date().isoformat()
    response = client_for(people["rep"]).post(
        f"/api/v1/leads/{handed.lead_id}/call-reports/",
        {"occurred_on": future, "channel": "call", "outcome": "Time travel"},
        format="json",
    )
    assert response.status_code == 400
    assert "occurred_on" in response.json()["errors"]


def test_a_call_report_dated_today_in_the_easternmost_zone_is_accepted(handed, people, client_for):
    today_in_kiribati = (timezone.now() + timedelta(hours=14)).date().isoformat()
    response = client_for(people["rep"]).post(
        f"/api/v1/leads/{handed.lead_id}/call-reports/",
        {"occurred_on": today_in_kiribati, "channel": "call", "outcome": "Morning call"},
        format="json",
    )
    assert response.status_code == 201
    assert CallReport.objects.get(lead=handed.lead).occurred_on.isoformat() == today_in_kiribati


def test_a_call_on_29_february_may_plan_a_next_step_up_to_28_february_two_years_on(
    handed, people, client_for, monkeypatch
):
    # Logged the next day: a next step already past is refused, so the clock stands at 1 March 2024.
    monkeypatch.setattr("django.utils.timezone.now", lambda: datetime(2024, 3, 1, 12, tzinfo=UTC))

    def log(next_step_on: str):
        return client_for(people["rep"]).post(
            f"/api/v1/leads/{handed.lead_id}/call-reports/",
            {
                "occurred_on": "2024-02-29",
                "channel": "call",
                "outcome": "Leap-day call",
                "next_step": "Renewal talk",
                "next_step_on": next_step_on,
            },
            format="json",
        )

    assert log("2026-03-01").json()["errors"].keys() == {"next_step_on"}
    assert log("2026-02-28").status_code == 201
    assert list(CallReport.objects.values_list("next_step_on", flat=True)) == [date(2026, 2, 28)]


def test_years_from_keeps_the_day_and_moves_29_february_to_the_28th():
    assert years_from(date(2024, 2, 29), 2) == date(2026, 2, 28)
    assert years_from(date(2034, 2, 28), -10) == date(2024, 2, 28)
    assert years_from(date(2028, 2, 29), -4) == date(2024, 2, 29)


def test_notifications_reach_the_receiver_and_can_be_marked_read(
    make_lead, rule, people, client_for, django_capture_on_commit_callbacks
):
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})
    lead = make_lead()
    for stage in ("interest", "consideration"):
        move(lead, stage, people["marketer"])
    with django_capture_on_commit_callbacks(execute=True):
        move(lead, "intent", people["marketer"])
    client = client_for(people["rep"])
    listed = client.get("/api/v1/notifications/?unread=1").json()["results"]
    assert [n["kind"] for n in listed] == ["handoff_received"]
    assert client.post("/api/v1/notifications/mark-read/", {}, format="json").json() == {"marked_read": 1}
    assert client.get("/api/v1/notifications/?unread=1").json()["results"] == []
    assert "handed to you" in client.get("/api/v1/notifications/").json()["results"][0]["message"]
