"""Routing inside the one door: every decision recorded on the transition with who was skipped and why, the
team's queue when nobody can take the lead (the move still happens, the manager is told, a member who accepts
takes it), the `rules` kind's first match, and match/directory handing an away person's lead to their delegate."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from accounts.choices import Function, Role
from accounts.models import Notification, OutOfOffice
from crm.models import Company
from crm.services.directory import responsibility_create
from funnel.models import Handoff, Reassignment
from funnel.services.handoffs import handoff_accept
from leads.models import Lead
from tests.accounts.factories import TeamFactory, UserFactory
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 UTC: inside the teams' default hours (Monday to Friday, 9:00 to 17:00 UTC).
WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _away(user, *, until: datetime, delegate=None) -> OutOfOffice:
    return OutOfOffice.objects.create(
        user=user, starts_at=WEDNESDAY_10 - timedelta(days=1), ends_at=until, delegate=delegate, set_by=user
    )


def _rep(name: str, team, **fields):
    return UserFactory(username=name, role=Role.SALES_REP, team=team, **fields)


def _to(lead, stages, actor, at=WEDNESDAY_10):
    done = None
    for stage in stages:
        done = move(lead, stage, actor, at=at)
    return done


@pytest.fixture
def inside(people):
    """Inside sales, four reps on the hand-worked Wednesday at 10:00 UTC: ana is out of office until Friday 17:00,
    ben has paused his routing, cara (cap 1) has one handoff waiting from a real move, and dev works 13:00 to 21:00."""
    team = TeamFactory(name="Inside sales", function=Function.SALES, manager=people["sales_manager"])
    reps = {
        "ana": _rep("ana", team),
        "ben": _rep("ben", team, routing_paused=True),
        "cara": _rep("cara", team, routing_cap=1),
        "dev": _rep("dev", team, routing_weight=Decimal(2), work_starts=time(13), work_ends=time(21)),
    }
    _away(reps["ana"], until=datetime(2026, 12, 4, 17, 0, tzinfo=UTC))
    return {"team": team, **reps}


@pytest.fixture
def cara_full(inside, rule, make_lead, people):
    """Consideration goes to whoever the territory names; cara's Nordics lead waits for her answer."""
    rule(
        "Nordics to cara",
        priority=10,
        to_stages=["consideration"],
        routing={"kind": "match", "field": "territory", "map": {"Nordics": inside["cara"].pk}},
    )
    _to(make_lead(territory="Nordics"), ["interest", "consideration"], people["marketer"])
    assert Handoff.objects.get(status="pending").to_owner == inside["cara"]


def test_the_hand_worked_decision_is_recorded_on_the_transition(inside, cara_full, rule, make_lead, people):
    rule("Intent to inside sales", to_stages=["intent"], routing={"kind": "round_robin", "team": inside["team"].pk})
    done = _to(make_lead(), ["interest", "consideration", "intent"], people["marketer"])
    ana, ben, cara, dev = (inside[name].pk for name in ("ana", "ben", "cara", "dev"))
    sentence = (
        "Went to dev by weighted round-robin in Inside sales (nobody was in working hours, so everyone available "
        "was considered) — skipped: ana away; ben paused; cara at cap."
    )
    assert done.to_owner == inside["dev"]
    assert done.routing == {
        "how": "weighted round-robin in Inside sales",
        "pool": {"team": inside["team"].pk, "name": "Inside sales"},
        "candidates": [
            {
                "id": ana,
                "name": "ana",
                "weight": "1.00",
                "skipped": "away",
                "detail": "out of office until 2026-12-04 17:00 UTC",
                "credit": None,
            },
            {
                "id": ben,
                "name": "ben",
                "weight": "1.00",
                "skipped": "paused",
                "detail": "routing paused",
                "credit": None,
            },
            {
                "id": cara,
                "name": "cara",
                "weight": "1.00",
                "skipped": "at_cap",
                "detail": "1 of 1 handoffs pending",
                "credit": None,
            },
            {"id": dev, "name": "dev", "weight": "2.00", "skipped": None, "detail": "", "credit": "2.00"},
        ],
        "winner": {"id": dev, "name": "dev"},
        "queued": False,
        "kept": False,
        "note": "nobody was in working hours, so everyone available was considered",
        "sentence": sentence,
    }
    routing_check = done.rule_results[-1]
    assert (routing_check["rule"], routing_check["check"], routing_check["reason"]) == (
        "Intent to inside sales",
        "routing",
        sentence,
    )


