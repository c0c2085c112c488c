"""The integration diagnostic: bands at their bounds, answers refused by statement, per-side means and the gap
worked by hand, each piece of evidence with a hand-worked number, the level cap, the monthly job and the API."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.choices import ActionStatus, CollateralStatus
from crm.models import AccountReview, ActionItem, CallReport, Collateral, CollateralVersion, Company
from funnel.diagnostic import evidence, levels, questionnaire, selectors, services
from funnel.diagnostic.choices import Level
from funnel.diagnostic.evidence import Evidence
from funnel.diagnostic.models import Assessment
from funnel.diagnostic.thresholds import Thresholds
from funnel.models import Handoff, JointMeeting, SlaBreach, Transition
from funnel.targets.services import target_propose, target_sign_off

pytestmark = pytest.mark.django_db
AT = timezone.make_aware(datetime(2026, 10, 15, 12, 0))
T = Thresholds()


def ratings(*values: int) -> dict[str, int]:
    """Twenty ratings: the values given, then 3s."""
    padded = [*values, *[3] * (20 - len(values))]
    return {str(n): v for n, v in enumerate(padded, start=1)}


def every(value: int) -> dict[str, int]:
    return {str(n): value for n in range(1, 21)}


def test_bands_hold_their_inclusive_bounds():
    assert [questionnaire.band(t) for t in (20, 39, 40, 59, 60, 79, 80, 100)] == [
        Level.UNDEFINED, Level.UNDEFINED, Level.DEFINED, Level.DEFINED,
        Level.ALIGNED, Level.ALIGNED, Level.INTEGRATED, Level.INTEGRATED,
    ]  # fmt: skip
    assert questionnaire.band(Decimal("59.50")) == Level.DEFINED  # a mean below 60 is not yet aligned
    with pytest.raises(ValueError):
        questionnaire.band(101)
    assert len(questionnaire.STATEMENTS) == 20
    grouped = sorted(n for _, numbers in questionnaire.GROUPS.values() for n in numbers)
    assert grouped == list(range(1, 21))  # every statement in exactly one dashboard group


def test_answers_are_refused_statement_by_statement(people, api):
    bad = {**every(3), "4": 6, "5": 0, "7": "4", "8": True, "9": 2.5, "21": 3, "x": 1}
    del bad["12"]
    with pytest.raises(ValidationError) as caught:
        questionnaire.answers_check(bad)
    assert sorted(caught.value.message_dict) == sorted(
        ["answers.4", "answers.5", "answers.7", "answers.8", "answers.9", "answers.12", "answers.21", "answers.x"]
    )
    assert caught.value.message_dict["answers.4"] == ["Statement 4: 6 is outside the scale 1–5."]
    assert caught.value.message_dict["answers.12"] == ["Statement 12 is not answered: every statement needs a rating."]

    client = api(people["marketer"])
    response = client.post("/api/v1/diagnostic/responses/", {"answers": {**every(4), "20": 9}})
    assert response.status_code == 400
    assert "answers.20" in str(response.json())
    assert client.post("/api/v1/diagnostic/responses/", {"answers": [4] * 20}).status_code == 400
    assert client.post("/api/v1/diagnostic/responses/", {"answers": every(4)}).json()["total"] == 80
    assert [r["total"] for r in client.get("/api/v1/diagnostic/responses/").json()["results"]] == [80]
    assert len(client.get("/api/v1/diagnostic/questionnaire/").json()["statements"]) == 20


def test_sides_come_from_the_team_and_only_the_teamless_choose(people):
    assert services.response_submit(user=people["rep"], answers=every(2)).function == "sales"
    with pytest.raises(ValidationError) as caught:
        services.response_submit(user=people["marketer"], answers=every(2), function="sales")
    assert list(caught.value.message_dict) == ["function"]
    with pytest.raises(ValidationError):
        services.response_submit(user=people["sdr"], answers=every(2))  # a shared team: must say which side
    assert services.response_submit(user=people["sdr"], answers=every(2), function="sales").function == "sales"
    with pytest.raises(services.NotAllowed):
        services.response_submit(user=people["integration"], answers=every(2))


def test_means_per_side_and_the_gap_count_each_newest_answer_once(people):
    submit = services.response_submit
    submit(user=people["marketer"], answers=every(5), now=AT - timedelta(days=120))  # outside the 90 days
    submit(user=people["marketer"], answers=every(4), now=AT - timedelta(days=30))  # 80, replaced below
    submit(user=people["marketer"], answers=every(3), now=AT - timedelta(days=2))  # 60 counts
    submit(user=people["marketing_manager"], answers=every(5), now=AT - timedelta(days=5))  # 100
    submit(user=people["rep"], answers=every(2), now=AT - timedelta(days=1))  # 40
    submit(user=people["sdr"], answers=ratings(5, 5, 5, 5, 5), function="sales", now=AT - timedelta(days=3))  # 70
    submit(user=people["rep2"], answers=every(1), now=AT + timedelta(days=1))  # after the moment: not counted

    summary = selectors.summary_get(at=AT, window_days=90)
    assert summary.respondents == 4
    assert summary.by_function == {"marketing": (Decimal("80.00"), 2), "sales": (Decimal("55.00"), 2)}
    assert summary.mean_total == Decimal("67.50")  # (60 + 100 + 40 + 70) / 4
    assert summary.gap == Decimal("25.00")
    assert summary.level == Level.ALIGNED
    # Culture (2, 10, 16): marketing (3·3 + 5·3) / 6 = 4.0; sales (2·3 + 5 + 3 + 3) / 6 = 2.83.
    assert summary.groups["marketing"]["culture"] == 4.0
    assert summary.groups["sales"]["culture"] == 2.83


def _lead_moves(make_lead, to_stage, days_ago, versions):
    lead = make_lead()
    return Transition.objects.create(
        lead=lead, from_stage="awareness", to_stage=to_stage, occurred_at=AT - timedelta(days=days_ago),
        definition_versions=versions,
    )  # fmt: skip


def test_qualifications_under_a_signed_definition(people, make_lead, rule):
    rule("MQL gate", to_stages=["interest"], preconditions=[{"kind": "definition_met", "level": "MQL"}])
    signed = [{"code": "MQL", "version_id": 1, "number": 1}]
    for days_ago, versions in [(1, signed), (10, signed), (80, signed), (5, []), (100, [])]:
        _lead_moves(make_lead, "interest", days_ago, versions)
    _lead_moves(make_lead, "consideration", 3, [])  # no definition gates consideration: not counted
    item = evidence.qualification(AT, T)
    assert (item.numerator, item.denominator, item.passed) == (3, 4, False)  # 75% < 80%
    assert item.summary == "3 of 4 (75%)"
    assert [r["ok"] for r in item.records] == [False, True, True, True]  # failing first


def _handoff(make_lead, people, **fields):
    lead = make_lead()
    move = Transition.objects.create(lead=lead, from_stage="interest", to_stage="consideration", occurred_at=AT)
    data = {"created_at": AT - timedelta(days=2), "from_function": "marketing", "to_function": "sales"}
    return Handoff.objects.create(lead=lead, transition=move, to_owner=people["rep"], **data, **fields)


def test_sla_compliance_counts_settled_handoffs(people, make_lead):
    h = timedelta(hours=1)
    accepted = {"status": "accepted", "accept_due_at": AT - 10 * h, "decided_at": AT - 20 * h}
    _handoff(make_lead, people, **accepted)  # met
    _handoff(make_lead, people, **accepted, first_touch_due_at=AT - 5 * h, first_touched_at=AT - 8 * h)  # met both
    _handoff(make_lead, people, status="accepted", accept_due_at=AT - 10 * h, decided_at=AT - 5 * h)  # late
    _handoff(make_lead, people, accept_due_at=AT - 10 * h)  # still pending past its due time
    touch = _handoff(make_lead, people, **accepted, first_touch_due_at=AT - 2 * h)
    SlaBreach.objects.create(handoff=touch, kind="first_touch", due_at=AT - 2 * h)  # missed
    _handoff(make_lead, people, accept_due_at=AT + 5 * h)  # not due yet: left out
    _handoff(make_lead, people, **accepted, first_touch_due_at=AT + 3 * h)  # a clock still running: left out
    item = evidence.sla(AT, T)
    assert (item.numerator, item.denominator, item.passed) == (2, 5, False)


def test_call_reports_reviews_and_collateral(people, make_lead):
    acme = Company.objects.create(name="Acme", is_key_account=True, key_account_tier=1, owner=people["rep"])
    other = Company.objects.create(name="Other", owner=people["rep"])
    report = {"company": acme, "author": people["rep"], "channel": "call", "outcome": "Demo booked"}
    for days_ago in (1, 20, 40, 89, 95):
        made = CallReport.objects.create(occurred_on=AT.date() - timedelta(days=days_ago), **report)
        if days_ago in (20, 95):
            made.marketers.add(people["marketer"])
    calls = evidence.call_reports(AT, T)
    assert (calls.numerator, calls.denominator, calls.passed) == (1, 4, True)  # 25% ≥ 20%

    for company, attendees in [(acme, ["rep", "marketer"]), (acme, ["rep", "sales_manager"]), (other, ["rep"])]:
        review = AccountReview.objects.create(company=company, held_on=AT.date(), created_by=people["rep"])
        review.attendees.set([people[name] for name in attendees])
    reviews = evidence.reviews(AT, T)
    assert (reviews.numerator, reviews.denominator, reviews.passed) == (1, 2, False)  # only key accounts count

    deck = Collateral.objects.create(title="Deck", kind="deck", owner=people["marketer"])
    sheet = Collateral.objects.create(title="Sheet", kind="price_sheet", owner=people["marketer"])
    for collateral, reviewer in [(deck, "rep"), (sheet, "marketing_manager")]:
        CollateralVersion.objects.create(
            collateral=collateral, number=1, link="https://docs.example/x", status=CollateralStatus.RELEASED,
            submitted_by=people["marketer"], reviewer=people[reviewer], reviewed_at=AT - timedelta(days=3),
            released_at=AT - timedelta(days=2),
        )  # fmt: skip
    shared = evidence.collateral(AT, T)
    assert (shared.numerator, shared.denominator, shared.passed) == (1, 2, False)  # marketing approved its own


def test_joint_meetings_and_their_actions(people):
    assert evidence.meetings_held(AT, T).passed is False  # none at all
    meeting = JointMeeting.objects.create(
        held_on=AT.date() - timedelta(days=40), opportunity_threshold=0, created_by=people["sales_manager"]
    )
    JointMeeting.objects.create(held_on=AT.date() + timedelta(days=5), opportunity_threshold=0,
                                created_by=people["sales_manager"])  # fmt: skip
    held = evidence.meetings_held(AT, T)
    assert (held.value, held.passed) == (40, True)
    due = AT.date() - timedelta(days=10)
    for status, due_on in [("done", due), ("dropped", None), ("open", due), ("open", AT.date() + timedelta(days=9))]:
        closed = AT - timedelta(days=1) if status != ActionStatus.OPEN else None
        item = ActionItem.objects.create(
            title=f"{status} item", owner=people["rep"], due_on=due_on, status=status, closed_at=closed,
            created_by=people["sales_manager"],
        )  # fmt: skip
        meeting.action_items.add(item)
    actions = evidence.meeting_actions(AT, T)
    assert (actions.numerator, actions.denominator, actions.passed) == (2, 3, False)  # 67% < 80%; future one out


def test_shared_target_counts_once_both_sides_signed(people):
    assert evidence.shared_target(AT, T).passed is False
    today = timezone.localdate()
    target = target_propose(
        period_kind="month", period_start=today.replace(day=1), amount=Decimal("100000"), currency="USD",
        proposed_by=people["sales_manager"],
    )  # fmt: skip
    target_sign_off(target_id=target.pk, user=people["sales_manager"])
    assert evidence.shared_target(timezone.now(), T).passed is False  # one signature is not a commitment
    target_sign_off(target_id=target.pk, user=people["marketing_manager"])
    item = evidence.shared_target(timezone.now(), T)
    assert (item.passed, item.records[0]["url"]) == (True, f"/targets/{target.pk}/")


def _item(key: str, needed_for: Level, passed: bool) -> Evidence:
    return Evidence(key, key, needed_for, 1.0 if passed else 0.0, 0.5, passed, "", page="/x/")


def test_the_evidence_caps_the_level_and_next_steps_aim_one_higher():
    items = [
        _item("qualification", Level.DEFINED, True),
        _item("sla", Level.DEFINED, True),
        _item("meetings", Level.ALIGNED, True),
        _item("call_reports", Level.ALIGNED, False),
        _item("target", Level.INTEGRATED, True),  # passing higher up does not skip a failing level
    ]
    assert levels.evidence_level(items) == Level.DEFINED
    assert levels.level_combine(Level.INTEGRATED, Level.DEFINED) == Level.DEFINED  # the data caps the answers
    assert levels.level_combine(Level.UNDEFINED, Level.ALIGNED) == Level.UNDEFINED  # and the answers cap the data
    assert levels.level_combine(None, Level.ALIGNED) == Level.ALIGNED  # nobody answered: the evidence alone
    assert levels.evidence_level([_item("sla", Level.DEFINED, False), *items[2:]]) == Level.UNDEFINED

    groups = {"culture": 2.0, "accounts": 1.5, "planning": 3.0, "structure": 4.0}
    steps = levels.next_steps(level=Level.DEFINED, questionnaire=Level.DEFINED, items=items, groups=groups)
    assert [(s["evidence"], s.get("group"), s["towards"]) for s in steps] == [
        ("call_reports", None, "aligned"),
        (None, "accounts", "aligned"),
        (None, "culture", "aligned"),
    ]
    assert steps[0]["url"] == "/x/"
    assert levels.next_steps(level=Level.INTEGRATED, questionnaire=None, items=items, groups={}) == []


def test_an_assessment_is_kept_monthly_once_and_on_demand_by_managers(people, api):
    services.response_submit(user=people["marketer"], answers=every(4))
    services.response_submit(user=people["rep"], answers=every(2))
    first = services.assessment_monthly_run()
    assert services.assessment_monthly_run().pk == first.pk  # a rerun in the same month writes nothing
    assert (first.level, first.questionnaire_level, first.evidence_level) == (
        "undefined",
        "aligned",
        "undefined",
    )  # (80 + 40) / 2 = 60
    assert (first.marketing_mean, first.sales_mean, first.gap) == (Decimal("80.00"), Decimal("40.00"), Decimal("40.00"))
    assert [e["key"] for e in first.evidence] == [
        "qualification", "sla", "meetings", "meeting_actions", "call_reports", "reviews", "collateral", "target",
    ]  # fmt: skip
    assert first.next_steps[0]["towards"] == "defined"

    assert api(people["rep"]).post("/api/v1/diagnostic/assessments/").status_code == 403
    created = api(people["sales_manager"]).post("/api/v1/diagnostic/assessments/")
    assert created.status_code == 201 and created.json()["mean_total"] == "60.00"
    listed = api(people["rep"]).get("/api/v1/diagnostic/assessments/").json()["results"]
    assert [a["trigger"] for a in listed] == ["on_demand", "scheduled"]
    assert Assessment.objects.count() == 2
    assert [a.pk for a in selectors.assessment_trend()] == [created.json()["id"]]  # one point per month


def test_the_page_takes_answers_and_shows_the_level(people, client):
    client.force_login(people["sdr"])
    form = {f"s{n}": "4" for n in range(1, 20)} | {"function": "marketing"}
    refused = client.post("/diagnostic/answers/", form)
    assert refused.status_code == 400 and "Statement 20 is not answered" in refused.content.decode()
    assert client.post("/diagnostic/answers/", {**form, "s20": "4"}).status_code == 302
    client.force_login(people["leader"])
    assert client.post("/diagnostic/assess/").status_code == 302
    page = client.get("/diagnostic/").content.decode()
    assert "Marketing (1)" in page and "Evidence from the data" in page and "diagnostic-trend" in page
    assert date.today().isoformat()[:4] in page


def test_evidence_names_only_the_leads_the_reader_may_open(people, make_lead, rule, api, token_client_for, client):
    rule("MQL gate", to_stages=["interest"], preconditions=[{"kind": "definition_met", "level": "MQL"}])
    signed = [{"code": "MQL", "version_id": 1, "number": 1}]
    yesterday = timezone.now() - timedelta(days=1)
    for owner, name, versions in [(people["rep"], "Visible", signed), (people["marketer"], "Secret", [])]:
        lead = make_lead(owner=owner, last_name=name)
        Transition.objects.create(
            lead=lead, from_stage="awareness", to_stage="interest", occurred_at=yesterday, definition_versions=versions
        )
    assessment = services.assessment_create(user=people["sales_manager"])

    def records(client) -> list[tuple]:
        body = client.get(f"/api/v1/diagnostic/assessments/{assessment.pk}/").json()
        item = next(e for e in body["evidence"] if e["key"] == "qualification")
        assert (item["numerator"], item["denominator"]) == (1, 2)  # the counts never depend on the reader
        return [(r["label"].split(" →")[0], r["url"] is not None, r["ok"]) for r in item["records"]]

    hidden = (selectors.HIDDEN_LEAD, False, False)
    assert records(api(people["leader"])) == [("Secret", True, False), ("Visible", True, True)]
    assert records(api(people["rep"])) == [hidden, ("Visible", True, True)]  # the rep cannot open the marketer's
    no_leads = token_client_for(people["leader"], scopes=["metrics:read"])
    assert records(no_leads) == [hidden, (selectors.HIDDEN_LEAD, False, True)]
    client.force_login(people["rep"])
    page = client.get("/diagnostic/").content.decode()
    assert "Visible" in page and "Secret" not in page and selectors.HIDDEN_LEAD in page
    # An assessment stored before records carried their lead is judged by the record's link.
    Assessment.objects.filter(pk=assessment.pk).update(
        evidence=[{**e, "records": [{k: v for k, v in r.items() if k != "lead"} for r in e["records"]]}
                  for e in assessment.evidence]
    )  # fmt: skip
    assert records(api(people["rep"])) == [hidden, ("Visible", True, True)]
