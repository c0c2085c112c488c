"""The rule engine is pure code: these tests need no database."""

from datetime import UTC, date, datetime
from decimal import Decimal

from funnel.engine import escalations, preconditions
from funnel.engine.preconditions import ActiveDefinition, Context
from funnel.routing import spec as routing
from leads import criteria as conditions

LEAD = {
    "score": 55,
    "expected_value": Decimal("250000.00"),
    "segment": "enterprise",
    "territory": "EMEA",
    "has_budget": True,
    "has_authority": True,
    "has_need": False,
    "has_timeline": None,
    "phone": "",
}
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def ctx(**overrides):
    lead = {**LEAD, **overrides.pop("lead", {})}
    return Context(lead=lead, now=NOW, definitions=overrides.pop("definitions", {}), **overrides)


def test_valid_criteria_have_no_errors():
    document = {
        "conditions": [
            {"field": "score", "op": "gte", "value": 40},
            {"field": "segment", "op": "in", "value": ["enterprise", "mid_market"]},
            {"facts": ["budget", "authority", "need", "timeline"], "at_least": 3, "label": "BANT 3 of 4"},
        ]
    }
    assert conditions.validate_criteria(document) == []


def test_malformed_criteria_name_the_bad_part():
    document = {
        "conditions": [
            {"field": "score", "op": "bigger", "value": 40},
            {"field": "favourite_colour", "op": "eq", "value": "blue"},
            {"field": "score", "op": "gte", "value": "lots"},
            {"facts": ["budget", "money"], "at_least": 1},
            {"field": "segment", "op": "in", "value": []},
            {"field": "has_budget", "op": "is_true", "value": True},
        ]
    }
    errors = conditions.validate_criteria(document)
    assert errors == [
        "criteria.conditions[0].op: 'bigger' is not an operator for number field score; "
        "use eq, ne, gt, gte, lt, lte, present, absent.",
        "criteria.conditions[1].field: 'favourite_colour' is not a lead field; use one of "
        + ", ".join(conditions.FIELDS)
        + ".",
        "criteria.conditions[2].value: 'lots' is not a number from 0 to 100.",
        "criteria.conditions[3].facts: must be a list of distinct facts from budget, authority, need, timeline.",
        "criteria.conditions[4].value: operator in needs a list of 1 to 100 strings of at most 200.",
        "criteria.conditions[5].value: operator is_true takes no value.",
    ]


def test_criteria_must_be_an_object_with_conditions():
    assert conditions.validate_criteria("score > 40") == [
        'criteria: must be an object with exactly one key, "conditions".'
    ]
    assert conditions.validate_criteria({"conditions": []}) == [
        "criteria.conditions: must be a list of 1 to 50 conditions."
    ]


def test_evaluation_says_which_criteria_pass_and_fail():
    document = {
        "conditions": [
            {"field": "score", "op": "gte", "value": 60},
            {"field": "expected_value", "op": "gte", "value": 100000},
            {"facts": ["budget", "authority", "need", "timeline"], "at_least": 3},
            {"facts": ["budget", "authority", "need", "timeline"], "at_least": 2},
            {"field": "phone", "op": "present"},
        ]
    }
    results = conditions.evaluate_criteria(document, LEAD)
    assert [(r.label, r.passed) for r in results] == [
        ("score ≥ 60", False),
        ("expected_value ≥ 100000", True),
        ("at least 3 of budget, authority, need, timeline confirmed", False),
        ("at least 2 of budget, authority, need, timeline confirmed", True),
        ("phone is filled in", False),
    ]
    assert results[0].reason == "score is 55"
    assert results[2].reason == "2 confirmed (budget, authority), 3 needed"


def test_empty_values_fail_comparisons_but_pass_negations():
    lead = {"expected_value": None, "segment": ""}
    assert not conditions.evaluate_condition({"field": "expected_value", "op": "gt", "value": 0}, lead).passed
    assert conditions.evaluate_condition({"field": "segment", "op": "ne", "value": "smb"}, lead).passed
    assert conditions.evaluate_condition({"field": "segment", "op": "not_in", "value": ["smb"]}, lead).passed


def test_every_precondition_kind_passes_and_fails():
    active = {"MQL": ActiveDefinition("MQL", 7, 2, {"conditions": [{"field": "score", "op": "gte", "value": 50}]})}
    cases = [
        ({"kind": "min_score", "score": 50}, ctx(), True, "score is 55"),
        ({"kind": "min_score", "score": 60}, ctx(), False, "score is 55"),
        ({"kind": "required_fields", "fields": ["segment", "territory"]}, ctx(), True, "all present"),
        ({"kind": "required_fields", "fields": ["segment", "phone"]}, ctx(), False, "missing phone"),
        ({"kind": "definition_met", "level": "MQL"}, ctx(definitions=active), True, "MQL v2 met"),
        (
            {"kind": "definition_met", "level": "MQL"},
            ctx(definitions=active, lead={"score": 10}),
            False,
            "MQL v2 not met: score ≥ 50 (score is 10)",
        ),
        ({"kind": "definition_met", "level": "SQL"}, ctx(), False, "SQL has no active, signed-off version"),
        (
            {"kind": "call_report_within_days", "days": 14},
            ctx(last_call_report_on=date(2026, 11, 20)),
            True,
            "last call report 4 days ago (2026-11-20)",
        ),
        (
            {"kind": "call_report_within_days", "days": 3},
            ctx(last_call_report_on=date(2026, 11, 20)),
            False,
            "last call report 4 days ago (2026-11-20)",
        ),
        ({"kind": "call_report_within_days", "days": 3}, ctx(), False, "no call report logged"),
    ]
    for spec, context, passed, reason in cases:
        _, outcome = preconditions.evaluate_precondition(spec, context)
        assert (outcome.passed, outcome.reason) == (passed, reason), spec


