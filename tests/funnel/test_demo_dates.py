"""The demo year's date-sensitive planning on many dates, without the database: the story
(funnel.demo_metrics_plan) must hold on whatever day CI runs. The full load (tests/funnel/test_demo.py and the
dashboard's browser test) is too slow to repeat per date; it runs on today, or on a day CLOCK_AT names with
tests/clock_plugin.py.

What moves with the date is only where the calendar cuts the year: the plan is the same year shifted (first
test), so the calendar checks below (months with a purchase, the month the SLAs slipped, the last complete
quarter) cover everything the date can change in the plan."""

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from functools import cache

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.demo_marketing import campaign_dates
from funnel.demo_metrics import COMPANIES, LEADS, SEED, SETTLED
from funnel.demo_metrics_plan import NO_CUSTOMER, YEAR_DAYS, LeadPlan, plan_companies, plan_leads, slipped_month
from funnel.metrics.periods import period_of

# The 1st and the last day of a month, a Monday, a Sunday, a leap day, both sides of a new year, quarter ends
# and starts, and a day inside each quarter.
DATES = [
    date(2027, 3, 1),
    date(2027, 4, 30),
    date(2027, 5, 17),
    date(2027, 8, 8),
    date(2028, 2, 29),
    date(2028, 3, 1),
    date(2027, 1, 1),
    date(2026, 12, 31),
    date(2027, 2, 14),
    date(2027, 7, 1),
    date(2027, 9, 30),
    date(2026, 12, 15),
    date(2027, 10, 1),
]
ANY_DAY = st.dates(min_value=date(2026, 1, 1), max_value=date(2040, 12, 31))
FULL_MONTH = 28  # days: a month that ended this long ago is out of the funnel story's weeks


def _plan(today: date) -> tuple[datetime, list[LeadPlan]]:
    """The plan as seed_metric_year draws it on `today` (campaign dates as demo_marketing sets them)."""
    now = datetime.combine(today, time.min, tzinfo=timezone.get_current_timezone())
    rng = random.Random(SEED)
    companies = plan_companies(rng, COMPANIES)
    return now, plan_leads(rng, companies, campaign_dates(today), now, LEADS)


def _relative(now: datetime, plans: list[LeadPlan]) -> list[tuple]:
    return [(p.created - now, p.email, p.source, p.reach, p.lags, p.influencers, p.value) for p in plans]


@cache
def _reference() -> list[tuple]:
    return _relative(*_plan(date(2026, 11, 27)))


def _purchases(now: datetime, plans: list[LeadPlan]) -> list[datetime]:
    """When the leads planned to buy would, if nothing stops them on the way; those not due yet left out."""
    planned = [p.created + timedelta(days=sum(p.lags)) for p in plans if p.reach == 5]
    return [at for at in planned if at < now - SETTLED]


@given(today=ANY_DAY)
@settings(max_examples=40, deadline=None)
def test_the_planned_year_is_the_same_year_on_any_date_only_shifted(today):
    assert _relative(*_plan(today)) == _reference()


def _check_calendar(today: date) -> None:
    now, plans = _plan(today)
    assert all(now - timedelta(days=YEAR_DAYS) <= p.created < now - SETTLED for p in plans)
    assert all(p.reach < 5 for p in plans if p.source == NO_CUSTOMER)  # LinkedIn brings leads, never a customer
    assert Counter(p.source for p in plans).most_common(1)[0][0] == NO_CUSTOMER
    # The trend charts have revenue across the year: planned purchases in 11 or more months, one to spare
    # over the 10 the full load checks of those that happen.
    purchases = _purchases(now, plans)
    assert len({(at.year, at.month) for at in purchases}) >= 11
    # The month the SLAs slipped is over, old enough not to hold the funnel story's in-time handoffs, inside
    # the year, and has handoffs enough for the slip to show.
    slipped = slipped_month(today)
    assert (today - slipped.end).days >= FULL_MONTH and slipped.start >= (now - timedelta(days=YEAR_DAYS)).date()
    handed = [p.created + timedelta(days=p.lags[0] + p.lags[1]) for p in plans if p.reach >= 2]
    assert sum(slipped.starts_at <= at < slipped.ends_at for at in handed) >= 8
    # The dashboard's period charts are read on the last complete quarter: it has purchases to draw.
    this_quarter = period_of(kind="quarter", day=today)
    last_quarter = period_of(kind="quarter", day=this_quarter.start - timedelta(days=1))
    assert sum(last_quarter.starts_at <= at < last_quarter.ends_at for at in purchases) >= 5


@pytest.mark.parametrize("today", DATES, ids=str)
def test_the_year_tells_its_story_on_the_dates_that_cut_it_differently(today):
    _check_calendar(today)


@given(today=ANY_DAY)
@settings(max_examples=150, deadline=None)
def test_the_year_tells_its_story_on_any_date(today):
    _check_calendar(today)


@pytest.mark.parametrize(
    ("today", "slipped"),
    [
        (date(2027, 3, 1), date(2027, 1, 1)),
        (date(2027, 3, 31), date(2027, 1, 1)),
        (date(2027, 1, 1), date(2026, 11, 1)),
        (date(2028, 2, 29), date(2027, 12, 1)),
        (date(2026, 12, 31), date(2026, 10, 1)),
    ],
)
def test_the_slas_slipped_in_the_month_before_last(today, slipped):
    assert slipped_month(today).start == slipped
