"""Out of office: who may set it, every refusal by its words, and the handoffs waiting for the absent person
handed on once — to the delegate, to the team's round-robin, or to the team's queue — each recorded."""

from datetime import UTC, timedelta

import pytest
from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.choices import Function, Role
from accounts.models import Notification, OutOfOffice, User
from config.schedule import BEAT_SCHEDULE
from funnel.exceptions import NotAllowed
from funnel.models import Handoff, Reassignment
from funnel.routing.absences import absence_end, absence_handoffs_reroute, absence_set
from funnel.services.handoffs import handoff_accept
from funnel.tasks import absences_reroute_due
from leads.models import Lead
from tests.accounts.factories import TeamFactory, UserFactory
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


def utc(moment) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def waiting(people, rule, make_lead):
    """Two leads marketing handed to rep (EMEA is rep's territory), their handoffs pending."""
    rule(
        "EMEA to rep",
        to_stages=["intent"],
        routing={"kind": "match", "field": "territory", "map": {"EMEA": people["rep"].pk}},
    )
    leads = [make_lead(territory="EMEA") for _ in range(2)]
    for lead in leads:
        for stage in ("interest", "consideration", "intent"):
            move(lead, stage, people["marketer"])
    handoffs = list(Handoff.objects.filter(lead__in=leads).order_by("lead_id"))
    assert [h.to_owner for h in handoffs] == [people["rep"], people["rep"]]
    return handoffs


def away(people, now, **kwargs):
    """The rep away from an hour ago for two days, set by their manager unless told."""
    values = {
        "actor": people["sales_manager"],
        "user": people["rep"],
        "starts_at": now - timedelta(hours=1),
        "ends_at": now + timedelta(days=2),
        **kwargs,
    }
    return absence_set(**values)


def refusal(people, now, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        away(people, now, **kwargs)
    return caught.value.message_dict


# --- refusals -------------------------------------------------------------------------------------------


def test_an_absence_that_ends_at_or_before_its_start_is_refused(people, now):
    for end in (now + timedelta(days=1), now + timedelta(hours=23)):
        assert refusal(people, now, starts_at=now + timedelta(days=1), ends_at=end) == {
            "ends_at": ["The out-of-office must end after it starts."]
        }


def test_an_absence_over_already_is_refused(people, now):
    assert refusal(people, now, starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1)) == {
        "ends_at": ["That end is in the past: an out-of-office must end in the future."]
    }


def test_an_absence_longer_than_366_days_is_refused(people, now):
    assert refusal(people, now, starts_at=now, ends_at=now + timedelta(days=366, minutes=1)) == {
        "ends_at": ["An out-of-office lasts at most 366 days."]
    }
    assert away(people, now, starts_at=now, ends_at=now + timedelta(days=366)).pk


def test_a_long_note_or_a_nul_in_it_is_refused(people, now):
    assert refusal(people, now, note="x" * 201) == {"note": ["At most 200 characters."]}
    assert refusal(people, now, note="back\x00soon") == {
        "note": ["The note contains a NUL character, which is not allowed."]
    }
    assert away(people, now, note="  " + "x" * 200 + " ").note == "x" * 200


def test_nobody_delegates_to_themselves(people, now):
    assert refusal(people, now, delegate=people["rep"]) == {"delegate": ["rep cannot be their own delegate."]}


def test_the_delegate_must_be_an_active_person_in_a_team(people, teams, now):
    gone = UserFactory(username="gone", team=teams["sales"], is_active=False)
    loner = UserFactory(username="loner", team=None)
    for delegate in (gone, people["integration"], loner):
        assert refusal(people, now, delegate=delegate) == {
            "delegate": [f"{delegate.username} is not an active person who can own leads."]
        }


def test_the_delegate_works_in_the_same_function(people, now):
    assert refusal(people, now, delegate=people["marketer"]) == {
        "delegate": [
            "marketer works in marketing and rep in sales: a delegate answers their handoffs, so works in the same "
            "function."
        ]
    }
    assert away(people, now, delegate=people["sdr"]).delegate == people["sdr"]  # the shared team works with both


