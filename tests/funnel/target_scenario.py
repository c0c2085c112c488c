"""The shared target's hand-worked history (tests/funnel/test_targets.py works its numbers out; the target
page's browser test draws it): eight leads created at `t0`. MQL gates consideration, SQL gates intent. W1
($100k, enterprise) buys on day 10 and W2 ($50k, smb) on day 20; E1 (€30k) on day 12; L1 is lost after
evaluation, L2 after consideration; O1 ($200k) sits in evaluation, O2 ($40k) in interest, N1 (no value) in
awareness. All are the marketer's."""

from datetime import datetime, timedelta
from decimal import Decimal

from funnel.services.intake import lead_create
from leads.models import Lead
from tests.funnel.conftest import MQL, SQL, move

PATH = [("interest", 1), ("consideration", 2), ("intent", 4), ("evaluation", 6)]
PLAN = {
    "W1": (Decimal(100_000), "USD", "enterprise", [*PATH, ("purchase", 10)]),
    "W2": (Decimal(50_000), "USD", "smb", [*PATH, ("purchase", 20)]),
    "E1": (Decimal(30_000), "EUR", "smb", [*PATH, ("purchase", 12)]),
    "L1": (Decimal(10_000), "USD", "smb", [*PATH, ("lost", 8)]),
    "L2": (Decimal(10_000), "USD", "smb", [*PATH[:2], ("lost", 3)]),
    "O1": (Decimal(200_000), "USD", "enterprise", PATH),
    "O2": (Decimal(40_000), "USD", "smb", PATH[:1]),
    "N1": (None, "USD", "smb", []),
}
FACTS = {"has_budget": True, "has_authority": True, "has_need": True}


def build_target_history(people, signed, rule, *, t0: datetime) -> dict[str, Lead]:
    """The eight leads by name; `signed` and `rule` are the fixtures of tests/conftest.py."""
    signed("MQL", MQL)
    signed("SQL", SQL)
    rule("MQL first", to_stages=["consideration"], preconditions=[{"kind": "definition_met", "level": "MQL"}])
    rule("SQL first", to_stages=["intent"], preconditions=[{"kind": "definition_met", "level": "SQL"}])
    leads = {}
    for name, (value, currency, segment, steps) in PLAN.items():
        data = {"last_name": name, "email": f"{name.lower()}@buyer.example", "expected_value": value}
        data |= {"currency": currency, "segment": segment, **FACTS}
        lead = lead_create(actor=people["admin"], data=data, owner=people["marketer"], at=t0)
        Lead.objects.filter(pk=lead.pk).update(score=60)
        for stage, days in steps:
            move(lead, stage, people["marketer"], at=t0 + timedelta(days=days), reason="Gone quiet")
        leads[name] = lead
    return leads
