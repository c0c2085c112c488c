"""The simulation on the definitions page, worked by hand (the history of test_simulation_definitions.py):

Active MQL v1: score ≥ 40. Proposed v2: segment enterprise or mid-market, and score ≥ 35. "MQL first" gates
moves into consideration.

  lead  score segment     history                                  now      v1   v2
  A     50    smb         → consideration                          open     yes  no   stops qualifying
  B     70    enterprise  → consideration                          open     yes  yes
  C     30    enterprise  —                                        open     no   no
  D     65    smb         → consideration → … → purchase $12,000   bought   (closed: not counted now)
  E     38    mid_market  —                                        open     no   yes  newly qualifies

Now: of 4 open leads 2 qualify under v1 and 2 under v2 — E newly, A stops. History: 3 moves into consideration;
v2 would have refused A's and D's, v1 none; D went on to buy: $12,000 held back.
"""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from funnel.models import LeadDefinition, LeadDefinitionVersion, Simulation
from funnel.services.definitions import definition_version_propose
from funnel.simulation import services
from leads.models import Lead
from tests.funnel.conftest import MQL, move

pytestmark = pytest.mark.django_db

V2 = {
    "conditions": [
        {"field": "segment", "op": "in", "value": ["enterprise", "mid_market"]},
        {"field": "score", "op": "gte", "value": 35},
    ]
}
PAGE = reverse("definition-list")


def worked_history(people, make_lead, signed, rule) -> tuple[dict, LeadDefinitionVersion]:
    """The history above: ({name: lead}, the proposed v2). The browser test builds it too."""
    signed("MQL", MQL)
    rule("MQL first", to_stages=["consideration"], preconditions=[{"kind": "definition_met", "level": "MQL"}])
    scores = {"A": 50, "B": 70, "C": 30, "D": 65, "E": 38}
    segments = {"A": "smb", "B": "enterprise", "C": "enterprise", "D": "smb", "E": "mid_market"}
    leads = {name: make_lead(last_name=f"Buyer {name}", segment=segments[name]) for name in scores}
    Lead.objects.filter(pk=leads["D"].pk).update(expected_value=Decimal("12000"))
    for name, score in scores.items():  # scores come from scoring, not from a form: set them directly
        Lead.objects.filter(pk=leads[name].pk).update(score=score)
    for name in "ABD":
        move(leads[name], "interest", people["marketer"])
        move(leads[name], "consideration", people["marketer"])
    for stage in ("intent", "evaluation", "purchase"):
        move(leads["D"], stage, people["admin"])
    proposal = definition_version_propose(
        definition=LeadDefinition.objects.get(code="MQL"), criteria=V2, proposed_by=people["marketer"]
    )
    return leads, proposal


@pytest.fixture
def history(people, make_lead, signed, rule):
    return worked_history(people, make_lead, signed, rule)


@pytest.fixture
def web(client):
    def logged_in(user):
        client.force_login(user)
        return client

    return logged_in


