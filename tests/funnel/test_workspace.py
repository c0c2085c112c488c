"""The web workspace: navigation per role, a home page that answers "what do I do now", the board, the team
and SLA pages, approvals with the deal's value, and the helpers that show values as people read them."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import CallReport
from funnel.models import Handoff, SlaBreach
from funnel.navigation import navigation_for
from funnel.services.approvals import approval_request_create
from funnel.services.handoffs import handoff_accept
from funnel.services.sla import handoff_sla_breaches_record
from funnel.templatetags import ui
from funnel.views.charts import Chart
from leads.models import Lead
from tests.conftest import leader_escalation
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


MANAGER_LABELS = (
    "Dashboard",
    "Joint metrics",
    "Team",
    "Routing",
    "SLA",
    "Approvals",
    "Handoffs",
    "Board",
    "Leads",
    "Companies",
    "Campaigns",
    "Insights",
    "Target",
    "Joint meeting",
    "Taxonomies",
    "Scoring",
    "Collateral",
    "Definitions",
    "Rules",
)


@pytest.mark.parametrize(
    ("who", "labels"),
    [
        ("rep", ["My queue", "My leads", "Board", "Companies", "Call reports", "Collateral"]),
        ("sdr", ["My queue", "Mid-funnel", "Board", "Both teams' queues", "Companies", "Call reports"]),
        (
            "marketer",
            [
                "My queue",
                "Leads",
                "Board",
                "Companies",
                "Campaigns",
                "Insights",
                "Scoring",
                "Collateral",
                "Definitions",
                "Rules",
            ],
        ),
        ("sales_manager", [*MANAGER_LABELS, "Sales expenses"]),
        ("leader", [*MANAGER_LABELS, "Sales expenses"]),
        (
            "admin",
            [
                "Dashboard",
                "Joint metrics",
                "Leads",
                "Companies",
                "Definitions",
                "Rules",
                "Taxonomies",
                "Configuration",
                "System status",
                "Audit trail",
                "API tokens",
                "Webhooks",
                "Sales expenses",
            ],
        ),
    ],
)
def test_each_role_gets_its_navigation_on_every_page(client, people, who, labels):
    labels = [*labels, "Integration", "Who to call"]  # every role's last two items
    assert [item.label for item in navigation_for(people[who])] == labels
    client.force_login(people[who])
    page = client.get(reverse("rule-list")).content.decode()
    for label in labels:
        assert f"<span>{label}</span>" in page.replace("&#x27;", "'")
    assert ("System status" in page) is (who == "admin")


def test_system_status_is_for_administrators_only(client, people):
    client.force_login(people["rep"])
    assert client.get(reverse("system-status")).status_code == 403
    client.force_login(people["admin"])
    page = client.get(reverse("system-status")).content.decode()
    assert "Database: reachable" in page


@pytest.fixture
def handed(people, make_lead, rule):
    """A $95k lead the SDR handed to the rep five minutes ago (pending, with an 8-hour accept clock)."""
    rule(
        "To sales",
        to_stages=["intent"],
        routing={"kind": "round_robin", "team": people["rep"].team_id},
        accept_within_hours=8,
        sla_clock="clock",
    )
    lead = make_lead(owner=people["sdr"], last_name="Haddad", first_name="Priya", expected_value=Decimal("95000"))
    for stage in ("interest", "consideration"):
        move(lead, stage, people["sdr"])
    move(lead, "intent", people["sdr"])
    return Handoff.objects.get(lead=lead, status="pending")


def test_a_reps_home_lists_the_handoff_with_its_clock_and_answers_it_in_place(client, people, handed):
    client.force_login(people["rep"])
    page = client.get(reverse("home")).content.decode()
    assert "Priya Haddad" in page and "due in 7 h" in page
    assert '<span class="value">1</span><span class="name">handoffs to answer</span>' in page
    answer = client.post(reverse("handoff-accept", kwargs={"handoff_id": handed.pk}), HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert "Accepted" in answer.content.decode() and "<html" not in answer.content.decode()
    assert Handoff.objects.get(pk=handed.pk).status == "accepted"


def test_a_reject_without_a_reason_keeps_the_item_answerable_and_says_why(client, people, handed):
    client.force_login(people["rep"])
    url = reverse("handoff-reject", kwargs={"handoff_id": handed.pk})
    answer = client.post(url, {"reason_code": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "Choose a reason to reject it." in answer
    assert 'name="reason_code"' in answer and "Accept" in answer  # the buttons are still there
    assert Handoff.objects.get(pk=handed.pk).status == "pending"


def test_rejecting_from_the_home_page_without_javascript_comes_back_home(client, people, handed):
    client.force_login(people["rep"])
    response = client.post(
        reverse("handoff-reject", kwargs={"handoff_id": handed.pk}),
        {"reason_code": "no_budget", "note": "", "next": "/"},
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    assert Lead.objects.get(pk=handed.lead_id).stage == "nurture"
    assert "went to nurture" in client.get("/").content.decode()


def test_a_next_page_outside_the_site_is_not_followed(client, people, handed):
    client.force_login(people["rep"])
    response = client.post(
        reverse("handoff-accept", kwargs={"handoff_id": handed.pk}), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("handoff-inbox")


@pytest.fixture
def leader_approves(rule):
    """Every purchase needs a revenue leader's approval."""
    return rule(
        "Leader approves",
        to_stages=["purchase"],
        escalations=leader_escalation("approve", at_least=1),
    )