def test_a_delegate_away_over_part_of_the_period_is_refused_with_their_dates(people, now):
    theirs = away(people, now, user=people["rep2"], starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=5))
    assert refusal(people, now, delegate=people["rep2"]) == {
        "delegate": [f"rep2 is out of office too, from {utc(theirs.starts_at)} to {utc(theirs.ends_at)}."]
    }
    # Back before this one begins: fine.
    later = now + timedelta(days=5)
    assert away(people, now, starts_at=later, ends_at=later + timedelta(days=1), delegate=people["rep2"]).pk


def test_an_overlapping_absence_of_the_same_person_is_refused_naming_it(people, now):
    first = away(people, now)
    assert refusal(people, now, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=3)) == {
        "starts_at": [
            f"rep is already out of office from {utc(first.starts_at)} to {utc(first.ends_at)}: end that one first."
        ]
    }
    assert away(people, now, starts_at=first.ends_at, ends_at=first.ends_at + timedelta(days=1)).pk  # back to back


def test_an_integration_is_never_out_of_office(people, now):
    assert refusal(people, now, actor=people["admin"], user=people["integration"]) == {
        "user": ["integration is not an active person who can be out of office."]
    }


# --- permissions ----------------------------------------------------------------------------------------


def test_the_person_their_managers_revenue_leaders_and_administrators_set_it(people, now):
    for number, who in enumerate(("rep", "sales_manager", "leader", "admin")):
        start = now + timedelta(days=10 * number)
        absence = away(people, now, actor=people[who], starts_at=start, ends_at=start + timedelta(days=1))
        assert absence.set_by == people[who]


def test_the_manager_of_a_parent_team_sets_it_for_someone_with_no_manager(people, teams, now):
    emea = TeamFactory(name="EMEA sales", function=Function.SALES, parent=teams["sales"])
    rookie = UserFactory(username="rookie", team=emea, manager=None)
    assert away(people, now, actor=people["sales_manager"], user=rookie).user == rookie
    with pytest.raises(NotAllowed):
        away(people, now, actor=people["marketing_manager"], user=rookie, starts_at=now + timedelta(days=9))


@pytest.mark.parametrize("who", ["rep2", "sdr", "marketer", "marketing_manager", "integration"])
def test_nobody_else_sets_or_ends_it(people, now, who):
    with pytest.raises(NotAllowed) as caught:
        away(people, now, actor=people[who])
    assert caught.value.message == (
        "Only the person, their manager, a revenue leader or an administrator sets or ends their out-of-office."
    )
    absence = away(people, now)
    with pytest.raises(NotAllowed):
        absence_end(actor=people[who], absence=absence)
    assert OutOfOffice.objects.get(pk=absence.pk).ends_at == absence.ends_at


# --- ending ---------------------------------------------------------------------------------------------


def test_ending_shortens_one_in_force_deletes_one_ahead_and_leaves_one_over(people, now):
    current = away(people, now)
    ended = absence_end(actor=people["rep"], absence=current, at=now + timedelta(hours=1))
    assert ended.ends_at == now + timedelta(hours=1)
    ahead = away(people, now, starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=4))
    assert absence_end(actor=people["rep"], absence=ahead) is None
    assert not OutOfOffice.objects.filter(pk=ahead.pk).exists()
    again = absence_end(actor=people["rep"], absence=current, at=now + timedelta(hours=2))
    assert again.ends_at == now + timedelta(hours=1)


# --- handing on ----------------------------------------------------------------------------------------


def _reason(people, absence, handoff, who, how):
    return f"rep is out of office until {utc(absence.ends_at)}: handoff {handoff.pk} handed to {who} ({how})"


