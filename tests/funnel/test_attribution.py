"""Attribution: each model's split on a hand-worked path, milestones from the transition history, and a
campaign's return on that example."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from crm.models import Campaign, CampaignSpend, Touch
from funnel.attribution import weights
from funnel.attribution.models import AttributionCredit, Purchase
from funnel.attribution.selectors import campaign_performance, channel_performance
from funnel.attribution.services import purchase_attribute
from leads.models import Lead
from tests.funnel.conftest import move

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


# Five touches a week apart; the lead is created on day 8, meets SQL on day 22 and buys on day 28.
PATH = [weights.TouchAt(n + 1, day(7 * n)) for n in range(5)]
MILESTONES = weights.Milestones(lead_created_at=day(8), opportunity_at=day(22), purchased_at=day(28))


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (weights.FIRST, ["10000.00", "0", "0", "0", "0"]),
        (weights.LAST, ["0", "0", "0", "0", "10000.00"]),
        (weights.LINEAR, ["2000.00"] * 5),
        # 40 % first, 40 % the lead-creation touch (the last before day 8: touch 2), 20 % over the other three.
        (weights.U_SHAPED, ["4000.00", "4000.00", "666.67", "666.67", "666.66"]),
        # 30 % first, creation and opportunity (the last touch before SQL on day 22: touch 4), 10 % over the rest.
        (weights.W_SHAPED, ["3000.00", "3000.00", "500.00", "3000.00", "500.00"]),
        # 22.5 % first, creation, opportunity and closed-won (touch 5), 10 % to the one touch left.
        (weights.FULL_PATH, ["2250.00", "2250.00", "1000.00", "2250.00", "2250.00"]),
        # Ages 28, 21, 14, 7, 0 days with a 7-day half-life: weights 1/16 … 1, so 1/31, 2/31, 4/31, 8/31, 16/31.
        (weights.TIME_DECAY, ["322.58", "645.16", "1290.32", "2580.65", "5161.29"]),
    ],
)
def test_each_model_splits_the_hand_worked_path(model, expected):
    shares = weights.split(model, PATH, MILESTONES)
    assert sum(shares.values()) == 1
    credit = weights.allocate(Decimal("10000.00"), shares)
    assert [str(credit.get(t.id, "0")) for t in PATH] == expected
    assert sum(credit.values()) == Decimal("10000.00")


def test_one_touch_takes_everything_and_two_milestone_touches_split_u_shaped_credit_in_half():
    one = [weights.TouchAt(1, day(0))]
    assert all(weights.split(m, one, MILESTONES) == {1: 1} for m in weights.MODELS)
    two = [weights.TouchAt(1, day(0)), weights.TouchAt(2, day(8))]
    assert weights.split(weights.U_SHAPED, two, MILESTONES) == {1: Fraction(1, 2), 2: Fraction(1, 2)}


def test_without_an_opportunity_milestone_w_shaped_passes_its_share_to_the_other_roles():
    no_sql = weights.Milestones(lead_created_at=day(8), opportunity_at=None, purchased_at=day(28))
    shares = weights.split(weights.W_SHAPED, PATH, no_sql)
    # first and creation take 45 % each; the 10 % is spread over the other three.
    assert [shares[t.id] for t in PATH] == [Fraction(9, 20), Fraction(9, 20), *[Fraction(1, 30)] * 3]


def test_touches_after_the_purchase_are_not_credited():
    late = [*PATH, weights.TouchAt(6, day(30))]
    assert 6 not in weights.split(weights.LINEAR, late, MILESTONES)


@pytest.fixture
def bought(people, make_lead, signed, rule, django_capture_on_commit_callbacks):
    """The hand-worked path for real: touches by campaigns A, B, A, C, B; MQL on day 15, SQL on day 22, a
    $10,000 purchase with $4,000 margin on day 28; A spent $2,000 and B $8,000."""
    signed("MQL", {"conditions": [{"field": "title", "op": "present"}]})
    signed("SQL", {"conditions": [{"field": "expected_value", "op": "present"}]})
    rule("MQL first", to_stages=["consideration"], preconditions=[{"kind": "definition_met", "level": "MQL"}])
    rule("SQL first", to_stages=["evaluation"], preconditions=[{"kind": "definition_met", "level": "SQL"}])
    a, b, c = (
        Campaign.objects.create(name=name, channel=channel, starts_on=T0.date())
        for name, channel in (("A webinar", "webinar"), ("B search", "paid_search"), ("C event", "event"))
    )
    lead = make_lead(title="CFO", expected_value=Decimal("10000"), gross_margin=Decimal("4000"))
    Lead.objects.filter(pk=lead.pk).update(created_at=day(8))
    for n, campaign in enumerate((a, b, a, c, b)):
        Touch.objects.create(
            lead=lead, campaign=campaign, kind="visit", occurred_at=day(7 * n), recorded_by=people["admin"]
        )
    for stage, when in (("interest", 9), ("consideration", 15), ("intent", 16), ("evaluation", 22)):
        move(lead, stage, people["admin"], at=day(when))
    with django_capture_on_commit_callbacks(execute=True):
        move(lead, "purchase", people["admin"], at=day(28))
    CampaignSpend.objects.create(
        campaign=a, spent_on=T0.date(), amount=2000, currency="USD", recorded_by=people["admin"]
    )
    CampaignSpend.objects.create(
        campaign=b, spent_on=T0.date(), amount=8000, currency="USD", recorded_by=people["admin"]
    )
    return lead


@pytest.mark.django_db
def test_a_purchase_records_its_milestones_from_the_transitions_and_credits_campaigns_with_their_return(bought):
    purchase = Purchase.objects.get(lead=bought)
    assert (purchase.mql_at, purchase.sql_at, purchase.purchased_at) == (day(15), day(22), day(28))
    assert (purchase.revenue, purchase.gross_margin) == (Decimal("10000.00"), Decimal("4000.00"))
    assert AttributionCredit.objects.filter(purchase=purchase).count() == 1 + 1 + 5 + 5 + 5 + 5 + 5
    assert purchase_attribute(purchase_id=purchase.pk) == 27  # rerun: the same credits, not twice as many
    rows = {row.name: row for row in campaign_performance(model=weights.LINEAR)}
    assert (rows["A webinar"].revenue, rows["B search"].revenue, rows["C event"].revenue) == (4000, 4000, 2000)
    assert rows["A webinar"].gross_margin == 1600
    assert (rows["A webinar"].return_on_spend, rows["B search"].return_on_spend) == (Decimal("2.00"), Decimal("0.50"))
    assert rows["C event"].return_on_spend is None  # nothing spent: no ratio, not infinity
    assert (rows["A webinar"].leads, rows["A webinar"].mqls, rows["A webinar"].sqls, rows["A webinar"].customers) == (
        1,
        1,
        1,
        1,
    )
    assert rows["A webinar"].cost_per_customer == Decimal("2000.00")
    # Sourced: the first touch was A's. Influenced: A, B and C all touched the lead before SQL on day 22.
    assert [rows[n].sourced_revenue for n in ("A webinar", "B search", "C event")] == [10000, 0, 0]
    assert [rows[n].influenced_revenue for n in ("A webinar", "B search", "C event")] == [10000, 10000, 10000]
    w_shaped = {row.name: row.revenue for row in campaign_performance(model=weights.W_SHAPED)}
    assert w_shaped == {"A webinar": Decimal("3500.00"), "B search": Decimal("3500.00"), "C event": Decimal("3000.00")}
    for row in rows.values():  # a campaign's page reads its own row: the same numbers as the full report
        assert campaign_performance(model=weights.LINEAR, campaign_id=row.campaign) == [row]
    by_channel = {row.channel: row.revenue for row in channel_performance(list(rows.values()))}
    assert by_channel == {"event": 2000, "paid_search": 4000, "webinar": 4000}
    # A second webinar budgeted in euros gets its own channel row: dollars and euros are never added up.
    euro = replace(rows["A webinar"], campaign=None, name="D euro webinar", currency="EUR", budget=Decimal(900))
    channels = [(r.channel, r.currency, r.budget, r.revenue) for r in channel_performance([*rows.values(), euro])]
    assert [c for c in channels if c[0] == "webinar"] == [
        ("webinar", "EUR", Decimal(900), 4000),
        ("webinar", "USD", rows["A webinar"].budget or 0, 4000),
    ]


@pytest.mark.django_db
def test_the_performance_report_over_the_api_and_its_bad_queries(bought, people, client_for):
    client = client_for(people["marketer"])
    report = client.get("/api/v1/campaign-performance/", {"model": "w_shaped"}).json()
    assert [(row["name"], row["revenue"]) for row in report["campaigns"]] == [
        ("A webinar", "3500.00"),
        ("B search", "3500.00"),
        ("C event", "3000.00"),
    ]
    assert report["campaigns"][0]["return_on_spend"] == "1.75"
    later = client.get("/api/v1/campaign-performance/", {"since": "2026-02-01"}).json()
    assert [row["revenue"] for row in later["campaigns"]] == ["0.00"] * 3  # the purchase was in January
    for query, field in (
        ({"model": "gut_feeling"}, "model"),
        ({"since": "2026-02-30"}, "since"),
        ({"since": "2026-03-01", "until": "2026-02-01"}, "until"),
        ({"until": "9" * 1000}, "until"),
    ):
        response = client.get("/api/v1/campaign-performance/", query)
        assert response.status_code == 400, query
        assert field in response.json()["errors"]
