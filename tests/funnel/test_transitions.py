"""The one door: lead_transition checks the graph and every rule, then writes stage, history and handoff."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone

from accounts.models import Notification
from crm.models import CallReport
from funnel.exceptions import IllegalMove, TransitionRefused
from funnel.models import Handoff, Transition
from leads.models import Lead, LeadParticipant
from tests.conftest import leader_escalation
from tests.funnel.conftest import MQL, SQL, move

pytestmark = pytest.mark.django_db


def refused(lead, to_stage, actor, **kwargs) -> list[dict]:
    before = Transition.objects.count()
    with pytest.raises(TransitionRefused) as info:
        move(lead, to_stage, actor, **kwargs)
    assert Transition.objects.count() == before  # nothing written
    return info.value.details["failed"]


def test_capture_writes_the_first_history_row(make_lead, people):
    lead = make_lead()
    history = list(lead.transitions.values_list("from_stage", "to_stage", "reason"))
    assert history == [(None, "awareness", "Captured")]
    assert (lead.stage, lead.owning_function, lead.owner, lead.team) == (
        "awareness",
        "marketing",
        people["marketer"],
        people["marketer"].team,
    )


def test_allowed_move_writes_stage_and_one_transition(make_lead, people):
    lead = make_lead()
    transition = move(lead, "interest", people["marketer"], reason="Downloaded the guide")
    lead.refresh_from_db()
    assert lead.stage == "interest"
    assert lead.stage_entered_at == transition.occurred_at
    assert (transition.from_stage, transition.to_stage, transition.actor) == (
        "awareness",
        "interest",
        people["marketer"],
    )
    assert lead.transitions.count() == 2


def test_illegal_edge_is_refused_and_nothing_written(make_lead, people):
    lead = make_lead()
    with pytest.raises(IllegalMove) as info:
        move(lead, "purchase", people["admin"])
    assert info.value.details["allowed"] == ["interest", "lost", "nurture"]
    lead.refresh_from_db()
    assert lead.stage == "awareness"
    assert lead.transitions.count() == 1


def test_outcome_needs_a_reason(make_lead, people):
    from django.core.exceptions import ValidationError

    lead = make_lead()
    with pytest.raises(ValidationError, match="needs a reason"):
        move(lead, "lost", people["marketer"])
    move(lead, "lost", people["marketer"], reason="Went with a competitor")
    lead.refresh_from_db()
    assert (lead.stage, lead.outcome_reason, lead.owning_function) == ("lost", "Went with a competitor", "sales")


def test_min_score_rule_passes_and_fails_and_lists_the_rule(make_lead, people, rule):
    rule("Score gate", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 30}])
    lead = make_lead()
    failed = refused(lead, "interest", people["marketer"])
    assert failed == [
        {
            "rule": "Score gate",
            "check": "score ≥ 30",
            "passed": False,
            "reason": "score is 0",
            "rule_id": failed[0]["rule_id"],
            "remedy": "",
            "fields": ("score",),
        }
    ]
    Lead.objects.filter(pk=lead.pk).update(score=30)
    transition = move(lead, "interest", people["marketer"])
    assert [(r["rule"], r["passed"], r["reason"]) for r in transition.rule_results] == [
        ("Score gate", True, "score is 30")
    ]


def test_every_failed_rule_is_listed_by_name(make_lead, people, rule):
    rule("Score gate", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 30}])
    rule(
        "Data gate",
        from_stages=["awareness"],
        preconditions=[{"kind": "required_fields", "fields": ["phone", "title"]}],
    )
    rule("Other edge", to_stages=["lost"], preconditions=[{"kind": "min_score", "score": 99}])
    failed = refused(make_lead(), "interest", people["marketer"])
    assert [(f["rule"], f["reason"]) for f in failed] == [
        ("Score gate", "score is 0"),
        ("Data gate", "missing phone, title"),
    ]


def test_definition_rule_uses_only_the_signed_off_version_and_records_it(make_lead, people, rule, signed):
    rule("MQL gate", to_stages=["interest"], preconditions=[{"kind": "definition_met", "level": "MQL"}])
    lead = make_lead()
    Lead.objects.filter(pk=lead.pk).update(score=45)
    assert refused(lead, "interest", people["marketer"])[0]["reason"] == "MQL has no active, signed-off version"
    version = signed("MQL", MQL)
    transition = move(lead, "interest", people["marketer"])
    assert transition.definition_versions == [{"code": "MQL", "version_id": version.pk, "number": 1}]


def test_sql_rule_with_bant_three_of_four(make_lead, people, rule, signed):
    signed("SQL", SQL)
    rule("SQL gate", to_stages=["intent"], preconditions=[{"kind": "definition_met", "level": "SQL"}])
    lead = make_lead(has_budget=True, has_authority=True, expected_value=Decimal("5000"))
    move(lead, "interest", people["marketer"])
    move(lead, "consideration", people["marketer"])
    failed = refused(lead, "intent", people["marketer"])
    assert "at least 3 of budget, authority, need, timeline confirmed (2 confirmed" in failed[0]["reason"]
    Lead.objects.filter(pk=lead.pk).update(has_need=True)
    assert move(lead, "intent", people["marketer"]).to_stage == "intent"


def test_call_report_rule_passes_only_with_a_recent_report(make_lead, people, rule):
    rule("Talk first", to_stages=["interest"], preconditions=[{"kind": "call_report_within_days", "days": 7}])
    lead = make_lead()
    assert refused(lead, "interest", people["marketer"])[0]["reason"] == "no call report logged"
    old = timezone.now().date() - timezone.timedelta(days=10)
    CallReport.objects.create(lead=lead, author=people["rep"], occurred_on=old, channel="call", outcome="Intro")
    assert refused(lead, "interest", people["marketer"])[0]["reason"].startswith("last call report 10 days ago")
    CallReport.objects.create(
        lead=lead, author=people["rep"], occurred_on=timezone.now().date(), channel="call", outcome="Demo"
    )
    assert move(lead, "interest", people["marketer"]).to_stage == "interest"


def test_inactive_rules_are_not_applied(make_lead, people, rule):
    rule("Off", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 90}], is_active=False)
    assert move(make_lead(), "interest", people["marketer"]).rule_results == []


def test_round_robin_routing_takes_turns_within_the_receiving_team(make_lead, people, rule):
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})
    owners = []
    for _ in range(3):
        lead = make_lead()
        for stage in ("interest", "consideration"):
            move(lead, stage, people["marketer"])
        owners.append(move(lead, "intent", people["marketer"]).to_owner)
    assert owners == [people["rep"], people["rep2"], people["rep"]]
    lead.refresh_from_db()
    assert (lead.owner, lead.team, lead.owning_function) == (people["rep"], people["rep"].team, "sales")


def test_territory_routing_matches_then_falls_back(make_lead, people, rule):
    rule(
        "By territory",
        to_stages=["interest"],
        routing={
            "kind": "match",
            "field": "territory",
            "map": {"EMEA": people["rep2"].pk},
            "fallback_team": people["sdr"].team_id,
        },
    )
    emea = move(make_lead(territory="EMEA"), "interest", people["marketer"])
    apac = move(make_lead(territory="APAC"), "interest", people["marketer"])
    assert emea.to_owner == people["rep2"]
    assert apac.to_owner == people["sdr"]
    assert (
        "by weighted round-robin in Sales development (no match for territory 'APAC')"
        in (apac.rule_results[-1]["reason"])
    )


def test_routing_to_an_empty_team_moves_the_lead_into_the_teams_queue(make_lead, people, rule, teams):
    from tests.accounts.factories import TeamFactory

    empty = TeamFactory(name="Nobody here", manager=people["sales_manager"])
    rule("To nobody", to_stages=["interest"], routing={"kind": "round_robin", "team": empty.pk})
    lead = make_lead()
    done = move(lead, "interest", people["marketer"])
    lead.refresh_from_db()
    assert (done.to_owner, lead.owner, lead.team_id) == (None, None, empty.pk)
    assert done.routing["queued"] is True
    assert done.rule_results[-1]["reason"] == "Nobody in Nobody here could take it, so it waits in Nobody here's queue."


def test_escalation_above_threshold_involves_the_revenue_leader(make_lead, people, rule):
    rule(
        "Big deals",
        to_stages=["interest"],
        escalations=leader_escalation("involve", at_least=100000),
    )
    small = make_lead(expected_value=Decimal("5000"))
    big = make_lead(expected_value=Decimal("250000"))
    move(small, "interest", people["marketer"])
    move(big, "interest", people["marketer"])
    assert not LeadParticipant.objects.filter(lead=small).exists()
    participant = LeadParticipant.objects.get(lead=big)
    assert (participant.user, participant.role) == (people["leader"], "escalation")


def test_escalation_requiring_approval_blocks_until_approved_and_is_consumed(make_lead, people, rule):
    from funnel.services.approvals import approval_decide, approval_request_create

    rule(
        "Approve big deals",
        to_stages=["interest"],
        escalations=leader_escalation("approve", at_least=100000),
    )
    lead = make_lead(expected_value=Decimal("250000"))
    reason = refused(lead, "interest", people["marketer"])[0]["reason"]
    assert reason == "needs approval by a revenue leader (expected_value is 250000.00); request an approval first"
    [request] = approval_request_create(lead=lead, to_stage="interest", actor=people["marketer"])
    assert Notification.objects.filter(recipient=people["leader"], kind="approval_requested").count() == 0  # on commit
    approval_decide(request_id=request.pk, actor=people["leader"], approve=True)
    transition = move(lead, "interest", people["marketer"])
    request.refresh_from_db()
    assert request.used_by == transition
    move(lead, "awareness", people["marketer"])
    assert refused(lead, "interest", people["marketer"])  # an approval allows one move, not every later one


def test_a_user_holding_the_role_moves_without_a_request(make_lead, people, rule):
    rule(
        "Approve big deals",
        to_stages=["interest"],
        escalations=leader_escalation("approve", at_least=1),
    )
    transition = move(make_lead(expected_value=Decimal("10")), "interest", people["leader"])
    assert transition.rule_results[0]["reason"].startswith("moved by a revenue leader")


def test_crossing_functions_opens_a_handoff_with_sla_clocks(make_lead, people, rule):
    rule(
        "To SDRs",
        to_stages=["consideration"],
        routing={"kind": "round_robin", "team": people["sdr"].team_id},
        accept_within_hours=4,
        first_touch_within_hours=1,
        sla_clock="clock",
    )
    lead = make_lead()
    assert move(lead, "interest", people["marketer"]).to_owner == people["marketer"]
    assert not Handoff.objects.exists()  # marketing → marketing is no handoff
    transition = move(lead, "consideration", people["marketer"])
    handoff = Handoff.objects.get()
    assert (handoff.from_function, handoff.to_function, handoff.to_owner, handoff.status) == (
        "marketing",
        "shared",
        people["sdr"],
        "pending",
    )
    assert handoff.transition == transition
    assert handoff.accept_due_at - handoff.created_at == timezone.timedelta(hours=4)
    assert handoff.first_touch_due_at - handoff.created_at == timezone.timedelta(hours=1)


def test_no_handoff_when_the_owner_stays(make_lead, people):
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    move(lead, "consideration", people["marketer"])
    assert not Handoff.objects.exists()


def test_handoff_without_rule_sla_uses_the_default_window_in_working_hours(make_lead, people, settings, rule):
    settings.FUNNEL_DEFAULT_ACCEPT_HOURS = 16
    rule("To SDRs", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    lead = make_lead()
    friday_evening = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    move(lead, "interest", people["marketer"], at=friday_evening)
    move(lead, "consideration", people["marketer"], at=friday_evening)
    handoff = Handoff.objects.get()
    # Friday 16:30–17:00, Monday 9–17, Tuesday 9:00–16:30: sixteen working hours on the SDR team's calendar.
    assert handoff.accept_due_at == datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    assert handoff.first_touch_due_at is None


def test_working_hours_follow_the_receiving_teams_time_zone(make_lead, people, rule):
    team = people["sdr"].team
    team.time_zone, team.work_days = "America/New_York", [0, 1, 2, 3]
    team.save()
    rule(
        "To SDRs", to_stages=["consideration"], routing={"kind": "round_robin", "team": team.pk}, accept_within_hours=2
    )
    lead = make_lead()
    thursday_noon_new_york = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)
    move(lead, "interest", people["marketer"], at=thursday_noon_new_york)
    move(lead, "consideration", people["marketer"], at=thursday_noon_new_york)
    # The team works Monday to Thursday: Thursday 12:00–14:00 New York time is 17:00–19:00 UTC.
    assert Handoff.objects.get().accept_due_at == datetime(2026, 11, 26, 19, 0, tzinfo=UTC)


def test_pending_handoff_blocks_others_and_the_receivers_move_accepts_it(make_lead, people, rule):
    rule("To SDRs", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    move(lead, "consideration", people["marketer"])
    failed = refused(lead, "intent", people["marketer"])
    assert failed[0]["check"] == "pending handoff"
    assert "awaits acceptance or rejection by sdr" in failed[0]["reason"]
    move(lead, "intent", people["sdr"])
    first = Handoff.objects.order_by("id").first()
    assert (first.status, first.decided_by) == ("accepted", people["sdr"])


def test_notification_is_sent_only_after_commit(make_lead, people, rule, django_capture_on_commit_callbacks):
    rule("To SDRs", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        move(lead, "consideration", people["marketer"])
    assert not Notification.objects.filter(recipient=people["sdr"]).exists()
    for callback in callbacks:
        callback()
    callbacks[0]()  # the task is safe to run twice
    notification = Notification.objects.get(recipient=people["sdr"])
    assert notification.kind == "handoff_received"
    assert "accept or reject it by" in notification.message


def test_refused_move_schedules_no_side_effect(make_lead, people, rule, django_capture_on_commit_callbacks):
    rule("Score gate", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 30}])
    lead = make_lead()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(TransitionRefused):
        move(lead, "interest", people["marketer"])
    assert callbacks == []


def test_history_rows_cannot_be_updated_or_deleted(make_lead, people):
    lead = make_lead()
    transition = lead.transitions.get()
    with pytest.raises(ProgrammingError, match="append-only: UPDATE refused"), transaction.atomic():
        Transition.objects.filter(pk=transition.pk).update(reason="rewritten")
    with pytest.raises(ProgrammingError, match="append-only: DELETE refused"), transaction.atomic():
        Transition.objects.filter(pk=transition.pk).delete()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE funnel_transition SET to_stage = 'purchase' WHERE id = %s", [transition.pk])
    assert Transition.objects.get(pk=transition.pk).reason == "Captured"


def test_database_refuses_a_stage_change_without_a_transition(make_lead, people):
    lead = make_lead()
    with pytest.raises(ProgrammingError, match="stages change only through a transition"), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(stage="purchase")
    stale = Lead.objects.get(pk=lead.pk)
    move(lead, "interest", people["marketer"])
    with pytest.raises(ProgrammingError, match="does not match its newest transition"), transaction.atomic():
        stale.save()  # a stale copy writing back "awareness"
    lead.refresh_from_db()
    assert lead.stage == "interest"


def test_database_refuses_a_second_pending_handoff(make_lead, people, rule):
    rule("To SDRs", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    move(lead, "consideration", people["marketer"])
    handoff = Handoff.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Handoff.objects.create(
            lead=lead,
            transition=lead.transitions.first(),
            from_function="marketing",
            to_function="sales",
            created_at=timezone.now(),
        )
    assert Handoff.objects.get() == handoff


def test_configuration_changes_reach_the_next_move_however_they_are_made(make_lead, people, rule):
    from funnel.services.config import funnel_config

    lead = make_lead()
    before = funnel_config()
    assert funnel_config() is before  # unchanged configuration: the cached snapshot, no reload
    with connection.cursor() as cursor:  # a change behind the services' back (admin, SQL) still counts
        cursor.execute("UPDATE funnel_stage SET owning_function = 'shared' WHERE key = 'interest'")
    after = funnel_config()
    assert after is not before
    assert after.stages["interest"].owning_function == "shared"
    rule("Late rule", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 5}])
    assert refused(lead, "interest", people["marketer"])[0]["rule"] == "Late rule"