def test_someone_in_hours_is_preferred_and_the_one_outside_them_is_named_as_skipped(
    inside, cara_full, rule, make_lead, people
):
    eve = _rep("eve", inside["team"])
    rule("Intent to inside sales", to_stages=["intent"], routing={"kind": "round_robin", "team": inside["team"].pk})
    done = _to(make_lead(), ["interest", "consideration", "intent"], people["marketer"])
    assert done.to_owner == eve
    assert done.routing["sentence"] == (
        "Went to eve by weighted round-robin in Inside sales — skipped: ana away; ben paused; cara at cap; "
        "dev outside working hours."
    )
    assert [(c["name"], c["skipped"], c["detail"]) for c in done.routing["candidates"]][3:] == [
        ("dev", "off_hours", "outside their working hours"),
        ("eve", None, ""),
    ]


def test_when_nobody_can_take_it_the_lead_waits_in_the_teams_queue_and_a_member_who_accepts_takes_it(
    inside, cara_full, rule, make_lead, people, django_capture_on_commit_callbacks
):
    inside["dev"].routing_paused = True
    inside["dev"].save(update_fields=["routing_paused"])
    rule("Intent to inside sales", to_stages=["intent"], routing={"kind": "round_robin", "team": inside["team"].pk})
    lead = make_lead()
    _to(lead, ["interest", "consideration"], people["marketer"])
    with django_capture_on_commit_callbacks(execute=True):
        done = move(lead, "intent", people["marketer"], at=WEDNESDAY_10)
    sentence = (
        "Nobody in Inside sales could take it, so it waits in Inside sales's queue — skipped: ana away; "
        "ben paused; cara at cap; dev paused."
    )
    lead.refresh_from_db()
    assert (done.to_stage, done.to_owner, done.routing["queued"], done.routing["sentence"]) == (
        "intent",
        None,
        True,
        sentence,
    )
    assert (lead.stage, lead.owner, lead.team) == ("intent", None, inside["team"])
    handoff = Handoff.objects.get(lead=lead)
    assert (handoff.status, handoff.to_owner, handoff.to_team) == ("pending", None, inside["team"])
    notice = Notification.objects.get(kind="routing_queued")
    assert (notice.recipient, notice.subject_id, notice.message) == (
        people["sales_manager"],
        lead.pk,
        f"Lead #{lead.pk} is waiting in Inside sales's queue: {sentence}",
    )

    handoff_accept(handoff_id=handoff.pk, actor=inside["ben"], at=WEDNESDAY_10 + timedelta(hours=1))
    lead.refresh_from_db()
    handoff.refresh_from_db()
    assert (lead.owner, lead.team, handoff.status, handoff.to_owner) == (
        inside["ben"],
        inside["team"],
        "accepted",
        inside["ben"],
    )
    taken = Reassignment.objects.get(lead=lead)
    assert (taken.from_owner, taken.to_owner, taken.actor, taken.reason) == (
        None,
        inside["ben"],
        inside["ben"],
        f"Took the lead from Inside sales's queue by accepting handoff {handoff.pk}.",
    )


# --- rules: the first matching route names the pool ----------------------------------------------------------


@pytest.fixture
def pools(people):
    def pool(name, rep):
        team = TeamFactory(name=name, function=Function.SALES)
        return team, _rep(rep, team)

    return {
        "enterprise": pool("Enterprise desk", "erin"),
        "emea": pool("EMEA desk", "emil"),
        "keys": pool("Key accounts", "kay"),
        "rest": pool("Everyone else", "remy"),
    }


def _routes(pools) -> list[dict]:
    def when(*conditions):
        return {"conditions": list(conditions)}

    return [
        {"when": when({"field": "key_account", "op": "is_true"}), "team": pools["keys"][0].pk},
        {"when": when({"field": "segment", "op": "eq", "value": "enterprise"}), "team": pools["enterprise"][0].pk},
        {"when": when({"field": "territory", "op": "in", "value": ["EMEA", "UK"]}), "team": pools["emea"][0].pk},
    ]


def test_the_first_matching_route_wins_and_no_match_goes_to_the_fallback_team(pools, rule, make_lead, people):
    rule(
        "By route",
        to_stages=["interest"],
        routing={"kind": "rules", "routes": _routes(pools), "fallback_team": pools["rest"][0].pk},
    )
    cases = {
        "enterprise in EMEA": make_lead(segment="enterprise", territory="EMEA"),
        "smb in the UK": make_lead(segment="smb", territory="UK"),
        "smb in APAC": make_lead(segment="smb", territory="APAC"),
        "a key account's, in EMEA": make_lead(segment="enterprise", territory="EMEA"),
    }
    key_account = Company.objects.create(name="Keyco", domain="keyco.example", is_key_account=True, key_account_tier=1)
    Lead.objects.filter(pk=cases["a key account's, in EMEA"].pk).update(company=key_account)
    done = {case: move(lead, "interest", people["marketer"], at=WEDNESDAY_10) for case, lead in cases.items()}
    assert {case: (t.to_owner.username, t.routing["sentence"]) for case, t in done.items()} == {
        "enterprise in EMEA": (
            "erin",
            "Went to erin by route 2 (segment = enterprise), weighted round-robin in Enterprise desk.",
        ),
        "smb in the UK": (
            "emil",
            "Went to emil by route 3 (territory in EMEA, UK), weighted round-robin in EMEA desk.",
        ),
        "smb in APAC": ("remy", "Went to remy by weighted round-robin in Everyone else (no route matched)."),
        "a key account's, in EMEA": (
            "kay",
            "Went to kay by route 1 (key_account is confirmed), weighted round-robin in Key accounts.",
        ),
    }
    assert Lead.objects.get(pk=cases["smb in APAC"].pk).team == pools["rest"][0]


