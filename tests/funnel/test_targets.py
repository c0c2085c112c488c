"""The shared target: REFERENCE §6's reverse funnel by hand, two-sided sign-off (allowed, forbidden, repeated),
supersede and the one-active index, splits that must add up, and a hand-worked scenario whose attainment,
forecast, reverse funnel and metric row are written out below."""

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from funnel.exceptions import NotAllowed, NotPending
from funnel.metrics.compute import snapshot_compute
from funnel.metrics.models import MetricValue
from funnel.metrics.periods import period_of
from funnel.targets import reverse, selectors
from funnel.targets.choices import LeadSet
from funnel.targets.family import target_attainment
from funnel.targets.models import RevenueTarget
from funnel.targets.services import Split, target_propose, target_sign_off, target_withdraw
from tests.funnel.target_scenario import build_target_history

Q1 = date(2026, 1, 1)


def test_reference_worked_example_ten_million_rounds_up_at_every_step():
    # $10M ÷ $100k = 100 wins; ÷ 10 % = 1,000 SQOs; ÷ 40 % = 2,500 SALs; ÷ 80 % = 3,125 MQLs; ÷ 10 % = 31,250.
    steps = [
        reverse.Step("sqo", Fraction(1, 10), 61),  # 2 months SQO → win
        reverse.Step("sal", Fraction(2, 5), 30),  # 1 month SAL → SQO
        reverse.Step("mql", Fraction(4, 5), 0),
        reverse.Step("inquiry", Fraction(1, 10), 91),  # 3 months inquiry → MQL
    ]
    plan = reverse.needs(remaining=Decimal(10_000_000), average_deal=Decimal(100_000), steps=steps)
    assert [(n.name, n.count) for n in plan] == [
        ("purchase", 100),
        ("sqo", 1000),
        ("sal", 2500),
        ("mql", 3125),
        ("inquiry", 31250),
    ]
    assert plan[-1].lag_weeks == 26  # ~6 months before the revenue
    # Ceil at every step: one dollar more is a 101st win, and 1,010 SQOs, 2,525 SALs, 3,157 MQLs, 31,570 inquiries.
    more = reverse.needs(remaining=Decimal(10_000_001), average_deal=Decimal(100_000), steps=steps)
    assert [n.count for n in more] == [101, 1010, 2525, 3157, 31570]
    # A rate nobody has history for stops the plan there instead of dividing by zero.
    unknown = reverse.needs(remaining=Decimal(10), average_deal=Decimal(3), steps=[reverse.Step("sql", None, 5)])
    assert [n.count for n in unknown] == [4, None]


def test_short_by_rounds_the_shortfall_up_not_what_the_funnel_holds():
    assert reverse.short_by(7, Fraction(74, 31)) == 5  # 7 − 2.39 = 4.61: five purchases still to find, not 4
    assert [reverse.short_by(7, Fraction(held)) for held in (7, 9, 0)] == [0, 0, 7]


def test_weekly_plan_keeps_every_total_and_folds_overdue_weeks_into_this_one():
    plan = [reverse.Need("purchase", 4, 0), reverse.Need("sql", 7, 1)]
    weeks = reverse.by_week(
        plan=plan, first_week=date(2026, 2, 16), last_week=date(2026, 3, 30), this_week=date(2026, 2, 16)
    )
    assert [w["purchase"] for w in weeks] == [1, 1, 1, 1, 0, 0, 0]
    assert [w["sql"] for w in weeks] == [2, 1, 1, 1, 1, 1, 0]
    assert weeks[0]["overdue"] == {"sql": 1}


@pytest.fixture
def managers(people):
    return people["marketing_manager"], people["sales_manager"]


def _propose(people, amount=400_000, **kwargs):
    return target_propose(
        period_kind="quarter",
        period_start=Q1,
        amount=Decimal(amount),
        currency="USD",
        proposed_by=people["leader"],
        **kwargs,
    )


def test_sign_off_needs_both_sides_refuses_others_and_repeats_harmlessly(people, managers):
    marketing, sales = managers
    target = _propose(people)
    assert target.period_end == date(2026, 4, 1)
    with pytest.raises(NotAllowed):
        target_sign_off(target_id=target.pk, user=people["rep"])
    with pytest.raises(NotAllowed):
        target_sign_off(target_id=target.pk, user=people["marketer"])
    with pytest.raises(ValidationError) as named:
        target_sign_off(target_id=target.pk, user=people["leader"])  # may sign either side: must say which
    assert "side" in named.value.message_dict
    once = target_sign_off(target_id=target.pk, user=marketing)
    again = target_sign_off(target_id=target.pk, user=marketing)
    assert (once.status, again.status, again.marketing_signed_at) == ("proposed", "proposed", once.marketing_signed_at)
    with pytest.raises(NotAllowed):  # one person cannot commit for both teams
        target_sign_off(target_id=_leader_signed(people).pk, user=people["leader"], side="marketing")
    active = target_sign_off(target_id=target.pk, user=sales)
    assert (active.status, active.sales_approver, active.marketing_approver) == ("active", sales, marketing)
    assert target_sign_off(target_id=target.pk, user=sales).status == "active"  # repeated: no change
    assert selectors.target_active(on=date(2026, 2, 1)) == active
    assert selectors.target_active(on=date(2026, 4, 1)) is None
    with pytest.raises(NotPending):
        target_withdraw(target_id=target.pk, user=people["leader"])