def test_waiting_handoffs_go_to_an_available_delegate(people, waiting, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        absence = away(people, now, delegate=people["rep2"])
    for handoff in waiting:
        handoff.refresh_from_db()
        lead = Lead.objects.get(pk=handoff.lead_id)
        assert (handoff.to_owner, lead.owner, lead.team_id) == (people["rep2"], people["rep2"], people["rep2"].team_id)
        row = Reassignment.objects.get(lead=lead)
        assert (row.from_owner, row.to_owner, row.actor) == (people["rep"], people["rep2"], people["sales_manager"])
        assert row.reason == _reason(people, absence, handoff, "rep2", "their delegate")
        assert row.routing["winner"] == {"id": people["rep2"].pk, "name": "rep2"}
        assert [(c["name"], c["skipped"]) for c in row.routing["candidates"]] == [("rep", "away"), ("rep2", None)]
    absence.refresh_from_db()
    assert absence.rerouted_at is not None
    rerouted = Notification.objects.filter(recipient=people["rep2"], kind="handoff_rerouted")
    assert sorted(rerouted.values_list("subject_id", flat=True)) == [h.pk for h in waiting]


def test_without_a_delegate_they_go_round_robin_in_the_team_skipping_the_absent(people, waiting, now):
    absence = away(people, now)
    for handoff in waiting:
        handoff.refresh_from_db()
        assert handoff.to_owner == people["rep2"]  # the only one of Sales's reps not away
        row = Reassignment.objects.get(lead_id=handoff.lead_id)
        assert row.reason == _reason(people, absence, handoff, "rep2", "weighted round-robin in Sales")
        assert row.routing["pool"] == {"team": people["rep"].team_id, "name": "Sales"}
        assert {c["name"]: c["skipped"] for c in row.routing["candidates"]} == {"rep": "away", "rep2": None}
        assert row.routing["sentence"].startswith("Went to rep2 by weighted round-robin in Sales")


def test_a_delegate_who_cannot_take_them_falls_back_to_the_team(people, waiting, now):
    User.objects.filter(pk=people["sdr"].pk).update(routing_paused=True)
    away(people, now, delegate=people["sdr"])
    row = Reassignment.objects.get(lead_id=waiting[0].lead_id)
    assert row.to_owner == people["rep2"]
    # (Outside Sales's working hours the engine adds that it considered everyone available.)
    assert row.routing["note"].split("; ")[0] == "delegate sdr is routing paused"
    assert [(c["name"], c["skipped"]) for c in row.routing["candidates"]] == [
        ("sdr", "paused"),
        ("rep", "away"),
        ("rep2", None),
    ]


def test_with_nobody_available_they_wait_in_the_team_queue_and_the_manager_is_told(
    people, waiting, now, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=people["rep2"].pk).update(routing_paused=True)
    with django_capture_on_commit_callbacks(execute=True):
        absence = away(people, now)
    for handoff in waiting:
        handoff.refresh_from_db()
        lead = Lead.objects.get(pk=handoff.lead_id)
        assert (handoff.to_owner, handoff.to_team_id) == (None, people["rep"].team_id)
        assert (lead.owner, lead.team_id) == (None, people["rep"].team_id)
        row = Reassignment.objects.get(lead=lead)
        assert row.to_owner is None
        assert row.reason == _reason(people, absence, handoff, "Sales's queue", "nobody in Sales could take it")
        assert row.routing["queued"] is True
    told = Notification.objects.filter(recipient=people["sales_manager"], kind="routing_queued")
    assert sorted(told.values_list("subject_id", flat=True)) == [h.lead_id for h in waiting]


def test_notifications_wait_for_the_commit(people, waiting, now, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        away(people, now, delegate=people["rep2"])
    assert Notification.objects.filter(kind="handoff_rerouted").count() == 0
    assert len(callbacks) >= 2


def test_answered_handoffs_and_owned_leads_without_one_stay(people, waiting, now):
    handoff_accept(handoff_id=waiting[0].pk, actor=people["rep"])
    away(people, now, delegate=people["rep2"])
    assert Lead.objects.get(pk=waiting[0].lead_id).owner == people["rep"]
    assert not Reassignment.objects.filter(lead_id=waiting[0].lead_id).exists()
    assert Handoff.objects.get(pk=waiting[1].pk).to_owner == people["rep2"]


def test_an_absence_set_ahead_hands_nothing_on_until_the_job_runs_once(people, waiting, now):
    absence = away(people, now, starts_at=now + timedelta(hours=2), ends_at=now + timedelta(days=1))
    assert absence_handoffs_reroute(absence=absence) == 0  # not begun yet
    assert Handoff.objects.filter(to_owner=people["rep"], status="pending").count() == 2
    OutOfOffice.objects.filter(pk=absence.pk).update(starts_at=now - timedelta(minutes=5))  # time passes
    assert absences_reroute_due.delay().get() == 1
    assert absences_reroute_due.delay().get() == 0
    assert absence_handoffs_reroute(absence=absence) == 0
    assert Reassignment.objects.count() == 2
    assert Handoff.objects.filter(to_owner=people["rep2"], status="pending").count() == 2


def test_the_job_runs_every_ten_minutes():
    entry = BEAT_SCHEDULE["absences-reroute-due"]
    assert entry["task"] == "funnel.tasks.absences_reroute_due"
    assert entry["schedule"] == crontab(minute="*/10")
    assert entry["options"]["expires"] < 600


def test_a_manager_away_hands_nothing_on_when_nothing_waits(people, now):
    absence = away(people, now, actor=people["leader"], user=people["sales_manager"])
    absence.refresh_from_db()
    assert absence.rerouted_at is not None
    assert Reassignment.objects.count() == 0
    assert people["sales_manager"].role == Role.SALES_MANAGER


# --- pages ----------------------------------------------------------------------------------------------


def _form(now, **fields):
    return {
        "starts_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        **fields,
    }


def test_a_person_sets_theirs_on_their_page(people, client, now):
    client.force_login(people["rep"])
    response = client.post("/me/away/", _form(now, delegate=people["rep2"].pk, note="Lisbon"))
    assert (response.status_code, response["Location"]) == (302, "/me/away/")
    absence = OutOfOffice.objects.get(user=people["rep"])
    assert (absence.delegate, absence.note, absence.set_by) == (people["rep2"], "Lisbon", people["rep"])
    assert "Lisbon" in client.get("/me/away/").content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", "2026-13-45T10:00"),
        ("ends_at", "2030-01-01T10:00:00+19:00"),
        ("note", "x" * 100_000),
        ("note", "back\x00soon"),
        ("delegate", "abc"),
    ],
)
def test_the_page_refuses_bad_input_with_a_400_naming_the_field(people, client, now, field, value):
    client.force_login(people["rep"])
    response = client.post("/me/away/", _form(now, **{field: value}))
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {field}
    assert OutOfOffice.objects.count() == 0


