"""The handoff and money metric families on a hand-worked March 2026: every figure below was worked out by hand
from the rows the scenario writes (see the comments), then checked against the snapshot and its drill-downs."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accounts.choices import Function
from crm.models import Campaign, CampaignSpend, Company, Touch
from funnel.attribution.models import AttributionCredit, Purchase
from funnel.attribution.weights import FIRST, LAST, LINEAR, MODELS
from funnel.metrics.compute import snapshot_compute
from funnel.metrics.families.handoffs import handoff_family, handoff_leads
from funnel.metrics.families.money import money_family, money_leads
from funnel.metrics.models import SalesExpense, StageSpan
from funnel.metrics.periods import period_of
from funnel.models import Handoff, Transition
from leads.models import Lead
from tests.accounts.factories import TeamFactory

MARCH = period_of(kind="month", day=date(2026, 3, 1))
MQL_USED = [{"code": "MQL", "version_id": 1, "number": 1}]


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def lead(name: str, created: datetime, campaign=None, company=None) -> Lead:
    return Lead.objects.create(
        last_name=name,
        owning_function=Function.MARKETING,
        stage_entered_at=created,
        created_at=created,
        source_campaign=campaign,
        company=company,
    )


def handoff(to_lead, to, team, created, due, decided=None, status="pending", **more) -> Handoff:
    transition = Transition.objects.create(lead=to_lead, to_stage="intent", occurred_at=created)
    return Handoff.objects.create(
        lead=to_lead,
        transition=transition,
        from_function=more.pop("from_function", Function.MARKETING),
        to_function=more.pop("to_function", Function.SALES),
        to_owner=to,
        to_team=team,
        created_at=created,
        accept_due_at=due,
        decided_at=decided,
        status=status,
        **more,
    )


@pytest.fixture
def march(people, teams):
    rep, rep2, marketer = people["rep"], people["rep2"], people["marketer"]
    sales, marketing = teams["sales"], teams["marketing"]
    east = TeamFactory(name="Sales East", function=Function.SALES)
    a = Campaign.objects.create(name="A", channel="webinar", currency="USD")
    b = Campaign.objects.create(name="B", channel="email", currency="EUR")
    c1 = Company.objects.create(name="C1")
    leads = {
        1: lead("L1", at(3, 2), a, c1),
        2: lead("L2", at(3, 3), a),
        3: lead("L3", at(3, 5), b),
        4: lead("L4", at(3, 10)),
        5: lead("L5", at(2, 20), a, c1),
        6: lead("L6", at(3, 12)),
        7: lead("L7", at(2, 27)),
        8: lead("L8", at(3, 30)),
    }
    # Handoffs: hours to accept 2, 10, 12 and 48; two rejections; one still pending past its due time.
    handoff(leads[1], rep, sales, at(3, 2), at(3, 2, 17), at(3, 2, 11), "accepted",
            first_touch_due_at=at(3, 3), first_touched_at=at(3, 2, 15))  # fmt: skip
    handoff(leads[2], rep2, sales, at(3, 3), at(3, 3, 13), at(3, 3, 19), "accepted",
            first_touch_due_at=at(3, 4), first_touched_at=at(3, 5))  # fmt: skip
    handoff(leads[3], rep, sales, at(3, 5, 8), at(3, 5, 16), at(3, 5, 12), "rejected",
            reject_reason_id="no_budget", first_touch_due_at=at(3, 6, 8))  # fmt: skip
    handoff(leads[4], rep, sales, at(3, 10, 10), at(3, 11, 10), at(3, 12, 10), "rejected",
            reject_reason_id="bad_timing")  # fmt: skip
    handoff(leads[6], rep2, sales, at(3, 20), at(3, 20, 17))
    handoff(leads[5], marketer, marketing, at(3, 15), at(3, 16), at(3, 15, 21), "accepted",
            from_function=Function.SALES, to_function=Function.MARKETING)  # fmt: skip
    handoff(leads[7], rep, sales, at(2, 27, 10), at(3, 2), at(3, 1, 10), "accepted")
    handoff(leads[8], rep2, sales, at(3, 30, 15), at(4, 1))
    # MQL: L1 and L3 first in March; L5 already in February; L2 only in April.
    for n, when in ((1, at(3, 4)), (3, at(3, 6)), (5, at(2, 22)), (5, at(3, 15)), (2, at(4, 2))):
        Transition.objects.create(
            lead=leads[n], to_stage="consideration", occurred_at=when, definition_versions=MQL_USED
        )
    # Purchases: L1 (C1's first) and L3 are new customers; L5 buys for C1 again.
    purchases = {}
    for n, when, team, revenue, currency, sql_at in (
        (1, at(3, 25), sales, "10000", "USD", at(3, 22)),
        (5, at(3, 28), sales, "4000", "USD", None),
        (3, at(3, 29), east, "3000", "EUR", at(3, 27)),
    ):
        move = Transition.objects.create(lead=leads[n], to_stage="purchase", occurred_at=when)
        StageSpan.objects.create(lead=leads[n], stage="purchase", entered_at=when, opened_by=move, team=team)
        purchases[n] = Purchase.objects.create(
            lead=leads[n], transition=move, revenue=Decimal(revenue), currency=currency,
            lead_created_at=leads[n].created_at, sql_at=sql_at, purchased_at=when,
        )  # fmt: skip
    touches = {
        key: Touch.objects.create(lead=leads[n], campaign=c, kind="visit", occurred_at=when, recorded_by=marketer)
        for key, n, c, when in (("1a", 1, a, at(3, 1)), ("1b", 1, b, at(3, 21)), ("5a", 5, a, at(2, 15)),
                                ("3b", 3, b, at(3, 4)))
    }  # fmt: skip
    for model, touch, purchase, amount in (
        (FIRST, "1a", 1, "10000"), (LINEAR, "1a", 1, "5000"), (LINEAR, "1b", 1, "5000"), (LAST, "1b", 1, "10000"),
        (FIRST, "5a", 5, "4000"), (LINEAR, "5a", 5, "4000"), (LAST, "5a", 5, "4000"),
        (FIRST, "3b", 3, "3000"), (LINEAR, "3b", 3, "3000"), (LAST, "3b", 3, "3000"),
    ):  # fmt: skip
        t = touches[touch]
        AttributionCredit.objects.create(
            purchase=purchases[purchase], model=model, touch=t, campaign_id=t.campaign_id, share=1,
            revenue=Decimal(amount), gross_margin=0,
        )  # fmt: skip
    manager = people["sales_manager"]
    for campaign, day, amount in ((a, date(2026, 3, 3), 1000), (a, date(2026, 3, 20), 500), (a, date(2026, 2, 27), 700),
                                  (b, date(2026, 3, 8), 600)):  # fmt: skip
        CampaignSpend.objects.create(
            campaign=campaign, spent_on=day, amount=amount, currency=campaign.currency, recorded_by=manager
        )
    for team, day, amount, currency in ((sales, date(2026, 3, 5), 2000, "USD"), (sales, date(2026, 2, 28), 999, "USD"),
                                        (east, date(2026, 3, 9), 300, "EUR")):  # fmt: skip
        SalesExpense.objects.create(team=team, spent_on=day, amount=amount, currency=currency, recorded_by=manager)
    return {"leads": leads, "a": a, "b": b, "east": east}


def values(snapshot) -> dict:
    rows = snapshot.values.values_list("metric", "stage", "to_stage", "dimension", "dimension_value", "value")
    return {tuple(key): value for *key, value in rows}


def d(text: str) -> Decimal:
    return Decimal(text)


def test_handoff_metrics_of_the_hand_worked_month(march, people, teams):
    snapshot = snapshot_compute(period=MARCH, families=[handoff_family])
    got = values(snapshot)
    rep, rep2, sales, marketing = people["rep"].pk, people["rep2"].pk, teams["sales"].pk, teams["marketing"].pk
    everyone = ("", "", "all", "")
    expected = {
        # 7 opened in March (not the one of 27 February); 4 accepted (2 h, 10 h, 12 h, 48 h), 2 rejected.
        ("handoffs_created", *everyone): d("7"),
        ("handoffs_accepted", *everyone): d("4"),
        ("handoffs_rejected", *everyone): d("2"),
        ("handoff_acceptance_rate", *everyone): d("0.666667"),
        ("handoff_accept_hours_median", *everyone): d("11"),
        ("handoff_accept_hours_p90", *everyone): d("37.2"),  # 12 + 0.7 × (48 − 12)
        # Accept clocks due in March: 7 (the pending one past due counts missed, 1 April's does not); in time:
        # the 2 h acceptance, the rejection at noon, the evening acceptance and the early one of 1 March.
        ("sla_accept_compliance", *everyone): d("0.571429"),
        # First-touch clocks: touched in time, touched a day late, answered by a rejection before due.
        ("sla_first_touch_compliance", *everyone): d("0.666667"),
        ("handoffs_created", "marketing", "sales", "all", ""): d("6"),
        ("handoffs_accepted", "marketing", "sales", "all", ""): d("3"),
        ("handoff_accept_hours_median", "marketing", "sales", "all", ""): d("10"),
        ("sla_accept_compliance", "marketing", "sales", "all", ""): d("0.5"),
        ("handoffs_created", "sales", "marketing", "all", ""): d("1"),
        ("handoff_accept_hours_median", "sales", "marketing", "all", ""): d("12"),
        ("sla_accept_compliance", "sales", "marketing", "all", ""): d("1"),
        ("handoffs_created", "", "", "owner", str(rep)): d("3"),
        ("handoffs_accepted", "", "", "owner", str(rep)): d("2"),
        ("handoffs_rejected", "", "", "owner", str(rep)): d("2"),
        ("sla_accept_compliance", "", "", "owner", str(rep)): d("0.75"),
        ("handoffs_created", "", "", "owner", str(rep2)): d("3"),
        ("sla_accept_compliance", "", "", "owner", str(rep2)): d("0"),
        ("handoffs_created", "", "", "team", str(sales)): d("6"),
        ("sla_accept_compliance", "", "", "team", str(marketing)): d("1"),
        ("handoffs_created", "", "", "campaign", str(march["a"].pk)): d("3"),  # L1, L2 and L5
    }
    assert {key: got.get(key) for key in expected} == expected
    rejected = snapshot.values.get(metric="handoffs_rejected", stage="", dimension="all")
    assert rejected.detail == {"reasons": {"no_budget": 1, "bad_timing": 1}}
    leads = march["leads"]
    counted = handoff_leads(metric="sla_accept_compliance", period=MARCH)
    in_time = handoff_leads(metric="sla_accept_compliance", period=MARCH, numerator=True)
    assert set(counted) == {leads[n] for n in (1, 2, 3, 4, 5, 6, 7)}
    assert set(in_time) == {leads[n] for n in (1, 3, 5, 7)}
    by_reason = handoff_leads(
        metric="handoffs_rejected", period=MARCH, dimension="owner", value=str(rep), reason="no_budget"
    )
    assert list(by_reason) == [leads[3]]
    assert handoff_leads(metric="handoffs_created", period=MARCH, stage="sales").get() == leads[5]


def test_money_metrics_of_the_hand_worked_month(march, teams):
    snapshot = snapshot_compute(period=MARCH, families=[money_family])
    got = values(snapshot)
    a, b, east, sales = str(march["a"].pk), str(march["b"].pk), str(march["east"].pk), str(teams["sales"].pk)
    expected = {
        # Costs: USD 1,500 of campaign A + 2,000 of sales = 3,500; EUR 600 of campaign B + 300 of Sales East.
        # 6 leads created in March, 2 first MQLs (L1, L3), 2 new customers (L1 for C1, L3; L5 is C1 again).
        ("cost_per_lead", "", "USD", "all", ""): d("583.333333"),
        ("cost_per_lead", "", "EUR", "all", ""): d("150"),
        ("cost_per_mql", "", "USD", "all", ""): d("1750"),
        ("cost_per_mql", "", "EUR", "all", ""): d("450"),
        ("cost_per_customer", "", "USD", "all", ""): d("1750"),
        ("cost_per_customer", "", "EUR", "all", ""): d("450"),
        ("cost_per_lead", "", "USD", "campaign", a): d("750"),  # 1,500 over L1 and L2
        ("cost_per_mql", "", "USD", "campaign", a): d("1500"),
        ("cost_per_customer", "", "USD", "campaign", a): d("1500"),
        ("cost_per_lead", "", "EUR", "channel", "email"): d("600"),
        # Return: A's USD credits on March purchases over A's 1,500 (last touch gave P1 to B, in EUR: left out).
        ("return_on_spend", FIRST, "USD", "all", ""): d("9.333333"),
        ("return_on_spend", LINEAR, "USD", "all", ""): d("6"),
        ("return_on_spend", LAST, "USD", "all", ""): d("2.666667"),
        ("return_on_spend", "time_decay", "USD", "all", ""): d("0"),
        ("return_on_spend", FIRST, "EUR", "campaign", b): d("5"),
        ("return_on_spend", LINEAR, "USD", "channel", "webinar"): d("6"),
        # Sourced = first-touch credits; influenced = a touch before SQL (before purchase without one).
        ("marketing_sourced_revenue", "", "USD", "all", ""): d("14000"),
        ("marketing_sourced_revenue", "", "EUR", "all", ""): d("3000"),
        ("marketing_sourced_revenue", "", "USD", "campaign", a): d("14000"),
        ("marketing_sourced_revenue", "", "USD", "campaign", b): None,
        ("marketing_influenced_revenue", "", "USD", "all", ""): d("14000"),
        ("marketing_influenced_revenue", "", "USD", "campaign", b): d("10000"),  # B's touch of 21 March < SQL
        ("marketing_influenced_revenue", "", "EUR", "channel", "email"): d("3000"),
        # Sales expense to sales: 2,000 ÷ 14,000 in USD, 300 ÷ 3,000 in EUR; per team the same split.
        ("sales_expense_to_sales", "", "USD", "all", ""): d("0.142857"),
        ("sales_expense_to_sales", "", "EUR", "all", ""): d("0.1"),
        ("sales_expense_to_sales", "", "USD", "team", sales): d("0.142857"),
        ("sales_expense_to_sales", "", "EUR", "team", east): d("0.1"),
    }
    assert {key: got.get(key) for key in expected} == expected
    assert {stage for metric, stage, *_ in got if metric == "return_on_spend"} == set(MODELS)
    leads = march["leads"]
    assert set(money_leads(metric="cost_per_lead", period=MARCH)) == {leads[n] for n in (1, 2, 3, 4, 6, 8)}
    assert set(money_leads(metric="cost_per_mql", period=MARCH, dimension="campaign", value=a)) == {leads[1]}
    assert set(money_leads(metric="cost_per_customer", period=MARCH)) == {leads[1], leads[3]}
    influenced_by_b = money_leads(
        metric="marketing_influenced_revenue", period=MARCH, dimension="campaign", value=b, to_stage="USD"
    )
    assert set(influenced_by_b) == {leads[1]}
    assert set(money_leads(metric="sales_expense_to_sales", period=MARCH, dimension="team", value=east)) == {leads[3]}
    # A rerun gives the same rows.
    assert values(snapshot_compute(period=MARCH, families=[money_family])) == got
