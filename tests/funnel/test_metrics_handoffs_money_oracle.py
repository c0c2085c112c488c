"""The handoff and money families against a plain Python oracle on a seeded random history: acceptance and
rejection counts, SLA compliance both clocks and every direction, and cost per lead, by slice."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from accounts.choices import Function
from crm.models import Campaign, CampaignSpend
from funnel.metrics.compute import snapshot_compute
from funnel.metrics.families.handoffs import handoff_family
from funnel.metrics.families.money import money_family
from funnel.metrics.models import SalesExpense
from funnel.metrics.periods import period_of
from funnel.models import Handoff, Transition
from leads.models import Lead

PERIOD = period_of(kind="month", day=date(2026, 4, 1))
START = datetime(2026, 3, 1, tzinfo=UTC)
DIRECTIONS = [(Function.MARKETING, Function.SALES), (Function.SALES, Function.MARKETING)]


def moment(rng: random.Random, days: float = 92) -> datetime:
    return START + timedelta(hours=rng.randrange(int(days * 24)), minutes=rng.randrange(60))


def seed(rng: random.Random, people, teams) -> tuple[list[Lead], list[Handoff]]:
    campaigns = [
        Campaign.objects.create(name=f"C{n}", channel="email", currency=c) for n, c in enumerate(["USD", "USD", "EUR"])
    ]
    leads = Lead.objects.bulk_create(
        Lead(
            last_name=f"L{n}",
            owning_function=Function.MARKETING,
            stage_entered_at=START,
            created_at=moment(rng),
            source_campaign=rng.choice([None, *campaigns]),
        )
        for n in range(150)
    )
    moves = Transition.objects.bulk_create(
        Transition(lead=lead, to_stage="intent", occurred_at=lead.created_at) for lead in leads
    )
    owners = [
        (people["rep"], teams["sales"]),
        (people["rep2"], teams["sales"]),
        (people["marketer"], teams["marketing"]),
    ]
    handoffs = []
    for lead, move in zip(leads, moves, strict=True):
        created = lead.created_at
        owner, team = rng.choice(owners)
        direction = rng.choice(DIRECTIONS)
        status = rng.choice(["pending", "accepted", "accepted", "rejected"])
        decided = created + timedelta(hours=rng.randrange(1, 96)) if status != "pending" else None
        touched = created + timedelta(hours=rng.randrange(1, 96)) if rng.random() < 0.5 else None
        handoffs.append(
            Handoff(
                lead=lead, transition=move, from_function=direction[0], to_function=direction[1], to_owner=owner,
                to_team=team, status=status, created_at=created, decided_at=decided,
                reject_reason_id="no_budget" if status == "rejected" else None,
                accept_due_at=created + timedelta(hours=rng.randrange(4, 60)),
                first_touch_due_at=created + timedelta(hours=rng.randrange(8, 80)) if rng.random() < 0.7 else None,
                first_touched_at=touched,
            )
        )  # fmt: skip
    Handoff.objects.bulk_create(handoffs)
    for _ in range(40):
        campaign = rng.choice(campaigns)
        CampaignSpend.objects.create(
            campaign=campaign, spent_on=moment(rng).date(), amount=Decimal(rng.randrange(100, 5000)),
            currency=campaign.currency, recorded_by=people["sales_manager"],
        )  # fmt: skip
    for _ in range(15):
        SalesExpense.objects.create(
            team=teams["sales"], spent_on=moment(rng).date(), amount=Decimal(rng.randrange(100, 9000)),
            currency=rng.choice(["USD", "EUR"]), recorded_by=people["sales_manager"],
        )  # fmt: skip
    return leads, handoffs


def inside(moment_: datetime | None) -> bool:
    return moment_ is not None and PERIOD.starts_at <= moment_ < PERIOD.ends_at


def handoff_oracle(handoffs: list[Handoff], now: datetime) -> dict:
    """Per (metric, from, to, owner or ''): the count, or (in time, clocks settled)."""
    out: dict = defaultdict(lambda: [0, 0])
    for h in handoffs:
        direction, owner = (h.from_function, h.to_function), str(h.to_owner_id)
        keys = [("", "", ""), (*direction, ""), ("", "", owner), (*direction, owner)]
        answer = min(
            [t for t in (h.first_touched_at, h.decided_at if h.status == "rejected" else None) if t], default=None
        )
        facts = {
            "handoffs_accepted": (h.status == "accepted" and inside(h.decided_at), False),
            "handoffs_rejected": (h.status == "rejected" and inside(h.decided_at), False),
            "sla_accept_compliance": (
                inside(h.accept_due_at) and (h.decided_at is not None or h.accept_due_at <= now),
                h.decided_at is not None and h.decided_at <= h.accept_due_at,
            ),
            "sla_first_touch_compliance": (
                inside(h.first_touch_due_at) and (answer is not None or h.first_touch_due_at <= now),
                None not in (answer, h.first_touch_due_at) and answer <= h.first_touch_due_at,
            ),
        }
        for metric, (counted, ok) in facts.items():
            for key in keys if counted else []:
                out[(metric, *key)][0] += ok
                out[(metric, *key)][1] += 1
    return out


def cost_oracle(leads: list[Lead]) -> dict:
    costs: dict = defaultdict(Decimal)
    for row in [*CampaignSpend.objects.all(), *SalesExpense.objects.all()]:
        if PERIOD.start <= row.spent_on < PERIOD.end:
            costs[row.currency] += row.amount
    created = sum(inside(lead.created_at) for lead in leads)
    return {currency: amount / created for currency, amount in costs.items()}


def test_handoff_and_cost_families_match_a_python_oracle(people, teams):
    leads, handoffs = seed(random.Random(11), people, teams)
    snapshot = snapshot_compute(period=PERIOD, families=[handoff_family, money_family])
    expected = handoff_oracle(handoffs, now=datetime.now(UTC))
    rows = snapshot.values.filter(dimension__in=["all", "owner"])
    got = {}
    checked = ["handoffs_accepted", "handoffs_rejected", "sla_accept_compliance", "sla_first_touch_compliance"]
    for row in rows.filter(metric__in=checked):
        key = (row.metric, row.stage, row.to_stage, row.dimension_value)
        got[key] = [int(row.numerator), int(row.denominator)] if row.metric.startswith("sla") else int(row.value)
    for key, (ok, counted) in expected.items():
        want = counted if key[0].startswith("handoffs") else [ok, counted]
        assert got.pop(key) == want, key
    assert all(v in (0, [0, 0]) for k, v in got.items() if k[0] in ("handoffs_accepted", "handoffs_rejected")), got
    assert len(expected) > 20
    per_lead = {row.to_stage: row.value for row in rows.filter(metric="cost_per_lead", dimension="all")}
    oracle = cost_oracle(leads)
    assert per_lead.keys() == oracle.keys() == {"USD", "EUR"}
    assert all(abs(per_lead[c] - oracle[c]) < Decimal("0.000001") for c in oracle), (per_lead, oracle)