def test_without_a_fallback_team_an_unmatched_lead_stays_with_its_owner(pools, rule, make_lead, people):
    rule("By route", to_stages=["interest"], routing={"kind": "rules", "routes": _routes(pools)})
    lead = make_lead(segment="smb", territory="APAC")
    done = move(lead, "interest", people["marketer"], at=WEDNESDAY_10)
    lead.refresh_from_db()
    assert (done.to_owner, lead.owner, lead.team) == (people["marketer"], people["marketer"], people["marketer"].team)
    assert (done.routing["kept"], done.routing["sentence"]) == (True, "Stayed with marketer: no route matched.")


def test_a_route_to_a_team_deleted_since_keeps_the_owner_and_says_why(pools, rule, make_lead, people):
    gone = TeamFactory(name="Disbanded", function=Function.SALES)
    routes = [{"when": {"conditions": [{"field": "segment", "op": "eq", "value": "smb"}]}, "team": gone.pk}]
    rule("By route", to_stages=["interest"], routing={"kind": "rules", "routes": routes})
    gone_id = gone.pk
    gone.delete()
    done = move(make_lead(segment="smb"), "interest", people["marketer"], at=WEDNESDAY_10)
    assert (done.to_owner, done.routing["sentence"]) == (
        people["marketer"],
        f"Stayed with marketer: team {gone_id} no longer exists.",
    )


# --- match and directory: an away person's lead goes to their delegate ----------------------------------------


def test_a_territory_match_skips_the_away_rep_to_their_delegate(rule, make_lead, people):
    _away(people["rep2"], until=datetime(2026, 12, 3, 9, 0, tzinfo=UTC), delegate=people["rep"])
    rule(
        "By territory",
        to_stages=["interest"],
        routing={"kind": "match", "field": "territory", "map": {"EMEA": people["rep2"].pk}},
    )
    done = move(make_lead(territory="EMEA"), "interest", people["marketer"], at=WEDNESDAY_10)
    assert done.to_owner == people["rep"]
    assert done.routing["sentence"] == (
        "Went to rep by territory 'EMEA' is rep2's; rep2 is away, so their delegate — skipped: rep2 away."
    )
    assert [(c["name"], c["skipped"], c["detail"]) for c in done.routing["candidates"]] == [
        ("rep2", "away", "out of office until 2026-12-03 09:00 UTC"),
        ("rep", None, ""),
    ]


def test_the_directorys_away_rep_hands_to_their_delegate(rule, make_lead, people):
    line = responsibility_create(user=people["leader"], segment="enterprise", rep=people["rep2"])
    _away(people["rep2"], until=datetime(2026, 12, 3, 9, 0, tzinfo=UTC), delegate=people["rep"])
    rule("Directory", to_stages=["intent"], routing={"kind": "directory"})
    done = _to(make_lead(segment="enterprise"), ["interest", "consideration", "intent"], people["marketer"])
    assert done.to_owner == people["rep"]
    assert done.routing["sentence"] == (
        f"Went to rep by the directory's rep for Enterprise (line #{line.pk}); rep2 is away, so their delegate "
        "— skipped: rep2 away."
    )


def test_an_away_person_without_an_available_delegate_falls_back_to_the_team(rule, make_lead, people):
    _away(people["rep2"], until=datetime(2026, 12, 3, 9, 0, tzinfo=UTC), delegate=people["sdr"])
    people["sdr"].routing_paused = True
    people["sdr"].save(update_fields=["routing_paused"])
    rule(
        "By territory",
        to_stages=["interest"],
        routing={
            "kind": "match",
            "field": "territory",
            "map": {"EMEA": people["rep2"].pk},
            "fallback_team": people["rep"].team_id,
        },
    )
    done = move(make_lead(territory="EMEA"), "interest", people["marketer"], at=WEDNESDAY_10)
    assert done.to_owner == people["rep"]
    assert [(c["name"], c["skipped"]) for c in done.routing["candidates"]] == [
        ("rep2", "away"),
        ("sdr", "paused"),
        ("rep", None),
        ("rep2", "away"),
    ]
