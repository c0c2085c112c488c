"""Routing kind `directory`: a move gives the lead to the person the "who to call" directory names for the side
owning the target stage (rep for sales, marketer for marketing, liaison for shared), through the one transition
service; with nobody named or an inactive person it falls back like `match` (round-robin, else the owner stays)
and the transition's rule results say so."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from crm.models import CallReport, CallReportTag, Tag
from crm.services.directory import responsibility_create
from funnel.routing.spec import describe_routing, validate_routing
from tests.accounts.factories import UserFactory
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


def _line(people, **fields):
    return responsibility_create(user=people["leader"], **fields)


def _routing(transition) -> dict:
    return next(check for check in transition.rule_results if check["check"] == "routing")


@pytest.fixture
def to_sales(rule, people):
    """Moves into intent (a sales stage) are routed by the directory; without an answer, round-robin in SDRs."""
    return rule(
        "Directory to sales",
        to_stages=["intent"],
        routing={"kind": "directory", "fallback_team": people["sdr"].team_id},
    )


def _to_intent(lead, people):
    for stage in ("interest", "consideration"):
        move(lead, stage, people["marketer"])
    return move(lead, "intent", people["marketer"])


def test_a_move_to_sales_goes_to_the_directorys_rep(make_lead, people, to_sales):
    _line(people, rep=people["rep"])
    line = _line(people, segment="enterprise", territory="EMEA", rep=people["rep2"])
    lead = make_lead(segment="enterprise", territory="EMEA")
    done = _to_intent(lead, people)
    lead.refresh_from_db()
    assert (done.to_owner, lead.owner, lead.owning_function) == (people["rep2"], people["rep2"], "sales")
    check = _routing(done)
    assert check["passed"] is True
    assert check["rule"] == "Directory to sales"
    assert check["reason"] == f"Went to rep2 by the directory's rep for Enterprise · EMEA (line #{line.pk})."


def test_the_key_account_and_reported_product_beat_the_segment(make_lead, people, to_sales, teams):
    closer = UserFactory(username="closer", role=Role.SALES_REP, team=teams["sales"])
    product, _ = Tag.objects.get_or_create(kind="product", slug="analytics", defaults={"label": "Analytics"})
    _line(people, segment="smb", rep=people["rep"])
    _line(people, product=product, rep=closer)
    lead = make_lead(segment="smb")
    report = CallReport.objects.create(
        lead=lead, author=people["marketer"], occurred_on=timezone.localdate(), channel="call", outcome="Asked"
    )
    CallReportTag.objects.create(report=report, tag=product)
    assert _to_intent(lead, people).to_owner == closer


def test_a_move_to_marketing_goes_to_the_marketer_and_to_shared_to_the_liaison(make_lead, people, rule, teams):
    second = UserFactory(username="marketer2", role=Role.MARKETER, team=teams["marketing"])
    rule("Directory", to_stages=["interest", "consideration"], routing={"kind": "directory"})
    _line(people, segment="mid_market", marketer=second, liaison=people["sdr"], rep=people["rep"])
    lead = make_lead(segment="mid_market")
    assert move(lead, "interest", people["marketer"]).to_owner == second
    assert move(lead, "consideration", second).to_owner == people["sdr"]


def test_nobody_in_the_directory_falls_back_to_round_robin_and_says_so(make_lead, people, to_sales):
    _line(people, segment="enterprise", marketer=people["marketer"])  # names no rep
    done = _to_intent(make_lead(segment="enterprise"), people)
    assert done.to_owner == people["sdr"]
    assert _routing(done)["reason"].startswith(
        "Went to sdr by weighted round-robin in Sales development (the directory names no rep for this lead)"
    )


def test_an_inactive_rep_falls_back_and_says_so(make_lead, people, to_sales, teams):
    gone = UserFactory(username="gone", role=Role.SALES_REP, team=teams["sales"])
    _line(people, segment="smb", rep=gone)
    gone.is_active = False
    gone.save()
    done = _to_intent(make_lead(segment="smb"), people)
    assert done.to_owner == people["sdr"]
    assert _routing(done)["reason"].startswith(
        "Went to sdr by weighted round-robin in Sales development (the directory's rep gone is inactive)"
    )


def test_without_a_fallback_team_the_owner_stays(make_lead, people, rule):
    rule("Directory, no fallback", to_stages=["interest"], routing={"kind": "directory"})
    done = move(make_lead(), "interest", people["marketer"])
    assert done.to_owner == people["marketer"]
    assert _routing(done)["reason"] == "Stayed with marketer: the directory names no marketer for this lead."


def test_directory_routing_is_validated_and_described(rule, people):
    assert validate_routing({"kind": "directory"}) == []
    assert validate_routing({"kind": "directory", "fallback_team": 3}) == []
    assert validate_routing({"kind": "directory", "team": 3}) == ["routing: unknown key(s) team for kind directory."]
    assert validate_routing({"kind": "directory", "fallback_team": "sdr"}) == [
        "routing.fallback_team: must be a team id or null."
    ]
    with pytest.raises(ValidationError, match="team 999999 does not exist"):
        rule("Bad fallback", routing={"kind": "directory", "fallback_team": 999999})
    assert describe_routing({"kind": "directory", "fallback_team": 7}, {7: "team SDR"}) == (
        "the responsible person from the directory (rep, marketer or liaison by the stage's side); "
        "otherwise round-robin in team SDR"
    )


def test_the_rule_api_and_page_take_the_directory_kind(api, client, people):
    created = api(people["admin"]).post(
        "/api/v1/handoff-rules/",
        {"name": "By directory", "to_stages": ["intent"], "routing": {"kind": "directory"}},
    )
    assert created.status_code == 201, created.json()
    refused = api(people["admin"]).post(
        "/api/v1/handoff-rules/", {"name": "Bad", "routing": {"kind": "directory", "map": {}}}
    )
    assert refused.status_code == 400
    client.force_login(people["rep"])
    page = client.get(reverse("rule-list")).content.decode()
    assert "the responsible person from the directory" in page