def test_a_side_signed_by_one_person_cannot_be_signed_over_by_another(people, managers):
    _, sales = managers
    target = _propose(people)
    target_sign_off(target_id=target.pk, user=sales)
    with pytest.raises(NotPending, match="already signed for sales by"):
        target_sign_off(target_id=target.pk, user=people["leader"], side="sales")
    target.refresh_from_db()
    assert (target.sales_approver, target.status) == (sales, "proposed")
    # The leader may still sign the other side, which activates it with the sales manager's signature kept.
    active = target_sign_off(target_id=target.pk, user=people["leader"], side="marketing")
    assert (active.status, active.sales_approver, active.marketing_approver) == ("active", sales, people["leader"])


def _leader_signed(people):
    target = _propose(people, amount=1)
    target_sign_off(target_id=target.pk, user=people["leader"], side="sales")
    return target


def test_a_new_signed_target_supersedes_the_old_and_the_database_keeps_one_active(people, managers):
    marketing, sales = managers
    first = _propose(people)
    for user in managers:
        target_sign_off(target_id=first.pk, user=user)
    second = _propose(people, amount=450_000, note="Raised after the January pipeline review.")
    target_sign_off(target_id=second.pk, user=sales)
    assert selectors.target_active(on=Q1).pk == first.pk  # the old number holds until both sign the new one
    target_sign_off(target_id=second.pk, user=marketing)
    first.refresh_from_db()
    assert (first.status, selectors.target_active(on=Q1).amount) == ("superseded", Decimal(450_000))
    withdrawn = _propose(people, amount=1)
    with pytest.raises(NotAllowed):
        target_withdraw(target_id=withdrawn.pk, user=people["rep"])
    assert target_withdraw(target_id=withdrawn.pk, user=people["leader"]).status == "withdrawn"
    with pytest.raises(IntegrityError), transaction.atomic():
        RevenueTarget.objects.filter(pk=first.pk).update(status="active")


def test_splits_must_add_up_and_name_a_slice(people, teams):
    with pytest.raises(ValidationError) as short:
        _propose(people, splits=[Split(Decimal(300_000), segment="enterprise"), Split(Decimal(50_000), segment="smb")])
    assert short.value.message_dict["splits"] == [
        "The splits add up to 350,000, not the target's 400,000: they must match exactly."
    ]
    with pytest.raises(ValidationError) as bad:
        _propose(people, splits=[Split(Decimal(400_000)), Split(Decimal(1), segment="galactic")])
    assert bad.value.message_dict["splits"][:2] == [
        "[0]: name a team, a segment or both.",
        "[1]: 'galactic' is not a segment (enterprise, mid_market, smb).",
    ]
    with pytest.raises(ValidationError) as start:
        target_propose(
            period_kind="quarter",
            period_start=date(2026, 2, 1),
            amount=Decimal(1),
            currency="usd",
            proposed_by=people["leader"],
        )
    assert set(start.value.message_dict) == {"period_start", "currency"}
    with pytest.raises(NotAllowed):
        _propose({"leader": people["marketer"]})
    target = _propose(
        people,
        splits=[
            Split(Decimal(250_000), team=teams["sales"], segment="enterprise"),
            Split(Decimal(150_000), team=teams["sales"]),
        ],
    )
    assert sorted(target.splits.values_list("amount", flat=True)) == [Decimal(150_000), Decimal(250_000)]
    assert RevenueTarget.objects.count() == 1  # nothing of the refused proposals was saved


# --- the hand-worked scenario -------------------------------------------------------------------------------
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 2, 16, 12, 0, tzinfo=UTC)  # a Monday, seven weeks before the quarter ends


@pytest.fixture
def scenario(people, signed, rule, managers):
    """The target history of tests/funnel/target_scenario.py from T0, and Q1 2026's target split by segment."""
    leads = build_target_history(people, signed, rule, t0=T0)
    target = _propose(
        people, splits=[Split(Decimal(300_000), segment="enterprise"), Split(Decimal(100_000), segment="smb")]
    )
    for user in managers:
        target_sign_off(target_id=target.pk, user=user)
    return target, leads


