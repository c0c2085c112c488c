"""One criteria language, three evaluators that must agree on every lead: Python on one lead (leads.criteria),
SQL over the lead's columns (leads.scoring.sql.criteria_q) and SQL over the snapshot a transition kept of the
lead (funnel.simulation.sql). Hypothesis makes the criteria and the leads."""

import itertools
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.models import Company
from funnel.engine.preconditions import Context
from funnel.models import Transition
from funnel.services.context import context_record
from funnel.simulation.sql import with_history_snapshot
from leads import criteria
from leads.criteria import evaluate_criteria, lead_snapshot
from leads.models import Lead
from leads.scoring.sql import criteria_q, with_snapshot

pytestmark = pytest.mark.django_db

WORDS = ["", "EMEA", "NA-East", "enterprise", "smb", "saas", "CTO", "a@b.example", "Acme"]
NUMBERS = [0, 1, 20, 40, 50, 99, 100, 1000, "49.99", 250000]
_serial = itertools.count()

texts = st.sampled_from(WORDS)


def _numbers_for(field: str):
    """Thresholds the validator accepts for the field (a score of 1,000 can never be met, so it is refused)."""
    low, high = criteria.NUMBER_RANGES.get(field, (None, None))
    inside = [n for n in NUMBERS if low is None or low <= criteria.as_number(n) <= high]
    return st.sampled_from(inside)


@st.composite
def conditions(draw):
    if draw(st.integers(0, 9)) == 0:
        facts = draw(st.lists(st.sampled_from(criteria.FACTS), min_size=1, max_size=4, unique=True))
        return {"facts": facts, "at_least": draw(st.integers(1, len(facts)))}
    field = draw(st.sampled_from(sorted(criteria.FIELDS)))
    kind = criteria.FIELDS[field]
    op = draw(st.sampled_from(criteria.OPERATORS[kind]))
    condition = {"field": field, "op": op}
    if op in ("in", "not_in"):
        condition["value"] = draw(st.lists(texts, min_size=1, max_size=3))
    elif op not in criteria.NO_VALUE:
        condition["value"] = draw(_numbers_for(field) if kind == criteria.NUMBER else texts)
    return condition


documents = st.lists(conditions(), min_size=1, max_size=3).map(lambda c: {"conditions": c})
maybe_bool = st.none() | st.booleans()
lead_rows = st.fixed_dictionaries(
    {
        "score": st.sampled_from([0, 1, 20, 40, 50, 99, 100]),
        "expected_value": st.none()
        | st.sampled_from([Decimal("0"), Decimal("49.99"), Decimal("1000"), Decimal(250000)]),
        "segment": texts,
        "territory": texts,
        "industry": texts,
        "title": texts,
        "phone": st.sampled_from(["", "+1 555 0100"]),
        "currency": st.sampled_from(["USD", "EUR"]),
        "has_budget": maybe_bool,
        "has_authority": maybe_bool,
        "has_need": maybe_bool,
        "has_timeline": maybe_bool,
        "company": st.none()
        | st.fixed_dictionaries(
            {
                "segment": st.sampled_from(["", "enterprise", "smb"]),
                "territory": texts,
                "industry": texts,
                "employees": st.none() | st.sampled_from([0, 20, 50, 1000]),
            }
        ),
    }
)


def _make(row: dict) -> Lead:
    row = dict(row)
    company_fields = row.pop("company")
    n = next(_serial)
    company = None
    if company_fields is not None:
        company = Company.objects.create(name=f"Co {n}", domain=f"co{n}.example", **company_fields)
    now = timezone.now()
    return Lead.objects.create(
        last_name=f"Lead {n}", company=company, stage_entered_at=now, owning_function="marketing", **row
    )


def _keep_snapshot(lead: Lead) -> Transition:
    context = context_record(Context(lead=lead_snapshot(lead), now=timezone.now(), definitions={}))
    return Transition.objects.create(lead=lead, to_stage="awareness", occurred_at=timezone.now(), context=context)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents, rows=st.lists(lead_rows, min_size=1, max_size=6))
def test_python_sql_on_columns_and_sql_on_the_kept_snapshot_agree_on_every_lead(document, rows):
    assert criteria.validate_criteria(document) == [], document
    leads = [_make(row) for row in rows]
    moves = {_keep_snapshot(lead).pk: lead.pk for lead in leads}
    ids = [lead.pk for lead in leads]

    in_python = {lead.pk for lead in leads if all(r.passed for r in evaluate_criteria(document, lead_snapshot(lead)))}
    on_columns = set(
        with_snapshot(Lead.objects.filter(pk__in=ids)).filter(criteria_q(document)).values_list("pk", flat=True)
    )
    on_history = {
        moves[pk]
        for pk in with_history_snapshot(Transition.objects.filter(pk__in=moves))
        .filter(criteria_q(document))
        .values_list("pk", flat=True)
    }
    assert on_columns == in_python, (document, rows)
    assert on_history == in_python, (document, rows)