def test_the_page_shows_a_service_refusal_on_its_field(people, client, now):
    client.force_login(people["rep"])
    response = client.post("/me/away/", _form(now, delegate=people["rep"].pk))
    assert response.status_code == 400
    assert response.context["form"].errors == {"delegate": ["rep cannot be their own delegate."]}


def test_a_manager_sets_one_for_a_report_from_the_team_page(people, client, now):
    client.force_login(people["sales_manager"])
    assert client.post("/team/away/", _form(now, user=people["rep"].pk)).status_code == 302
    assert OutOfOffice.objects.get(user=people["rep"]).set_by == people["sales_manager"]
    page = client.get("/team/").content.decode()
    assert "away until" in page
    # Someone outside their reporting line is not a choice.
    client.post("/team/away/", _form(now, user=people["marketer"].pk))
    assert not OutOfOffice.objects.filter(user=people["marketer"]).exists()


def test_ending_from_a_page_needs_an_absence_one_may_see(people, client, now):
    absence = away(people, now)
    client.force_login(people["rep2"])
    assert client.post(f"/away/{absence.pk}/end/").status_code == 404
    assert client.post("/away/abc/end/").status_code == 404
    client.force_login(people["rep"])
    assert client.post(f"/away/{absence.pk}/end/").status_code == 302
    assert OutOfOffice.objects.get(pk=absence.pk).ends_at <= timezone.now()