def test_attainment_forecast_and_reverse_funnel_of_the_scenario(scenario):
    target, leads = scenario
    attainment = selectors.target_attainment(target=target)
    assert (attainment.total.revenue, attainment.total.purchases, attainment.total.percent) == (
        Decimal(150_000),
        2,
        Decimal("37.5"),
    )
    assert [(s.split.segment, s.revenue, s.percent) for s in attainment.splits] == [
        ("enterprise", Decimal(100_000), Decimal("33.3")),
        ("smb", Decimal(50_000), Decimal("50.0")),
    ]
    assert attainment.other_currencies == {"EUR": 1}

    forecast = selectors.target_forecast(target=target, attained=Decimal(150_000), now=NOW)
    by_stage = {s.stage: s for s in forecast.stages}
    # Evaluation: 5 entered (W1 W2 E1 L1 O1), 3 bought, 4 / 14 / 6 days later → median 6.
    assert (by_stage["evaluation"].win.entered, by_stage["evaluation"].win.reached) == (5, 3)
    assert by_stage["evaluation"].win.lag_days == 6
    assert by_stage["evaluation"].expected == Decimal(120_000)  # O1 $200k × 3/5
    assert (by_stage["interest"].win.entered, by_stage["interest"].win.reached) == (7, 3)
    assert by_stage["interest"].expected == Decimal(17_143)  # O2 $40k × 3/7
    assert by_stage["awareness"].leads == 0  # N1 has no value to forecast
    assert forecast.total == Decimal(287_143)
    forecast_leads = selectors.target_leads(target=target, which=LeadSet.FORECAST, now=NOW)
    assert set(forecast_leads) == {leads["O1"], leads["O2"]}
    bought = selectors.target_leads(target=target, which=LeadSet.PURCHASES, split=target.splits.get(segment="smb"))
    assert list(bought) == [leads["W2"]]

    funnel = selectors.target_reverse_funnel(target=target, attained=Decimal(150_000), forecast=forecast, now=NOW)
    rates = funnel.rates
    assert (rates.lead_to_mql.entered, rates.lead_to_mql.reached, rates.lead_to_mql.lag_days) == (8, 6, 2)
    assert (rates.mql_to_sql.entered, rates.mql_to_sql.reached) == (6, 5)
    assert (rates.sql_to_purchase.entered, rates.sql_to_purchase.reached, rates.sql_to_purchase.lag_days) == (5, 3, 8)
    assert (rates.average_deal, rates.deals) == (Decimal(75_000), 2)
    # $250k left ÷ $75k → 4 purchases; ÷ 3/5 → 7 SQLs; ÷ 5/6 → 9 MQLs; ÷ 6/8 → 12 new leads.
    assert [(n.name, n.count, n.lag_weeks) for n in funnel.needs] == [
        ("purchase", 4, 0),
        ("sql", 7, 1),
        ("mql", 9, 1),
        ("lead", 12, 1),
    ]
    assert (funnel.weeks[0]["week"], len(funnel.weeks)) == (date(2026, 2, 16), 7)
    assert [sum(w[name] for w in funnel.weeks) for name in ("purchase", "sql", "mql", "lead")] == [4, 7, 9, 12]
    # The funnel holds O1 as its one open SQL and O2, N1 short of MQL; 3/5 + 3/7 purchases are expected.
    assert funnel.held == {"purchase": Fraction(36, 35), "sql": 1, "mql": 0, "lead": 2}
    # Short by ceil(need − held): 4 − 36/35 = 2.97 → 3 purchases (rounding the holding up first said 2).
    assert [funnel.gap(n) for n in ("purchase", "sql", "mql", "lead")] == [3, 6, 9, 10]
    assert funnel.coverage == Decimal("2.10")  # 7 SQLs × $75k ÷ $250k
    # By week, the funnel's holdings go to the earliest weeks: O1 (the one SQL) covers one of this week's two SQLs,
    # the 36/35 expected purchases this week's one purchase; each column of shortfalls adds up to the gap.
    short = {n: [w["short"][n] for w in funnel.weeks] for n in ("purchase", "sql", "mql", "lead")}
    assert short == {
        "purchase": [0, 1, 1, 1, 0, 0, 0],
        "sql": [1, 1, 1, 1, 1, 1, 0],
        "mql": [4, 1, 1, 1, 1, 1, 0],
        "lead": [2, 2, 2, 2, 1, 1, 0],
    }
    assert [sum(short[n]) for n in short] == [funnel.gap(n) for n in short]


