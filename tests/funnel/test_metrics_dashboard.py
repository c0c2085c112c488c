"""The managers' joint-metrics dashboard (page and API) on the hand-worked February of
tests/funnel/metrics_scenario.py: it shows the stored numbers, each linking to exactly the leads behind it
(those the reader may see), names bad filters, and costs the same queries whatever the trend holds."""

import re
from datetime import date

import pytest
from django.test import Client

from funnel.metrics.compute import snapshot_compute
from funnel.metrics.families import FAMILIES
from funnel.metrics.models import MetricJob, StageSpan
from funnel.metrics.periods import period_of
from tests.funnel.metrics_scenario import build_scenario

FEBRUARY = period_of(kind="month", day=date(2026, 2, 1))
PAGE = "/metrics/?period=month&start=2026-02-01"
pytestmark = pytest.mark.django_db


@pytest.fixture
def february(people):
    build_scenario(people)
    snapshot_compute(period=period_of(kind="month", day=date(2026, 1, 1)), families=FAMILIES)
    return snapshot_compute(period=FEBRUARY, families=FAMILIES)


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def link(html: str, **row) -> str:
    """The drill-down href of the dashboard cell naming `row` (metric, stage, to_stage and part)."""
    part = "&amp;part=denominator" if row.pop("part", "") == "denominator" else ""
    wanted = (
        f'&amp;metric={row["metric"]}&amp;stage={row.get("stage", "")}&amp;to_stage={row.get("to_stage", "")}{part}"'
    )
    [href] = {h for h in re.findall(r'href="(/metrics/leads/[^"]*)"', html) if (h + '"').endswith(wanted)}
    return href.replace("&amp;", "&")


def test_the_page_shows_februarys_numbers_and_each_links_to_the_leads_behind_it(february, people):
    client = browser(people["leader"])
    html = client.get(PAGE).content.decode()
    assert "Data as of" in html
    assert "53.8 %" in html  # win rate 7 / 13
    assert re.search(r"awareness → purchase</span><span class=\"value\"><a [^>]*>41<", html)  # median days
    assert "35,000 USD" in html and "10,000 EUR" in html  # revenue per currency, never converted
    assert ".000000" not in html  # charts' tables and CSVs round stored values (36500.000000) as they show them
    row = re.search(r"Interest</span> → <span[^>]*>Consideration</span>.*?</tr>", html, re.S).group(0)
    assert "71.4 %" in row and ">21<" in row and ">15<" in row  # cohort 15 of 21
    cohort = link(html, metric="cohort_conversion", stage="interest", to_stage="consideration", part="denominator")
    assert "21 leads you may see" in client.get(cohort).content.decode()
    reached = link(html, metric="cohort_conversion", stage="interest", to_stage="consideration")
    assert "15 leads you may see" in client.get(reached).content.decode()

    rep = browser(people["rep"])
    assert "4 leads you may see" in rep.get(cohort).content.decode()  # P1 ×3 and P11: the rep's own


def test_a_slice_reads_that_dimensions_numbers(february, people):
    team = people["rep"].team
    in_february = {"entered_at__gte": FEBRUARY.starts_at, "entered_at__lt": FEBRUARY.ends_at}
    spans = StageSpan.objects.filter(stage="interest", team=team, **in_february)
    expected = spans.values("lead").distinct().count()  # independently: the team's leads entering interest
    assert 0 < expected < 21
    html = browser(people["leader"]).get(f"{PAGE}&team={team.pk}").content.decode()
    assert f"team {team.name}" in html
    row = re.search(r"Interest</span> → <span[^>]*>Consideration</span>.*?</tr>", html, re.S).group(0)
    assert f">{expected}<" in row
    body = (
        browser(people["leader"])
        .get("/api/v1/dashboard/", {"period_kind": "month", "period_start": "2026-02-14", "team": team.pk})
        .json()
    )
    assert (body["dimension"], body["dimension_value"], body["period_start"]) == ("team", str(team.pk), "2026-02-01")
    entered = {n["stage"]: n["value"] for n in body["numbers"] if n["metric"] == "entered"}
    assert entered["interest"] == f"{expected}.000000"


def test_a_drill_down_names_its_number_and_slice_and_leads_back_to_the_same_filters(february, people):
    team = people["rep"].team
    client = browser(people["leader"])
    html = client.get(f"{PAGE}&team={team.pk}").content.decode()
    cohort = client.get(link(html, metric="cohort_conversion", stage="interest", to_stage="consideration"))
    page = cohort.content.decode()
    assert "Leads behind “Cohort conversion” · Interest → Consideration" in page
    assert f"Team {team.name}, month of 1 Feb 2026" in page and "handed off" not in page
    back = re.search(r'<a href="([^"]*)" id="back-to-board">', page).group(1).replace("&amp;", "&")
    assert back == f"/metrics/?period=month&start=2026-02-01&team={team.pk}"
    whole = client.get(PAGE).content.decode()
    opened = client.get(link(whole, metric="handoffs_created")).content.decode()
    assert "Leads behind “Handoffs opened”" in opened and "The whole company, month of 1 Feb 2026" in opened
    assert "The number counts handoffs: a lead handed off more than once is listed once." in opened
    assert '<a href="/metrics/?period=month&amp;start=2026-02-01" id="back-to-board">' in opened
    # A drill-down's slice comes from its URL as it is: a value that names nothing is named as given, not a 500.
    odd = link(whole, metric="handoffs_created").replace("dimension=all&value=", "dimension=campaign&value=²")
    assert "Source campaign ², month of 1 Feb 2026" in client.get(odd).content.decode()


def test_every_drillable_metric_has_a_name_people_read():
    from funnel.metrics.choices import METRIC_LABELS
    from funnel.metrics.selectors import drills

    assert set(drills()) <= set(METRIC_LABELS)