def test_definition_met_records_the_version_it_used():
    active = {"MQL": ActiveDefinition("MQL", 7, 2, {"conditions": [{"field": "score", "op": "gte", "value": 50}]})}
    context = ctx(definitions=active)
    preconditions.evaluate_precondition({"kind": "definition_met", "level": "MQL"}, context)
    assert context.used_definitions == [active["MQL"]]


def test_malformed_preconditions_name_the_bad_part():
    errors = preconditions.validate_preconditions(
        [
            {"kind": "min_score", "score": 500},
            {"kind": "telepathy"},
            {"kind": "call_report_within_days"},
            {"kind": "required_fields", "fields": ["score"], "extra": 1},
        ]
    )
    assert errors == [
        "preconditions[0].score: must be a whole number from 1 to 100.",
        "preconditions[1].kind: 'telepathy' is not a precondition kind; use definition_met, required_fields, "
        "min_score, call_report_within_days, collateral_used.",
        "preconditions[2].days: required for kind call_report_within_days.",
        "preconditions[3]: unknown key(s) extra.",
    ]


def test_a_new_precondition_kind_needs_only_a_registered_class():
    @preconditions.register
    class HasPhone(preconditions.Precondition):
        name = "has_phone_for_test"

        @classmethod
        def describe(cls, spec):
            return "has a phone"

        @classmethod
        def evaluate(cls, spec, ctx):
            return preconditions.Outcome(bool(ctx.lead.get("phone")), "checked")

    try:
        assert preconditions.validate_preconditions([{"kind": "has_phone_for_test"}]) == []
        _, outcome = preconditions.evaluate_precondition({"kind": "has_phone_for_test"}, ctx())
        assert outcome.passed is False
    finally:
        del preconditions.REGISTRY["has_phone_for_test"]


def test_routing_validation():
    assert routing.validate_routing({"kind": "keep"}) == []
    assert routing.validate_routing({"kind": "round_robin", "team": 3}) == []
    assert routing.validate_routing({"kind": "round_robin"}) == ["routing.team: must be a team id."]
    assert routing.validate_routing({"kind": "match", "field": "territory", "map": {"EMEA": "bob"}}) == [
        "routing.map: must map 1 to 500 values of the field to user ids."
    ]
    assert routing.validate_routing({"kind": "lottery"}) == [
        "routing.kind: 'lottery' is not a routing kind; use keep, round_robin, rules, match or directory."
    ]


def test_escalation_validation_and_trigger():
    spec = {
        "when": {"field": "expected_value", "op": "gte", "value": 100000},
        "role": "revenue_leader",
        "action": "approve",
    }
    assert escalations.validate_escalations([spec]) == []
    assert escalations.triggered(spec, LEAD).passed
    assert not escalations.triggered(spec, {**LEAD, "expected_value": Decimal("5000")}).passed
    assert escalations.validate_escalations([{**spec, "role": "pope", "action": "bless"}]) == [
        "escalations[0].role: 'pope' is not a role; use "
        "sales_rep, sdr, marketer, sales_manager, marketing_manager, revenue_leader, admin, integration.",
        "escalations[0].action: must be involve or approve.",
    ]


def test_working_hours_skip_nights_and_weekends():
    from datetime import time
    from zoneinfo import ZoneInfo

    from funnel.engine.calendar import WorkCalendar, add_working_hours

    office = WorkCalendar(ZoneInfo("Europe/Berlin"), frozenset({0, 1, 2, 3, 4}), time(9), time(17))
    berlin = ZoneInfo("Europe/Berlin")

    def due(start, hours):
        return add_working_hours(datetime(*start, tzinfo=berlin), hours, office).astimezone(berlin)

    assert due((2026, 11, 24, 10, 0), 2) == datetime(2026, 11, 24, 12, 0, tzinfo=berlin)
    assert due((2026, 11, 24, 8, 0), 8) == datetime(2026, 11, 24, 17, 0, tzinfo=berlin)
    assert due((2026, 11, 27, 16, 0), 2) == datetime(2026, 11, 30, 10, 0, tzinfo=berlin)  # Friday → Monday
    assert due((2026, 11, 28, 12, 0), 1) == datetime(2026, 11, 30, 10, 0, tzinfo=berlin)  # Saturday
    assert due((2026, 11, 25, 13, 0), 16) == datetime(2026, 11, 27, 13, 0, tzinfo=berlin)
    assert add_working_hours(NOW, 30, None) == NOW.replace(day=25, hour=18)  # round the clock
