"""The reverse funnel as pure arithmetic (REFERENCE §6): from the revenue still to win, the average deal and
each step's conversion rate, how many purchases, and before them how many of each earlier milestone, are needed
— rounded up at every step — and when they must arrive, each step earlier by its lag. No database."""

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class Step:
    """One milestone before the purchase: `rate` of those reaching it reach the next one (the purchase for the
    first step), `lag_days` after reaching it."""

    name: str
    rate: Fraction | None
    lag_days: float | None


@dataclass(frozen=True)
class Need:
    name: str
    count: int | None  # None: a rate on the way is unknown, so nothing can be planned from here up
    lag_weeks: int  # how many weeks before the purchase this milestone must be reached


def _weeks(days: float | None) -> int:
    return int(Fraction(days or 0) / 7 + Fraction(1, 2))


def needs(*, remaining: Decimal, average_deal: Decimal | None, steps: list[Step]) -> list[Need]:
    """[purchases, then each step's count], each the previous divided by the step's rate and rounded up."""
    count = math.ceil(Fraction(remaining) / Fraction(average_deal)) if average_deal else None
    if remaining <= 0:
        count = 0
    result, lag = [Need("purchase", count, 0)], 0
    for step in steps:
        lag += _weeks(step.lag_days)
        if count is not None and count > 0:
            count = math.ceil(count / step.rate) if step.rate else None
        result.append(Need(step.name, count, lag))
    return result


def short_by(needed: int, held: Fraction) -> int:
    """How many more are needed beyond what is held, on the cautious side: the shortfall rounded up, never the
    holding (2.4 expected purchases against 7 needed leave 5 to find, not 7 - 3 = 4)."""
    return max(0, math.ceil(needed - held))


def spread(total: int, slots: int) -> list[int]:
    """`total` over `slots` as evenly as whole numbers allow, the remainder in the earliest slots; sums to total."""
    if slots <= 0:
        return []
    base, extra = divmod(total, slots)
    return [base + (1 if i < extra else 0) for i in range(slots)]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def by_week(*, plan: list[Need], first_week: date, last_week: date, this_week: date) -> list[dict]:
    """Per Monday-based week: how many of each milestone must be reached that week so that the purchases land
    evenly from `first_week` to `last_week`. A milestone due before `this_week` is overdue: it is counted in
    this week's row (and `overdue` says how many), never dropped, so each column sums to the step's total."""
    purchase_weeks = [first_week + timedelta(weeks=i) for i in range((last_week - first_week).days // 7 + 1)]
    rows: dict[date, dict] = {}
    for need in plan:
        if need.count is None:
            continue
        for week, n in zip(purchase_weeks, spread(need.count, len(purchase_weeks)), strict=True):
            due = max(week - timedelta(weeks=need.lag_weeks), this_week)
            row = rows.setdefault(due, {"week": due, "overdue": {}})
            row[need.name] = row.get(need.name, 0) + n
            if week - timedelta(weeks=need.lag_weeks) < this_week and n:
                row["overdue"][need.name] = row["overdue"].get(need.name, 0) + n
    for row in rows.values():
        for need in plan:
            row.setdefault(need.name, 0 if need.count is not None else None)
    return [rows[week] for week in sorted(rows)]


def short_by_week(weeks: list[dict], held: dict[str, Fraction]) -> list[dict]:
    """Each week's row with `short`: of that week's need, how many the funnel does not hold yet. What it holds
    now is set against the earliest weeks first (it is there already), and each week's shortfall is the growth
    of the cumulative one, so a column's shortfalls sum exactly to the headline's short_by(total, held)."""
    result, needed, before = [], dict.fromkeys(held, 0), dict.fromkeys(held, 0)
    for row in weeks:
        short = {}
        for name in held:
            if row.get(name) is None:
                short[name] = None
                continue
            needed[name] += row[name]
            now = short_by(needed[name], held[name])
            short[name], before[name] = now - before[name], now
        result.append({**row, "short": short})
    return result
