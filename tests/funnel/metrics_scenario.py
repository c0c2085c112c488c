"""The hand-worked metrics scenario: 26 leads whose histories (through the one door, at known times) make every
funnel-flow metric of February 2026 a number worked out by hand in tests/funnel/test_metrics_flow.py.

Patterns (copies): the stage moves after capture, each at noon UTC on the day named.
  P1 (3, rep)   captured Jan 10; interest Feb 3, consideration 10, intent 12, evaluation 15, purchase 20: $10,000
                (margin $4,000). The first copy shares its company with P9.
  P2 (4)        captured Jan 10; interest Feb 3, consideration 11, intent 14, lost 18.
  P3 (3)        captured Jan 10; interest Feb 3, consideration 12, nurture 20.
  P4 (2)        captured Jan 10; interest Feb 3, lost 25.
  P5 (4)        captured Jan 10; interest Feb 3, and still there.
  P6 (2, campaign)  captured Feb 5; interest 6, consideration 8, intent 9, evaluation 10, purchase 27: €5,000 (€1,500).
  P7 (2, campaign)  captured Feb 5; interest 7, nurture 9, interest 16, consideration 18.
  P8 (3)        captured Feb 5, still in awareness.
  P9 (1, rep)   captured Jan 2; interest Jan 3, consideration Jan 4, intent Jan 20, evaluation Feb 2, purchase Feb 12:
                $2,000 ($500), P1's first copy's company.
  P10 (1, rep)  captured 2025-12-01; through the funnel to purchase 2025-12-10 ($1,000) — company X's first purchase.
  P11 (1, rep)  captured Jan 10; interest Feb 3, consideration 4, intent 5, evaluation 6, purchase 22: $3,000 ($900),
                company X again (so not a new customer).
Leads owned by the marketer belong to marketing; the rep's to sales.
"""

from datetime import UTC, datetime
from decimal import Decimal

from crm.models import Campaign
from funnel.services.intake import lead_create
from leads.models import Lead
from tests.funnel.conftest import move


def noon(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def feb(day: int) -> datetime:
    return noon(2, day)


PURCHASE_1 = {"expected_value": Decimal("10000"), "gross_margin": Decimal("4000"), "currency": "USD"}
PATTERNS = [
    # name, copies, owner key, captured at, moves, lead fields, company domain (None: one per copy)
    ("P1", 3, "rep", noon(1, 10), [("interest", 3), ("consideration", 10), ("intent", 12), ("evaluation", 15),
                                     ("purchase", 20)], PURCHASE_1, None),
    ("P2", 4, "marketer", noon(1, 10), [("interest", 3), ("consideration", 11), ("intent", 14), ("lost", 18)], {},
     None),
    ("P3", 3, "marketer", noon(1, 10), [("interest", 3), ("consideration", 12), ("nurture", 20)], {}, None),
    ("P4", 2, "marketer", noon(1, 10), [("interest", 3), ("lost", 25)], {}, None),
    ("P5", 4, "marketer", noon(1, 10), [("interest", 3)], {}, None),
    ("P6", 2, "marketer", feb(5), [("interest", 6), ("consideration", 8), ("intent", 9), ("evaluation", 10),
                                   ("purchase", 27)],
     {"expected_value": Decimal("5000"), "gross_margin": Decimal("1500"), "currency": "EUR"}, None),
    ("P7", 2, "marketer", feb(5), [("interest", 7), ("nurture", 9), ("interest", 16), ("consideration", 18)], {}, None),
    ("P8", 3, "marketer", feb(5), [], {}, None),
    ("P9", 1, "rep", noon(1, 2), [(noon(1, 3), "interest"), (noon(1, 4), "consideration"), (noon(1, 20), "intent"),
                                  ("evaluation", 2), ("purchase", 12)],
     {"expected_value": Decimal("2000"), "gross_margin": Decimal("500"), "currency": "USD"}, "p1-0.example"),
    ("P10", 1, "rep", noon(12, 1, 2025), [(noon(12, d, 2025), s) for d, s in
                                          ((2, "interest"), (3, "consideration"), (4, "intent"), (5, "evaluation"),
                                           (10, "purchase"))],
     {"expected_value": Decimal("1000"), "gross_margin": Decimal("300"), "currency": "USD"}, "x.example"),
    ("P11", 1, "rep", noon(1, 10), [("interest", 3), ("consideration", 4), ("intent", 5), ("evaluation", 6),
                                    ("purchase", 22)],
     {"expected_value": Decimal("3000"), "gross_margin": Decimal("900"), "currency": "USD"}, "x.example"),
]  # fmt: skip
CAMPAIGN_PATTERNS = {"P6", "P7"}


def _when_and_stage(step) -> tuple[datetime, str]:
    first, second = step
    return (first, second) if isinstance(first, datetime) else (feb(second), first)


def build_scenario(people: dict) -> dict[str, list[Lead]]:
    campaign = Campaign.objects.create(name="Spring webinar", channel="webinar", starts_on=feb(1).date())
    leads: dict[str, list[Lead]] = {}
    for name, copies, owner, captured, moves, fields, domain in PATTERNS:
        for n in range(copies):
            data = {"last_name": f"{name}-{n}", "email": f"{name.lower()}-{n}@mail.example", **fields}
            data["company_domain"] = domain or f"{name.lower()}-{n}.example"
            lead = lead_create(actor=people["admin"], data=data, owner=people[owner], at=captured)
            if name in CAMPAIGN_PATTERNS:
                Lead.objects.filter(pk=lead.pk).update(source_campaign=campaign)
            for step in moves:
                at, stage = _when_and_stage(step)
                reason = "No budget" if stage in ("lost", "nurture") else ""
                move(lead, stage, people["admin"], at=at, reason=reason)
            leads.setdefault(name, []).append(lead)
    return leads
