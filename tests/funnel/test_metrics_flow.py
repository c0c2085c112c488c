"""The funnel-flow metrics of February 2026 on the hand-worked scenario (tests/funnel/metrics_scenario.py): every
number below is worked out by hand from the patterns there."""

from datetime import date
from decimal import Decimal

import pytest

from crm.models import Company
from funnel.metrics.compute import snapshot_compute
from funnel.metrics.families import FAMILIES
from funnel.metrics.models import MetricValue
from funnel.metrics.periods import period_of
from funnel.metrics.selectors import metric_leads
from tests.funnel.conftest import move
from tests.funnel.metrics_scenario import build_scenario, feb

FEBRUARY = period_of(kind="month", day=date(2026, 2, 1))
COHORT_PARTS = {"cohort_lost": "lost", "cohort_open": "open", "cohort_recycled": "recycled"}


@pytest.fixture
def february(people):
    leads = build_scenario(people)
    return leads, snapshot_compute(period=FEBRUARY, families=FAMILIES)


def rows(snapshot, dimension="all", value="") -> dict:
    found = MetricValue.objects.filter(snapshot=snapshot, dimension=dimension, dimension_value=value)
    return {(r.metric, r.stage, r.to_stage): r for r in found}


def number(row) -> Decimal:
    return row.value.quantize(Decimal("0.0001"))


def check_entries_cohorts_and_flow(snapshot):
    got = rows(snapshot)
    entered = {stage: int(got["entered", stage, ""].value) for _, stage, to in got if _ == "entered"}
    assert entered == {
        "awareness": 7,  # P6, P7, P8 captured in February
        "interest": 21,  # 17 on Feb 3, P6 and P7 (P7 twice, counted once)
        "consideration": 15,
        "intent": 10,
        "evaluation": 7,  # P1, P6, P11 and P9 (Feb 2)
        "purchase": 7,
        "lost": 6,
        "nurture": 5,
    }
    conversion = got["cohort_conversion", "interest", "consideration"]
    assert (conversion.numerator, conversion.denominator) == (15, 21)
    to_purchase = got["cohort_conversion", "interest", "purchase"]
    assert (to_purchase.numerator, to_purchase.denominator) == (6, 21)
    assert number(to_purchase) == Decimal("0.2857")
    assert to_purchase.detail == {
        "kind": "cohort", "lost": 6, "recycled": 3, "open": 6, "immature": False, "mature_on": "2026-03-31",
    }  # fmt: skip
    assert not {m for m, *_ in got} & {"cohort_reached", "cohort_lost", "cohort_recycled", "cohort_open"}  # in detail
    assert got["cohort_conversion", "consideration", "intent"].numerator == 10
    assert got["cohort_conversion", "consideration", "intent"].denominator == 15
    assert got["cohort_conversion", "evaluation", "purchase"].value == 1  # all seven bought
    from_awareness = got["cohort_conversion", "awareness", "purchase"]
    assert (from_awareness.numerator, from_awareness.detail["open"]) == (2, 5)
    flow = got["flow_conversion", "awareness", "interest"]
    assert (flow.numerator, flow.denominator, flow.value, flow.detail) == (21, 7, 3, {"kind": "flow"})  # above 1
    assert number(got["flow_conversion", "interest", "consideration"]) == Decimal("0.7143")