def test_the_metric_family_writes_attainment_for_the_targets_quarter_only(scenario):
    snapshot_compute(period=period_of(kind="quarter", day=Q1), families=[target_attainment])
    rows = {
        (v.dimension, v.dimension_value): (v.value, v.numerator, v.denominator)
        for v in MetricValue.objects.filter(metric="target_attainment")
    }
    assert rows == {
        ("all", ""): (Decimal("0.375"), Decimal(150_000), Decimal(400_000)),
        ("segment", "enterprise"): (Decimal("0.333333"), Decimal(100_000), Decimal(300_000)),
        ("segment", "smb"): (Decimal("0.5"), Decimal(50_000), Decimal(100_000)),
    }
    snapshot_compute(period=period_of(kind="month", day=Q1), families=[target_attainment])
    assert MetricValue.objects.filter(metric="target_attainment").count() == 3  # no target for January


LATE = datetime(2026, 3, 25, 12, 0, tzinfo=UTC)  # evaluation's 6 days end in the quarter, interest's 11 do not
STAGE_LINK = re.compile(r'href="(/targets/\d+/leads/\?set=\w+&amp;stage=(\w+))">(\d+)</a>')


def test_each_open_leads_number_of_the_forecast_lists_exactly_the_leads_it_counts(scenario, client, people):
    target, leads = scenario
    client.force_login(people["leader"])
    with time_machine.travel(LATE, tick=False):
        counted = {s.stage: s.counted for s in selectors.target_forecast(target=target, attained=Decimal(0)).stages}
        assert (counted["interest"], counted["evaluation"]) == (False, True)
        links = STAGE_LINK.findall(client.get(f"/targets/{target.pk}/").content.decode())
        assert sorted((stage, int(n)) for _, stage, n in links) == [("evaluation", 1), ("interest", 1)]
        for href, stage, _ in links:  # O2 sits in interest though its close falls after the quarter
            listed = client.get(html.unescape(href)).context
            assert [lead.pk for lead in listed["page"]] == [leads["O1" if stage == "evaluation" else "O2"].pk]
        # The forecast's own total lists only the lead it counts.
        forecast = client.get(f"/targets/{target.pk}/leads/?set=forecast").context
        assert [lead.pk for lead in forecast["page"]] == [leads["O1"].pk]
        # A rep sees neither lead (both are the marketing team's): the page says how many there are.
        client.force_login(people["rep"])
        hidden = client.get(f"/targets/{target.pk}/leads/?set=open&stage=interest")
    assert "0 of 1 you may see" in hidden.content.decode()


def test_a_future_targets_closes_fall_before_it_and_the_pipeline_says_what_it_is(scenario, client, people):
    assert scenario  # its history gives the rates; its open leads are O1 (evaluation) and O2 (interest)
    with time_machine.travel(NOW, tick=False):
        future = target_propose(
            period_kind="month",
            period_start=date(2031, 3, 1),
            amount=Decimal(5_000),
            currency="USD",
            proposed_by=people["leader"],
        )
        forecast = selectors.target_forecast(target=future, attained=Decimal(0))
        assert {s.stage: s.timing for s in forecast.stages if s.leads} == {"interest": "before", "evaluation": "before"}
        funnel = selectors.target_reverse_funnel(target=future, attained=Decimal(0), forecast=forecast)
        # $5k ÷ $75k → 1 whole purchase; ÷ 3/5 → 2 SQLs; 2 × $75k = $150k of pipeline, 30× the $5k left.
        assert (funnel.needs[1].count, funnel.pipeline_needed, funnel.coverage) == (2, Decimal(150_000), Decimal(30))
        client.force_login(people["leader"])
        page = client.get(f"/targets/{future.pk}/").content.decode()
    assert page.count("(before the period: not counted)") == 5 and "after the period" not in page
    assert "SQL pipeline needed: $150,000, 30.00× what is still to win" in page
    assert "2 SQLs × the $75,000 average deal = $150,000; less than one average deal is left" in page


def test_the_week_table_shows_short_of_due_and_overdue_in_words(scenario, client, people):
    target, _ = scenario
    client.force_login(people["marketing_manager"])
    with time_machine.travel(NOW, tick=False):
        answer = client.get(f"/targets/{target.pk}/")
    page = answer.content.decode()
    # This week: the SQL, 2 MQLs and 2 new leads of last week's plan are due now, with this week's own.
    assert "Overdue: 1 SQL, 2 MQLs, 2 new leads</span>" in page
    first = answer.context["weeks"][0]
    assert [(short, need) for _, short, need in first["cells"]] == [(0, 1), (1, 2), (4, 4), (2, 4)]
    assert '<span><strong>1</strong> short <span class="muted">of 2 due</span></span>' in page
    chart = answer.context["charts"][1]
    totals = [sum(row[i] for row in chart.rows) for i in (1, 2, 3, 4)]
    assert (chart.title.split(",")[0], totals) == ("Short by", [3, 6, 9, 10])  # not the gross 4, 7, 9, 12
