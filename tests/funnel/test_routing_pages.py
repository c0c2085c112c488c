"""The routing page (/team/routing/) and the lead page's routing explanations, rendered by Django: who may open
it, a row saved and a row refused beside its field, the period's numbers, and a lead page whose queries do not
grow with the decisions in its history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from accounts.models import OutOfOffice, User
from funnel.models import Reassignment, Transition
from funnel.routing.people import routing_settings_update
from tests.accounts.factories import UserFactory
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(people, teams, rule, make_lead):
    """Three leads routed in Sales with weights 2 (rep) and 1 (rep2): 2 and 1; the last lead is returned."""
    routing_settings_update(actor=people["sales_manager"], user=people["rep"], routing_weight=2)
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": teams["sales"].pk})
    for _ in range(3):
        lead = make_lead()
        for stage in ("interest", "consideration", "intent"):
            move(lead, stage, people["marketer"])
    return lead


def page(client, user, **query):
    client.force_login(user)
    return client.get(reverse("team-routing"), query)


def test_the_manager_sees_their_people_state_and_the_share(client, people, routed):
    response = page(client, people["sales_manager"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Routing in Sales" in html
    assert f'id="weight-{people["rep"].pk}"' in html and 'value="2.00"' in html
    assert "3 leads routed to someone in Sales" in html
    assert "66.7 %" in html and "33.3 %" in html  # weight shares of 2 and 1, and the actual shares
    assert 'id="chart-routing-share"' in html
    assert "in working hours" in html or "outside working hours" in html


def test_reps_and_marketers_do_not_get_the_page(client, people):
    for who in ("rep", "marketer"):
        assert page(client, people[who]).status_code == 403


def test_a_saved_row_goes_back_to_the_same_team_and_period(client, people, routed):
    client.force_login(people["sales_manager"])
    here = f"{reverse('team-routing')}?team={people['rep'].team_id}&since=2026-01-01&until=2026-01-31"
    response = client.post(
        reverse("team-routing-person", args=[people["rep2"].pk]),
        {"routing_weight": "0.5", "routing_cap": "3", "routing_paused": "on", "next": here},
    )
    assert response.status_code == 302 and response["Location"] == here
    stored = User.objects.get(pk=people["rep2"].pk)
    assert (str(stored.routing_weight), stored.routing_cap, stored.routing_paused) == ("0.50", 3, True)


def test_an_empty_cap_and_an_unticked_pause_clear_them(client, people):
    routing_settings_update(actor=people["sales_manager"], user=people["rep"], routing_cap=2, routing_paused=True)
    client.force_login(people["sales_manager"])
    client.post(reverse("team-routing-person", args=[people["rep"].pk]), {"routing_weight": "1", "routing_cap": ""})
    stored = User.objects.get(pk=people["rep"].pk)
    assert (stored.routing_cap, stored.routing_paused) == (None, False)


def test_a_refused_weight_shows_beside_the_field_with_what_was_typed(client, people, routed):
    client.force_login(people["sales_manager"])
    response = client.post(
        reverse("team-routing-person", args=[people["rep"].pk]),
        {"routing_weight": "0", "routing_cap": "-2", "next": reverse("team-routing")},
    )
    assert response.status_code == 400
    html = response.content.decode()
    weight_error = f'id="weight-{people["rep"].pk}-error"'
    assert weight_error in html
    assert "The weight must be above 0; pause the person to give them no leads." in html
    assert "The cap may not be below 0; leave it empty for no cap." in html
    assert 'value="0"' in html and 'value="-2"' in html
    assert User.objects.get(pk=people["rep"].pk).routing_weight == 2


def test_a_manager_cannot_set_someone_outside_their_teams(client, people):
    client.force_login(people["marketing_manager"])
    response = client.post(reverse("team-routing-person", args=[people["rep"].pk]), {"routing_weight": "3"})
    assert response.status_code == 404
    assert User.objects.get(pk=people["rep"].pk).routing_weight == 1
    assert client.post("/team/routing/99999999999999999999999/", {"routing_weight": "3"}).status_code == 404


def test_a_weight_past_forty_characters_or_with_a_nul_is_refused_beside_the_field(client, people):
    client.force_login(people["sales_manager"])
    url = reverse("team-routing-person", args=[people["rep"].pk])
    for weight in ("1" * 100_000, "1\x00"):
        response = client.post(url, {"routing_weight": weight})
        assert response.status_code == 400
        assert f'id="weight-{people["rep"].pk}-error"' in response.content.decode()
    assert User.objects.get(pk=people["rep"].pk).routing_weight == 1


def test_the_period_inputs_show_the_days_used_when_only_the_team_was_asked(client, people, teams):
    html = page(client, people["sales_manager"], team=teams["sales"].pk).content.decode()
    today = timezone.now().date()
    assert f'name="until" value="{today.isoformat()}"' in html
    assert f'name="since" value="{(today - timedelta(days=29)).isoformat()}"' in html


def test_rows_the_manager_may_not_set_are_read_only(client, people, teams):
    # The SDR team is on the sales manager's page because their SDR works there; its other SDR is not theirs.
    UserFactory(username="othersdr", role=Role.SDR, team=teams["sdr"])
    html = page(client, people["sales_manager"], team=teams["sdr"].pk).content.decode()
    assert f'id="weight-{people["sdr"].pk}"' in html
    assert html.count("not yours to set") == 1
    html = page(client, people["leader"], team=teams["sdr"].pk).content.decode()
    assert html.count("not yours to set") == 0  # a revenue leader sets anyone's routing


def test_a_period_that_makes_no_sense_says_so_and_shows_the_last_30_days(client, people, routed):
    response = page(client, people["sales_manager"], since="2026-03-02", until="2026-03-01")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The period starts (2026-03-02) after it ends (2026-03-01)." in html
    assert "3 leads routed to someone" in html
    for query in ({"since": "2026-02-31"}, {"until": "9" * 1000}, {"team": "abc"}, {"since": "2026-01-01\x00"}):
        assert page(client, people["sales_manager"], **query).status_code == 400, query


def test_the_team_page_and_the_navigation_link_to_it(client, people):
    client.force_login(people["sales_manager"])
    html = client.get(reverse("team")).content.decode()
    assert f'href="{reverse("team-routing")}"' in html


# The lead page ----------------------------------------------------------------------------------------------------


def test_the_lead_page_explains_each_routing_decision_with_its_candidates(client, people, routed):
    now = timezone.now()
    OutOfOffice.objects.create(
        user=people["rep"], starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1), set_by=people["rep"]
    )
    lead = routed
    client.force_login(people["sales_manager"])
    html = client.get(reverse("lead-detail", args=[lead.pk])).content.decode()
    decision = Transition.objects.filter(lead=lead).exclude(routing=None).get().routing
    assert decision["sentence"] in html.replace("&#x27;", "'")
    assert "<summary>Why</summary>" in html
    assert "Pool: Sales" in html
    for candidate in decision["candidates"]:
        assert f'<td data-label="Candidate">{candidate["name"]}</td>' in html
    assert "chosen" in html


def test_a_reassignment_with_a_routing_decision_shows_it_too(client, people, routed):
    lead = routed
    decision = Transition.objects.filter(lead=lead).exclude(routing=None).get().routing
    Reassignment.objects.create(
        lead=lead,
        from_owner=lead.owner,
        to_owner=people["rep"],
        reason="rep2 is away",
        occurred_at=timezone.now(),
        routing={**decision, "sentence": "Went to rep by the delegate of rep2."},
    )
    client.force_login(people["sales_manager"])
    html = client.get(reverse("lead-detail", args=[lead.pk])).content.decode()
    assert "Went to rep by the delegate of rep2." in html
    assert html.count("<summary>Why</summary>") == 2


def test_the_lead_page_costs_the_same_queries_with_one_decision_or_four(client, people, teams, rule, make_lead, routed):
    rule(
        "Within marketing",
        to_stages=["interest", "consideration"],
        routing={"kind": "round_robin", "team": teams["marketing"].pk},
    )
    busy = make_lead()
    for stage in ("interest", "consideration", "intent"):
        move(busy, stage, people["marketer"])
    decision = Transition.objects.filter(lead=busy, to_stage="intent").get().routing
    Reassignment.objects.create(
        lead=busy,
        from_owner=people["rep"],
        to_owner=people["rep2"],
        reason="rebalanced",
        occurred_at=timezone.now(),
        routing=decision,
    )
    assert Transition.objects.filter(lead=busy).exclude(routing=None).count() == 3
    assert Transition.objects.filter(lead=routed).exclude(routing=None).count() == 1
    client.force_login(people["sales_manager"])
    urls = [reverse("lead-detail", args=[lead.pk]) for lead in (routed, busy)]
    for url in urls:  # warm the per-process caches (the funnel's configuration) before counting
        client.get(url)
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