@pytest.fixture
def simulate(web, django_capture_on_commit_callbacks):
    """Posts the page's form; the job starts once the transaction commits, which a test's never does."""

    def post(user, version, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return web(user).post(reverse("definition-simulate", args=[version.pk]), {"window_days": 1, **data})

    return post


def text(response) -> str:
    """The page as a person reads it: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).replace(" ,", ",")


def words(response) -> str:
    return re.sub(r" ([.;:)])", r"\1", text(response))


def drill(simulation, **query) -> str:
    return reverse("simulation-leads", args=[simulation.pk]) + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_the_page_shows_what_the_proposal_would_have_done(history, people, simulate, web):
    _, proposal = history
    started = simulate(people["marketer"], proposal)
    assert started.status_code == 302
    assert started["Location"] == f"{PAGE}#v{proposal.pk}"
    simulation = Simulation.objects.get()
    assert simulation.status == "done"

    page = web(people["sales_manager"]).get(PAGE)
    said = words(page)
    assert "Now: of 4 open leads, 2 would qualify instead of 2 — 1 newly, 1 stops." in said
    assert (
        "Last 1 day: of 3 moves into consideration it would have refused 2 (v1: 0); "
        "1 of those leads went on to buy — $12,000 held back." in said
    )
    assert f"Simulation #{simulation.pk} · data as of" in said
    assert "window 1 day · requested by marketer" in said
    html = unescape(page.content.decode())
    # Every number is a link to the leads behind it, the breakdowns' cells too.
    assert f'href="{drill(simulation, part="now", bucket="newly_qualify")}"' in html
    smb_refused = drill(simulation, part="history", bucket="refused_proposed", dimension="segment", value="smb")
    assert f'href="{smb_refused}">2</a>' in html
    assert f'name="simulation" id="sign-simulation-v{proposal.pk}" value="{simulation.pk}"' in html


def test_a_running_simulation_shows_its_progress_and_the_poll_swaps_the_result_in(history, people, web):
    _, proposal = history
    simulation = Simulation.objects.create(
        kind="definition", definition_version=proposal, window_days=1, requested_by=people["marketer"], progress=5
    )
    client = web(people["marketing_manager"])
    page = client.get(PAGE).content.decode()
    progress_url = reverse("simulation-progress", args=[simulation.pk])
    assert f'hx-get="{progress_url}" hx-trigger="every 2s"' in page
    assert '<progress max="100" value="5"' in page
    assert f'id="sign-simulation-v{proposal.pk}" value=""' in page  # nothing finished to have read yet

    polled = client.get(progress_url, HTTP_HX_REQUEST="true")
    assert "is queued over the last 1 day (5 %)" in text(polled)
    assert "HX-Retarget" not in polled

    services.simulation_run(simulation_id=simulation.pk)
    done = client.get(progress_url, HTTP_HX_REQUEST="true")
    assert (done["HX-Retarget"], done["HX-Reswap"]) == (f"#simulation-v{proposal.pk}", "outerHTML")
    assert "of 4 open leads, 2 would qualify instead of 2" in text(done)
    assert "hx-trigger" not in done.content.decode()  # the poll stops
    assert f'value="{simulation.pk}" hx-swap-oob="true"' in done.content.decode()  # the sign-off form learns it


def test_the_same_question_reuses_the_result_and_run_again_starts_a_fresh_one(history, people, simulate, web):
    _, proposal = history
    simulate(people["marketer"], proposal)
    simulate(people["sales_manager"], proposal)
    assert Simulation.objects.count() == 1
    simulate(people["sales_manager"], proposal, fresh="true")
    first, fresh = Simulation.objects.order_by("pk")
    assert (first.requested_by, fresh.requested_by, fresh.status) == (
        people["marketer"],
        people["sales_manager"],
        "done",
    )
    assert f"Simulation #{fresh.pk} · data as of" in text(web(people["marketer"]).get(PAGE))


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ("0", "0 is not a number of days; give 1 or more."),
        ("-3", "-3 is not a number of days; give 1 or more."),
        ("400", "The history kept reaches back 1 day; a 400-day window is longer."),
        ("9999", "Ensure this value is less than or equal to 3660."),
        ("ninety", "Enter a whole number."),
    ],
)
def test_a_bad_window_is_refused_beside_the_field(history, people, simulate, window, message):
    _, proposal = history
    refused = simulate(people["marketer"], proposal, window_days=window)
    assert refused.status_code == 400
    field = re.search(
        rf'id="id_sim{proposal.pk}_window_days".*?<ul class="errorlist"[^>]*>(.*?)</ul>', refused.content.decode(), re.S
    )
    assert field is not None, "the error is not beside the window field"
    assert unescape(re.sub(r"<[^>]+>", "", field.group(1))) == message
    assert f'value="{window}"' in refused.content.decode()  # what was typed stays
    assert not Simulation.objects.exists()


def test_the_sign_off_records_the_simulation_the_signer_read(history, people, simulate, web):
    _, proposal = history
    simulate(people["marketer"], proposal)
    simulation = Simulation.objects.get()
    sign = reverse("definition-sign-off", args=[proposal.pk])
    web(people["marketing_manager"]).post(sign, {"simulation": simulation.pk})
    proposal.refresh_from_db()
    assert (proposal.marketing_approver, proposal.marketing_simulation) == (people["marketing_manager"], simulation)
    assert f"signed by mktmgr having read simulation #{simulation.pk}" in text(web(people["leader"]).get(PAGE))

    web(people["sales_manager"]).post(sign, {"simulation": ""})
    proposal.refresh_from_db()
    assert (proposal.status, proposal.sales_simulation) == ("active", None)
    said = text(web(people["leader"]).get(PAGE))
    assert (
        f"mktmgr (marketing, having read simulation #{simulation.pk}) and salesmgr (sales, without a simulation)"
        in said
    )


def test_a_sign_off_naming_another_versions_or_no_simulation_is_refused(history, people, simulate, web):
    _, proposal = history
    other = definition_version_propose(
        definition=LeadDefinition.objects.get(code="MQL"), criteria=MQL, proposed_by=people["marketer"]
    )
    simulate(people["marketer"], other)
    foreign = Simulation.objects.get()
    sign = reverse("definition-sign-off", args=[proposal.pk])
    client = web(people["marketing_manager"])
    refused = client.post(sign, {"simulation": foreign.pk}, follow=True)
    assert f"simulation: Simulation {foreign.pk} is not a finished one of this version." in text(refused)
    garbled = client.post(sign, {"simulation": "abc"}, follow=True)
    assert "simulation: Enter a whole number." in text(garbled)
    assert LeadDefinitionVersion.objects.get(pk=proposal.pk).marketing_approver is None


@pytest.mark.parametrize(
    ("query", "expected", "heading"),
    [
        ({"part": "now", "bucket": "newly_qualify"}, "E", "Open leads that would newly qualify under v2"),
        ({"part": "now", "bucket": "stop_qualifying"}, "A", "Open leads that would stop qualifying under v2"),
        ({"part": "now", "bucket": "leads"}, "ABCE", "Open leads"),
        ({"part": "history", "bucket": "refused_proposed"}, "AD", "Leads behind the moves v2 would have refused"),
        ({"part": "history", "bucket": "moves"}, "ABD", "Leads behind the moves it gates"),
        (
            {"part": "history", "bucket": "went_on_to_purchase"},
            "D",
            "Leads v2 would have held back that went on to buy",
        ),
        (
            {"part": "now", "bucket": "qualify_proposed", "dimension": "segment", "value": "enterprise"},
            "B",
            "Open leads that would qualify under v2 · Segment: Enterprise",
        ),
        (
            {"part": "history", "bucket": "refused_proposed", "dimension": "segment", "value": "smb"},
            "AD",
            "Leads behind the moves v2 would have refused · Segment: Small business",
        ),
    ],
)
def test_each_count_lists_exactly_its_leads(history, people, simulate, web, query, expected, heading):
    leads, proposal = history
    simulate(people["marketer"], proposal)
    page = web(people["marketer"]).get(drill(Simulation.objects.get(), **query))
    assert page.status_code == 200
    listed = set(re.findall(r'href="/leads/(\d+)/"', page.content.decode()))
    assert listed == {str(leads[name].pk) for name in expected}
    assert f"{heading} {len(expected)}" in text(page)


def test_the_drill_down_lists_only_the_leads_the_viewer_may_see(history, people, simulate, web):
    leads, proposal = history
    simulate(people["marketer"], proposal)
    simulation = Simulation.objects.get()
    Lead.objects.filter(pk=leads["A"].pk).update(owner=people["rep"], team=people["rep"].team)
    page = web(people["sales_manager"]).get(drill(simulation, part="history", bucket="refused_proposed"))
    listed = set(re.findall(r'href="/leads/(\d+)/"', page.content.decode()))
    assert listed == {str(leads["A"].pk)}  # D is a marketer's lead outside the sales manager's subtree
    assert "Counted 2 moves when simulated" in text(page)


def test_the_drill_down_pages_fifty_at_a_time(history, people, simulate, web, make_lead):
    _, proposal = history
    for _ in range(52):
        make_lead(segment="enterprise")
    simulate(people["marketer"], proposal)
    client = web(people["marketer"])
    first = client.get(drill(Simulation.objects.get(), part="now", bucket="leads"))
    assert len(re.findall(r'href="/leads/\d+/"', first.content.decode())) == 50
    following = re.search(r'href="(\?[^"]*cursor=[^"]+)">Next page', first.content.decode())
    second = client.get(first.request["PATH_INFO"] + unescape(following.group(1)))
    assert len(re.findall(r'href="/leads/\d+/"', second.content.decode())) == 6  # 4 open + 52 - 50


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "part: Say which part: now or history. · bucket: Say which count, e.g. bucket=newly_qualify."),
        ({"part": "later", "bucket": "leads"}, "part: 'later' is not a part of a simulation; use now or history."),
        (
            {"part": "now", "bucket": "everything"},
            "bucket: 'everything' is not a count of this simulation's now part; "
            "use leads, qualify_active, qualify_proposed, newly_qualify, stop_qualifying.",
        ),
        (
            {"part": "history", "bucket": "newly_qualify"},
            "bucket: 'newly_qualify' is not a count of this simulation's history part; "
            "use moves, refused_proposed, refused_active, newly_refused, went_on_to_purchase.",
        ),
        (
            {"part": "now", "bucket": "leads", "dimension": "shoe_size"},
            "dimension: 'shoe_size' is not a breakdown; use segment, source_campaign, owner, team.",
        ),
        ({"part": "now", "bucket": "leads", "dimension": "segment", "value": "a\x00b"}, "value: Null characters"),
        (
            {"part": "now", "bucket": "x" * 100_000},
            "bucket: Ensure this value has at most 40 characters (it has 100000).",
        ),
    ],
)
def test_a_bad_drill_down_is_a_400_naming_the_problem(history, people, simulate, web, query, message):
    _, proposal = history
    simulate(people["marketer"], proposal)
    simulation = Simulation.objects.get()
    url = reverse("simulation-leads", args=[simulation.pk])
    page = web(people["marketer"]).get(url, query)
    assert page.status_code == 400
    assert "That count cannot be listed" in text(page)
    assert message in text(page)


def test_a_drill_down_into_a_simulation_without_a_result_or_none_at_all(history, people, web):
    _, proposal = history
    queued = Simulation.objects.create(kind="definition", definition_version=proposal, window_days=1)
    client = web(people["marketer"])
    page = client.get(drill(queued, part="now", bucket="leads"))
    assert page.status_code == 400
    assert f"simulation: Simulation {queued.pk} has no result: it is queued." in text(page)
    assert client.get(drill(Simulation(pk=999_999), part="now", bucket="leads")).status_code == 404
    assert client.get(f"/simulations/{'9' * 30}/leads/?part=now&bucket=leads").status_code == 404
    assert client.get("/simulations/abc/leads/?part=now&bucket=leads").status_code == 404


def test_a_rep_neither_runs_nor_reads_a_simulation(history, people, simulate, web):
    _, proposal = history
    refused = simulate(people["rep"], proposal)
    assert refused.status_code == 403
    assert "Marketers, managers, revenue leaders and administrators read and run simulations." in text(refused)
    assert not Simulation.objects.exists()
    simulate(people["marketer"], proposal)
    simulation = Simulation.objects.get()
    rep = web(people["rep"])
    assert rep.get(drill(simulation, part="now", bucket="leads")).status_code == 403
    assert rep.get(reverse("simulation-progress", args=[simulation.pk])).status_code == 403
    assert "would have done" not in text(rep.get(PAGE))


def test_a_version_that_is_no_longer_proposed_is_not_simulated(history, people, simulate, web):
    active = LeadDefinition.objects.get(code="MQL").versions.get(status="active")
    refused = simulate(people["marketer"], active)
    assert refused.status_code == 400
    assert f"Version {active.number} is active; only a proposal is simulated." in text(refused)
    assert simulate(people["marketer"], LeadDefinitionVersion(pk=999_999)).status_code == 404