def test_a_reps_home_lists_next_steps_due_and_approvals_asked(client, people, make_lead, leader_approves):
    lead = make_lead(owner=people["rep"], last_name="Eriksen", expected_value=Decimal("120000"))
    for stage in ("interest", "consideration", "intent", "evaluation"):
        move(lead, stage, people["rep"])
    CallReport.objects.create(
        lead=lead,
        author=people["rep"],
        occurred_on=date.today() - timedelta(days=3),
        channel="call",
        outcome="Pricing",
        next_step="Send the proposal",
        next_step_on=timezone.localdate(),
    )
    approval_request_create(lead=Lead.objects.get(pk=lead.pk), to_stage="purchase", actor=people["rep"])
    client.force_login(people["rep"])
    page = client.get(reverse("home")).content.decode()
    assert "Send the proposal" in page and "today" in page
    assert "waiting for a revenue leader" in page


def test_two_calls_on_one_day_give_the_lead_one_next_step_the_later_one(people, make_lead):
    from funnel.queues import next_steps_due

    lead = make_lead(owner=people["rep"])
    for step in ("Send the deck", "Send the proposal"):
        CallReport.objects.create(
            lead=lead,
            author=people["rep"],
            occurred_on=timezone.localdate(),
            channel="call",
            outcome="Talked",
            next_step=step,
            next_step_on=timezone.localdate(),
        )
    assert [report.next_step for report in next_steps_due(user=people["rep"])] == ["Send the proposal"]


def test_a_managers_dashboard_keeps_a_breach_until_it_is_resolved(client, people, handed):
    handoff_sla_breaches_record(now=timezone.now() + timedelta(hours=9))
    assert SlaBreach.objects.filter(handoff=handed).count() == 1
    client.force_login(people["sales_manager"])
    people["sales_manager"].notifications.update(read_at=timezone.now())  # reading the notice resolves nothing
    assert "Priya Haddad" in client.get(reverse("sla-breaches")).content.decode()
    assert '<span class="value">1</span><span class="name">open SLA breaches</span>' in client.get("/").content.decode()
    handoff_accept(handoff_id=handed.pk, actor=people["rep"])
    assert "Priya Haddad" not in client.get(reverse("sla-breaches")).content.decode()


def test_the_leader_sees_the_approval_with_its_value_and_who_asked(client, people, make_lead, leader_approves):
    lead = make_lead(owner=people["rep"], last_name="Andersen", expected_value=Decimal("340000"), currency="EUR")
    for stage in ("interest", "consideration", "intent", "evaluation"):
        move(lead, stage, people["rep"])
    approval_request_create(lead=Lead.objects.get(pk=lead.pk), to_stage="purchase", actor=people["rep"])
    client.force_login(people["leader"])
    for url in (reverse("home"), reverse("approval-list")):
        page = client.get(url).content.decode()
        assert "€340,000" in page and "Evaluation → Purchase" in page and "asked" in page