def check_times_velocity_wins_customers_and_money(snapshot):
    got = rows(snapshot)
    # Interest passes that left in February: 1, 2×6, 7×3, 8×4, 9×3, 22×2 days (19 passes).
    assert (got["time_in_stage_median", "interest", ""].value, number(got["time_in_stage_p90", "interest", ""])) == (
        7,
        Decimal("11.6000"),
    )
    assert got["time_in_stage_median", "interest", ""].denominator == 19
    assert (
        got["time_in_stage_median", "consideration", ""].value,
        got["time_in_stage_p90", "consideration", ""].value,
    ) == (3, 8)
    assert got["time_in_stage_median", "awareness", ""].value == 24
    # Awareness to purchase: 22, 22, 41, 41, 41, 41, 43 days.
    assert got["velocity_median", "awareness", "purchase"].value == 41
    assert number(got["velocity_p90", "awareness", "purchase"]) == Decimal("41.8000")
    win = got["win_rate", "", ""]
    assert (win.numerator, win.denominator, number(win)) == (7, 13, Decimal("0.5385"))
    assert [int(got[m, "", ""].value) for m in ("closings", "closed_lost", "new_customers")] == [7, 6, 5]
    assert (got["revenue", "", "USD"].value, got["revenue", "", "EUR"].value) == (35000, 10000)
    assert (got["gross_margin", "", "USD"].value, got["gross_margin", "", "EUR"].value) == (13400, 3000)
    per_customer = got["gross_margin_per_customer", "", "USD"]
    assert (per_customer.value, per_customer.numerator, per_customer.denominator) == (3350, 13400, 4)
    assert got["gross_margin_per_customer", "", "EUR"].value == 1500


def check_by_owner_and_source(snapshot, people):
    rep = rows(snapshot, "owner", str(people["rep"].pk))
    assert int(rep["entered", "interest", ""].value) == 4  # P1 ×3 and P11
    assert (rep["win_rate", "", ""].numerator, rep["win_rate", "", ""].denominator) == (5, 5)
    assert rep["revenue", "", "USD"].value == 35000
    marketing = rows(snapshot, "source", "marketing")
    assert int(marketing["entered", "awareness", ""].value) == 4  # P6 and P7 came through the campaign
    assert int(rows(snapshot, "source", "sales")["entered", "interest", ""].value) == 17


@pytest.mark.django_db
def test_each_number_drills_down_to_exactly_the_leads_it_counted(february, people):
    leads, snapshot = february
    admin = people["admin"]
    checks = [
        ("entered", "interest", "", "all", "", "value"),
        ("entered", "nurture", "", "all", "", "value"),
        ("cohort_lost", "interest", "purchase", "all", "", "value"),
        ("cohort_open", "interest", "purchase", "all", "", "value"),
        ("cohort_recycled", "consideration", "purchase", "all", "", "value"),
        ("cohort_conversion", "interest", "purchase", "all", "", "numerator"),
        ("cohort_conversion", "interest", "purchase", "all", "", "denominator"),
        ("flow_conversion", "awareness", "interest", "source", "marketing", "numerator"),
        ("flow_conversion", "awareness", "interest", "source", "marketing", "denominator"),
        ("win_rate", "", "", "all", "", "denominator"),
        ("new_customers", "", "", "all", "", "value"),
        ("closings", "", "", "owner", str(people["rep"].pk), "value"),
        ("time_in_stage_median", "interest", "", "all", "", None),
    ]
    for metric, stage, to_stage, dimension, value, part in checks:
        part_of = COHORT_PARTS.get(metric)
        row = MetricValue.objects.get(
            snapshot=snapshot, metric="cohort_conversion" if part_of else metric, stage=stage, to_stage=to_stage,
            dimension=dimension, dimension_value=value,
        )  # fmt: skip
        if part_of:  # a part of a cohort has no row: its number is in the conversion row's detail
            row.value = row.detail[part_of]
        behind = metric_leads(
            user=admin, snapshot=snapshot, metric=metric, stage=stage, to_stage=to_stage, dimension=dimension,
            dimension_value=value, denominator=part == "denominator",
        )  # fmt: skip
        expected = {"value": row.value, "numerator": row.numerator, "denominator": row.denominator, None: 17}[part]
        assert behind.count() == expected, (metric, stage, to_stage, part)
    new = metric_leads(user=admin, snapshot=snapshot, metric="new_customers")
    assert sorted(new.values_list("last_name", flat=True)) == ["P1-1", "P1-2", "P6-0", "P6-1", "P9-0"]
    # The funnel moves on after the snapshot: its numbers still drill down to the leads they counted.
    move(leads["P5"][0], "consideration", admin, at=feb(28))
    assert metric_leads(user=admin, snapshot=snapshot, metric="entered", stage="consideration").count() == 15
    later = snapshot_compute(period=FEBRUARY, families=FAMILIES)
    assert metric_leads(user=admin, snapshot=later, metric="entered", stage="consideration").count() == 16