def test_refused_filters_stay_chosen_and_days_can_be_picked(people):
    html = browser(people["leader"]).get("/metrics/?team=1&segment=smb").content.decode()
    assert re.search(r'<option value="smb" selected>', html)  # the choice is kept, so one change corrects it
    day = browser(people["leader"]).get("/metrics/?period=day").content.decode()
    assert '<option value="day" selected>Day</option>' in day


def test_the_api_gives_the_pages_numbers_with_the_trend_in_constant_queries(
    february, people, django_assert_max_num_queries
):
    client = browser(people["leader"])
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/dashboard/", {"period_kind": "month", "period_start": "2026-02-01"}).json()
    numbers = {(n["metric"], n["stage"], n["to_stage"]): n for n in body["numbers"]}
    assert numbers[("win_rate", "", "")]["numerator"] == "7.000000"
    assert numbers[("win_rate", "", "")]["denominator"] == "13.000000"
    assert numbers[("closings", "", "")]["value"] == "7.000000"
    assert [t["period_start"] for t in body["trend"]] == ["2026-01-01", "2026-02-01"]
    assert body["computed_at"] and body["history_through_id"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=decade", "is not a period"),
        ("period=month&start=2026-13-45", "is not a date"),
        ("period=month&start=1999-01-01", "between 2000 and today"),
        ("team=1&segment=smb", "one of team, segment, campaign or channel at a time"),
        ("segment=a%00b", "not a value this filter can have"),
        (f"segment={'x' * 100_000}", "not a value this filter can have"),
        ("segment=galactic", "&#x27;galactic&#x27; is not a segment; use one of enterprise, mid_market, smb"),
        ("channel=pigeon", "is not a channel"),
        ("team=abc", "Name the team by its id (a number)"),
        ("team=999999999", "There is no team 999999999."),
        (f"campaign={'9' * 40}", "Name the campaign by its id"),
    ],
)
def test_bad_filters_are_named_on_the_page(people, query, message):
    response = browser(people["leader"]).get(f"/metrics/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_bad_filters_are_named_by_the_api(people):
    client = browser(people["leader"])
    decade = client.get("/api/v1/dashboard/", {"period_kind": "decade"})
    assert decade.status_code == 400 and "period_kind" in decade.json()["errors"]
    bad_day = client.get("/api/v1/dashboard/", {"period_start": "2026-02-30"})
    assert bad_day.status_code == 400 and "period_start" in bad_day.content.decode()
    # The page's own checks answer under this API's parameter names.
    past = client.get("/api/v1/dashboard/", {"period_start": "1999-01-01"}).json()["errors"]
    assert past == {"period_start": ["Pick a period between 2000 and today; 1999-01-01 is outside."]}
    nowhere = client.get("/api/v1/dashboard/", {"campaign": "123456789"}).json()["errors"]
    assert nowhere == {"campaign": ["There is no campaign 123456789."]}
    both = client.get("/api/v1/dashboard/", {"team": "1", "channel": "email"})
    assert both.status_code == 400
    assert both.json()["errors"]["channel"] == [
        "Filter by one of team, segment, campaign or channel at a time, not team and channel."
    ]


def test_a_manager_recomputes_the_period_and_a_rep_may_not(people, django_capture_on_commit_callbacks):
    manager = browser(people["sales_manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post("/metrics/recompute/?period=month&start=2026-02-01", follow=True)
    assert "Recomputing month of 1 Feb 2026" in response.content.decode()
    job = MetricJob.objects.get()
    assert (job.period_starts, job.status) == (["2026-02-01"], "done")  # queued on commit, run eagerly in tests
    rep = browser(people["rep"]).post("/metrics/recompute/?period=month&start=2026-02-01", follow=True)
    assert "Only managers" in rep.content.decode()
    assert MetricJob.objects.count() == 1


def test_the_whole_companys_campaign_return_is_drawn_per_channel_where_the_models_differ(people):
    from decimal import Decimal

    from funnel.metrics.dashboard import Dashboard, Slice, channel_returns
    from funnel.metrics.models import MetricSnapshot, MetricValue
    from funnel.views.dashboard_charts import dashboard_charts

    snapshot = MetricSnapshot.objects.create(period_kind="month", period_start=FEBRUARY.start, period_end=FEBRUARY.end)
    stored = [
        ("channel", "email", "first_touch", "USD", "3.333333"),
        ("channel", "email", "linear", "USD", "2.5"),
        ("channel", "webinar", "linear", "USD", "1"),
        ("channel", "webinar", "linear", "EUR", "0.75"),
        ("campaign", "7", "linear", "USD", "9"),  # another slice: not a channel's bar
        ("all", "", "linear", "USD", "2"),
    ]
    MetricValue.objects.bulk_create(
        MetricValue(snapshot=snapshot, metric="return_on_spend", dimension=d, dimension_value=v, stage=m, to_stage=c,
                    value=Decimal(x))
        for d, v, m, c, x in stored
    )  # fmt: skip
    returns = channel_returns(snapshot)
    assert returns[("email", "linear", "USD")] == Decimal("2.5") and len(returns) == 4
    chart = dashboard_charts(Dashboard(FEBRUARY, Slice(), snapshot, {}), channel_returns=returns)["return"]
    assert chart.headers[:4] == ["", "First touch", "Last touch", "Linear"]
    rows = {row[0]: row[1:4] for row in chart.rows}  # two currencies: each bar says which
    assert rows == {
        "Email (USD)": [Decimal("3.33"), "", Decimal("2.50")],
        "Webinar (EUR)": ["", "", Decimal("0.75")],
        "Webinar (USD)": ["", "", Decimal("1.00")],
    }