def test_the_board_shows_the_reps_leads_by_stage_with_their_moves(client, people, make_lead):
    lead = make_lead(owner=people["rep"], last_name="Board", expected_value=Decimal("5000"))
    move(lead, "interest", people["rep"])
    make_lead(owner=people["rep2"], last_name="Teammate")
    client.force_login(people["rep"])
    response = client.get(reverse("board"))
    columns = {c["stage"].value: c for c in response.context["columns"]}
    assert list(columns) == ["awareness", "interest", "consideration", "intent", "evaluation", "purchase"]
    assert [card.last_name for card in columns["interest"]["cards"]] == ["Board"]
    assert columns["awareness"]["count"] == 0  # rep2's lead is not on rep's board
    assert [key for key, _ in columns["interest"]["targets"]] == ["awareness", "consideration"]


def test_a_managers_board_and_team_page_cover_the_reporting_line(client, people, make_lead):
    make_lead(owner=people["rep"])
    make_lead(owner=people["rep2"])
    make_lead(owner=people["marketer"])
    client.force_login(people["sales_manager"])
    board = client.get(reverse("board")).context["columns"]
    assert board[0]["count"] == 2
    team = client.get(reverse("team"))
    assert team.context["grand_total"] == 2
    assert f'?owner={people["rep"].pk}&amp;stage=awareness">1</a>' in team.content.decode()
    client.force_login(people["rep"])
    assert client.get(reverse("team")).status_code == 403


def test_the_dashboard_chart_ships_its_numbers_as_a_table_and_a_csv(client, people, make_lead):
    for _ in range(3):
        make_lead(owner=people["rep"])
    client.force_login(people["sales_manager"])
    workload, funnel = client.get("/").context["charts"]
    assert workload.rows == [[ui.person(people["rep"]), 3, 0, 0, 0, 0]]
    assert funnel.rows == [["Awareness", 3]]
    assert "Awareness%2C3" in funnel.csv_href


@pytest.mark.parametrize("start", ["=", "@", "\t", "\uff1d", "\uff0b", "\uff0d", "\uff20"])  # and full-width = + - @
def test_a_chart_csv_quotes_every_formula_start_but_keeps_numbers(start):
    chart = Chart(key="k", title="t", headers=[f"{start}cmd", "n"], rows=[[f"{start}x", -5]])
    assert chart.csv_href.endswith(quote(f"'{start}cmd,n\r\n'{start}x,-5\r\n"))


def test_money_dates_labels_and_clocks_read_as_people_read_them():
    assert ui.money(Decimal("340000.00"), "USD") == "$340,000"
    assert ui.money(Decimal("1234.50"), "EUR") == "€1,234.50"
    assert ui.money(Decimal("99"), "SEK") == "99 SEK"
    assert ui.label("mid_market", "segment") == "Mid-market"
    assert ui.label("consideration", "stage") == "Consideration"
    assert ui.relative(timezone.now() + timedelta(hours=3, minutes=20, seconds=30)) == "in 3 h 20 min"
    assert ui.relative(timezone.now() - timedelta(days=2, hours=5)) == "2 d 5 h ago"
    assert "overdue by 2 d" in ui.countdown(timezone.now() - timedelta(days=2))
    assert "due in" in ui.countdown(timezone.now() + timedelta(hours=1)) and "soon" in ui.countdown(
        timezone.now() + timedelta(hours=1)
    )


def test_the_handoff_inbox_costs_the_same_queries_for_one_handoff_or_five(
    client, people, make_lead, rule, django_assert_max_num_queries
):
    from tests.funnel.conftest import move

    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})

    def hand_over():
        lead = make_lead()
        for stage in ("interest", "consideration", "intent"):
            move(lead, stage, people["marketer"])

    hand_over()
    client.force_login(people["sales_manager"])
    with django_assert_max_num_queries(100) as one:
        assert client.get(reverse("handoff-inbox")).status_code == 200
    for _ in range(4):
        hand_over()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("handoff-inbox"))
    assert page.content.decode().count('name="reason_code"') >= 5