def drill_page(client, **params) -> list[dict]:
    """Every lead of a drill-down, following the cursor from page to page."""
    query = {"period_kind": "month", "period_start": "2026-02-01", "page_size": 10, **params}
    body = client.get("/api/v1/metrics/leads/", query).json()
    found = body["results"]
    while body["next"]:
        body = client.get(body["next"]).json()
        found += body["results"]
    assert len(found) == body["count"]
    return found


@pytest.mark.django_db
def test_the_api_lists_numbers_with_their_freshness_and_a_rep_drills_down_to_the_leads_they_see(february, api, people):
    listed = api(people["sales_manager"]).get(
        "/api/v1/metrics/",
        {"period_kind": "month", "period_start": "2026-02-01", "metric": "entered", "stage": "interest"},
    )
    assert listed.status_code == 200
    [row] = [r for r in listed.json()["results"] if r["dimension"] == "all"]
    assert (row["value"], row["period_end"]) == ("21.000000", "2026-03-01")
    assert (
        row["computed_at"] and row["history_through_at"] == "2026-02-22T12:00:00Z"
    )  # P11's purchase, the last move written
    everyone = drill_page(api(people["admin"]), metric="entered", stage="interest")
    assert len(everyone) == 21
    mine = drill_page(api(people["rep"]), metric="entered", stage="interest")
    assert sorted(lead["last_name"] for lead in mine) == ["P1-0", "P1-1", "P1-2", "P11-0"]
    lost = drill_page(api(people["marketer"]), metric="win_rate", part="denominator")
    assert len(lost) == 13


@pytest.mark.django_db
def test_february_metrics_match_the_hand_worked_numbers_and_a_rerun_gives_identical_rows(february, people):
    _, snapshot = february
    check_entries_cohorts_and_flow(snapshot)
    check_times_velocity_wins_customers_and_money(snapshot)
    check_by_owner_and_source(snapshot, people)
    fields = ("metric", "stage", "to_stage", "dimension", "dimension_value", "value", "numerator", "denominator")
    before = sorted(MetricValue.objects.filter(snapshot=snapshot).values_list(*fields, "detail"), key=str)
    again = snapshot_compute(period=FEBRUARY, families=FAMILIES)
    assert again.pk == snapshot.pk
    assert sorted(MetricValue.objects.filter(snapshot=snapshot).values_list(*fields, "detail"), key=str) == before
    assert len(before) > 300


@pytest.mark.django_db
def test_the_company_slice_names_key_accounts_one_by_one_and_holds_every_other_lead_under_blank(people):
    build_scenario(people)
    key = Company.objects.get(domain="p1-0.example")  # P1's first copy and P9
    Company.objects.filter(pk=key.pk).update(is_key_account=True, key_account_tier=1)
    snapshot = snapshot_compute(period=FEBRUARY, families=FAMILIES)
    values = set(
        MetricValue.objects.filter(snapshot=snapshot, dimension="company").values_list("dimension_value", flat=True)
    )
    assert values == {str(key.pk), ""}  # 17 other companies, none sliced
    account, rest, whole = rows(snapshot, "company", str(key.pk)), rows(snapshot, "company", ""), rows(snapshot)
    assert int(account["closings", "", ""].value) == 2  # P9 on Feb 12, P1-0 on Feb 20
    assert int(account["new_customers", "", ""].value) == 1  # the account's first purchase, P9's
    assert account["revenue", "", "USD"].value == 12000
    assert int(rest["closings", "", ""].value) == int(whole["closings", "", ""].value) - 2 == 5
    for stage in ("interest", "consideration", "purchase"):
        split = sum(int(r["entered", stage, ""].value) for r in (account, rest) if ("entered", stage, "") in r)
        assert split == int(whole["entered", stage, ""].value), stage
