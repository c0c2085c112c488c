"""Property tests of the criteria language and the rule parser: any JSON at all gives either a valid
document or a list of problems naming where they are — never an exception — and a valid document always
evaluates, on any lead."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.engine import escalations, preconditions
from funnel.routing import spec as routing
from leads import criteria as conditions


def documents(*, finite: bool):
    """Strategies for any JSON value and for near-valid rule parts. `finite` False adds what json.loads lets
    through from a web form (NaN, Infinity); a compliant API client cannot send those."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(10**30), max_value=10**30)
        | st.floats(allow_nan=not finite, allow_infinity=not finite)
        | st.text(max_size=12)
        | st.sampled_from(["", "\x00", "1e400", "NaN", "Infinity", "-0", "12.5"])
    )
    any_json = st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    )
    # Near-valid parts: the right keys with any values, so the search reaches every branch of the checks.
    field_names = st.sampled_from([*conditions.FIELDS, "nope", ""]) | any_json
    operators = st.sampled_from([*sorted({op for ops in conditions.OPERATORS.values() for op in ops}), "between"])
    facts = st.lists(st.sampled_from([*conditions.FACTS, "mood"]), max_size=5) | any_json
    value_condition = st.fixed_dictionaries(
        {"field": field_names, "op": operators | any_json},
        optional={"value": any_json | st.lists(st.text(max_size=5), max_size=3), "label": any_json},
    )
    facts_condition = st.fixed_dictionaries({"facts": facts}, optional={"at_least": any_json, "label": any_json})
    condition = value_condition | facts_condition | any_json
    precondition = st.fixed_dictionaries(
        {"kind": st.sampled_from([*preconditions.REGISTRY, "unknown"]) | any_json},
        optional={
            "level": any_json,
            "fields": st.lists(field_names, max_size=3) | any_json,
            "score": any_json,
            "days": any_json,
        },
    )
    routing_spec = (
        st.fixed_dictionaries(
            {"kind": st.sampled_from(["keep", "round_robin", "match", "magic"]) | any_json},
            optional={
                "team": any_json,
                "field": st.sampled_from(routing.MATCH_FIELDS) | any_json,
                "map": st.dictionaries(st.text(max_size=5), st.integers(-5, 10**20) | any_json, max_size=3) | any_json,
                "fallback_team": any_json,
            },
        )
        | any_json
    )
    escalation = (
        st.fixed_dictionaries(
            {
                "when": condition,
                "role": st.sampled_from(["revenue_leader", "king"]) | any_json,
                "action": st.sampled_from(["involve", "approve", "veto"]) | any_json,
            }
        )
        | any_json
    )
    return {
        "any": any_json,
        "criteria": st.fixed_dictionaries({"conditions": st.lists(condition, max_size=4)}) | any_json,
        "preconditions": st.lists(precondition, max_size=3) | any_json,
        "routing": routing_spec,
        "escalations": st.lists(escalation, max_size=3) | any_json,
    }


FORM = documents(finite=False)
API = documents(finite=True)

leads = st.fixed_dictionaries(
    {
        "score": st.integers(0, 100),
        "expected_value": st.none() | st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2),
        "employees": st.none() | st.integers(0, 2**31 - 1),
        **{
            name: st.sampled_from(["", "smb", "EMEA", "x" * 60])
            for name, kind in conditions.FIELDS.items()
            if kind == conditions.TEXT
        },
        **{name: st.none() | st.booleans() for name, kind in conditions.FIELDS.items() if kind == conditions.BOOL},
    }
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _are_problems(problems: object) -> bool:
    return isinstance(problems, list) and all(isinstance(p, str) and p for p in problems)


@FAST
@given(document=FORM["criteria"], lead=leads)
def test_any_json_is_valid_criteria_or_named_problems_and_valid_criteria_always_evaluate(document, lead):
    problems = conditions.validate_criteria(document)
    assert _are_problems(problems)
    assert all(p.startswith("criteria") for p in problems)
    if not problems:
        results = conditions.evaluate_criteria(document, lead)
        assert len(results) == len(document["conditions"])
        assert all(isinstance(r.passed, bool) and r.label for r in results)


@FAST
@given(specs=FORM["preconditions"], lead=leads, last_report=st.none() | st.dates())
def test_any_json_is_valid_preconditions_or_named_problems(specs, lead, last_report):
    problems = preconditions.validate_preconditions(specs)
    assert _are_problems(problems)
    if not problems:
        active = {
            "SQL": preconditions.ActiveDefinition(
                "SQL", 1, 1, {"conditions": [{"field": "score", "op": "gte", "value": 10}]}
            )
        }
        ctx = preconditions.Context(
            lead=lead, now=datetime(2026, 11, 26, tzinfo=UTC), definitions=active, last_call_report_on=last_report
        )
        for spec in specs:
            label, outcome = preconditions.evaluate_precondition(spec, ctx)
            assert label and isinstance(outcome.passed, bool)


@FAST
@given(spec=FORM["routing"])
def test_any_json_is_a_valid_routing_or_named_problems(spec):
    problems = routing.validate_routing(spec)
    assert _are_problems(problems)
    if not problems:
        teams, users = routing.referenced_ids(spec)
        assert all(isinstance(pk, int) and 0 < pk < 2**63 for pk in teams | users)


@FAST
@given(specs=FORM["escalations"], lead=leads)
def test_any_json_is_valid_escalations_or_named_problems(specs, lead):
    problems = escalations.validate_escalations(specs)
    assert _are_problems(problems)
    if not problems:
        for spec in specs:
            assert escalations.describe(spec)
            assert isinstance(escalations.triggered(spec, lead).passed, bool)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(pre=API["preconditions"], route=API["routing"], esc=API["escalations"])
def test_the_rules_api_answers_any_json_with_201_or_a_400_naming_the_part(people, client_for, pre, route, esc):
    client = client_for(people["admin"])
    body = {"name": "Fuzzed", "preconditions": pre, "routing": route, "escalations": esc}
    response = client.post("/api/v1/handoff-rules/", body, format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert set(response.json()["errors"]) <= {"preconditions", "routing", "escalations", "references", "name"}
    else:
        from funnel.models import HandoffRule

        HandoffRule.objects.filter(pk=response.json()["id"]).delete()
