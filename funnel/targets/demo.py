"""The demo's shared target: the current quarter's number, signed by mia (marketing) and sam (sales), set a
quarter above what the open funnel forecasts and split by segment — so the page shows a real gap and the
reverse funnel has something to ask for — and next quarter's, proposed by sam and waiting for mia."""

from decimal import ROUND_UP, Decimal

from django.utils import timezone

from accounts.models import User
from crm.choices import Segment
from funnel.metrics.periods import period_of
from funnel.targets.models import RevenueTarget
from funnel.targets.selectors import target_attainment, target_forecast
from funnel.targets.services import Split, target_propose, target_sign_off

GROWTH = Decimal("1.25")
FALLBACK = Decimal(500_000)  # a company with no purchase last quarter still gets a number to discuss
SHARES = [(Segment.ENTERPRISE, Decimal("0.6")), (Segment.MID_MARKET, Decimal("0.3")), (Segment.SMB, None)]


def _amount(quarter) -> Decimal:
    """A quarter above the forecast: what the period will likely close at, from the demo's own history."""
    probe = RevenueTarget(period_kind="quarter", period_start=quarter.start, amount=1, currency="USD")
    won = target_attainment(target=probe).total.revenue
    likely = target_forecast(target=probe, attained=won).total
    amount = (likely or FALLBACK / GROWTH) * GROWTH
    return (amount / 10_000).quantize(Decimal(1), rounding=ROUND_UP) * 10_000


def _by_segment(amount: Decimal) -> list[Split]:
    splits, left = [], amount
    for segment, share in SHARES:
        part = (amount * share).quantize(Decimal(1)) if share else left
        splits.append(Split(amount=part, segment=segment))
        left -= part
    return splits


def seed_targets(users: dict[str, User]) -> list[str]:
    """A second run adds nothing."""
    quarter = period_of(kind="quarter", day=timezone.localdate())
    if RevenueTarget.objects.filter(period_kind="quarter", period_start=quarter.start).exists():
        return []
    amount = _amount(quarter)
    target = target_propose(
        period_kind="quarter",
        period_start=quarter.start,
        amount=amount,
        currency="USD",
        splits=_by_segment(amount),
        proposed_by=users["rita"],
        note="A quarter above the forecast we started from: enterprise carries 60 %, mid-market 30 %, small "
        "business the rest.",
    )
    target_sign_off(target_id=target.pk, user=users["mia"])
    target_sign_off(target_id=target.pk, user=users["sam"])
    following = target_propose(
        period_kind="quarter",
        period_start=quarter.end,
        amount=amount + 100_000,
        currency="USD",
        proposed_by=users["sam"],
        note="Sales's proposal for next quarter; marketing has not committed yet.",
    )
    target_sign_off(target_id=following.pk, user=users["sam"])
    return [
        f"  - the shared target: {amount:,.0f} USD this quarter, signed by mia and sam (/targets/);"
        " next quarter's waits for mia's signature."
    ]
