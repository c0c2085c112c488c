"""The criteria language has two evaluators: leads.criteria on one lead's snapshot, leads.scoring.sql as a
database filter over every lead. They must agree on every lead, for every field and operator — the company's
fields (employees, size band, key account) included, with and without a linked company."""

import random
from decimal import Decimal

import pytest

from crm.models import Company
from leads import criteria
from leads.models import Lead
from leads.scoring.sql import condition_q, with_snapshot

pytestmark = pytest.mark.django_db

# Per field, values a condition may compare with: some the world holds, some it does not.
NUMBERS = {"score": [0, 40, 100], "expected_value": ["0", "5000.50", 250000], "employees": [0, 500, 5000]}
TEXTS = {
    "size_band": ["201-1000", "1-10", ""],
    "segment": ["enterprise", "smb"],
    "territory": ["EMEA", "APAC"],
    "industry": ["Retail", "Banking"],
    "title": ["CFO", "Intern"],
    "email": ["a@x.example"],
    "phone": ["+44 20 7946 0000"],
    "company": ["Co 1", "Walk-in Ltd"],
    "source_campaign": ["1"],
    "currency": ["USD", "EUR"],
}


def every_condition() -> list[dict]:
    conditions = []
    for field, kind in criteria.FIELDS.items():
        for op in criteria.OPERATORS[kind]:
            if op in criteria.NO_VALUE:
                conditions.append({"field": field, "op": op})
            elif op in ("in", "not_in"):
                conditions.append({"field": field, "op": op, "value": TEXTS[field][:2]})
            else:
                values = NUMBERS[field] if kind == criteria.NUMBER else TEXTS[field]
                conditions += [{"field": field, "op": op, "value": value} for value in values]
    conditions += [{"facts": list(criteria.FACTS), "at_least": n} for n in (1, 3)]
    return conditions


def _world(make_lead, seed: int, leads: int = 40) -> None:
    rng = random.Random(seed)
    companies = []
    for n in range(4):
        key = rng.random() < 0.5
        companies.append(
            Company.objects.create(
                name=f"Co {n}",
                domain=f"co{n}.example",
                segment=rng.choice(["", "enterprise", "smb"]),
                territory=rng.choice(["", "EMEA"]),
                industry=rng.choice(["", "Retail"]),
                employees=rng.choice([None, 0, 500, 5000]),
                size_band=rng.choice(["", "1-10", "201-1000"]),
                is_key_account=key,
                key_account_tier=1 if key else None,
            )
        )
    for n in range(leads):
        lead = make_lead(
            title=rng.choice(["", "CFO", "Intern"]),
            segment=rng.choice(["", "enterprise", "mid_market"]),
            territory=rng.choice(["", "APAC"]),
            company_name=rng.choice(["", "Walk-in Ltd"]),
        )
        Lead.objects.filter(pk=lead.pk).update(
            email=rng.choice(["", "a@x.example", f"r{n}@y.example"]),  # past dedupe: an email may repeat here
            company=rng.choice([None, *companies]),
            expected_value=rng.choice([None, Decimal("0"), Decimal("5000.50")]),
            score=rng.choice([0, 40, 77]),
            has_budget=rng.choice([None, True, False]),
            has_need=rng.choice([None, True, False]),
        )


@pytest.mark.parametrize("seed", [5, 6])
def test_the_sql_filter_and_the_python_evaluator_agree_on_every_field_and_operator(people, make_lead, seed):
    _world(make_lead, seed)
    leads = list(Lead.objects.select_related("company"))
    snapshots = {lead.pk: criteria.lead_snapshot(lead) for lead in leads}
    annotated = with_snapshot(Lead.objects.order_by())
    disagreements = []
    for condition in every_condition():
        assert criteria.validate_condition(condition, "c") == [], condition
        in_python = {pk for pk, values in snapshots.items() if criteria.evaluate_condition(condition, values).passed}
        in_sql = set(annotated.filter(condition_q(condition)).values_list("pk", flat=True))
        if in_python != in_sql:
            disagreements.append((condition, sorted(in_python ^ in_sql)))
    assert disagreements == []


def test_the_company_fields_read_the_linked_company_and_are_unknown_without_one(people, make_lead):
    big = Company.objects.create(
        name="Big", domain="big.example", size_band="1001-5000", is_key_account=True, key_account_tier=2
    )
    small = Company.objects.create(name="Small", domain="small.example", size_band="11-50")
    linked = {"big": make_lead(), "small": make_lead(), "none": make_lead()}
    Lead.objects.filter(pk=linked["big"].pk).update(company=big)
    Lead.objects.filter(pk=linked["small"].pk).update(company=small)
    snapshots = {
        name: criteria.lead_snapshot(Lead.objects.select_related("company").get(pk=lead.pk))
        for name, lead in linked.items()
    }
    assert {name: (s["size_band"], s["key_account"]) for name, s in snapshots.items()} == {
        "big": ("1001-5000", True),
        "small": ("11-50", False),
        "none": ("", None),
    }

    def met(condition) -> list[str]:
        passed = [name for name, s in snapshots.items() if criteria.evaluate_condition(condition, s).passed]
        ids = set(with_snapshot(Lead.objects.order_by()).filter(condition_q(condition)).values_list("pk", flat=True))
        assert passed == [name for name, lead in linked.items() if lead.pk in ids]  # both evaluators say the same
        return passed

    assert met({"field": "key_account", "op": "is_true"}) == ["big"]
    assert met({"field": "key_account", "op": "is_false"}) == ["small"]
    assert met({"field": "key_account", "op": "absent"}) == ["none"]
    assert met({"field": "size_band", "op": "in", "value": ["1001-5000", "5001+"]}) == ["big"]
    assert met({"field": "size_band", "op": "ne", "value": "11-50"}) == ["big", "none"]
    assert criteria.describe({"field": "key_account", "op": "is_true"}) == "key_account is confirmed"
