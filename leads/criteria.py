"""The criteria language of lead definitions, escalation triggers and scoring's fit rules: structured,
validated conditions over lead fields, qualification facts and score. Pure code — no database — so it is
unit-tested directly; leads.scoring.sql translates the same conditions to SQL for set-based scoring.

A criteria document is {"conditions": [condition, ...]}; every condition must pass. A condition is either

    {"field": "score", "op": "gte", "value": 40}
    {"facts": ["budget", "authority", "need", "timeline"], "at_least": 3}     (BANT 3-of-4)

and may carry a "label" that names it in results.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

NUMBER, TEXT, BOOL = "number", "text", "bool"

FIELDS: dict[str, str] = {
    "score": NUMBER,
    "expected_value": NUMBER,
    "employees": NUMBER,
    "size_band": TEXT,
    "segment": TEXT,
    "territory": TEXT,
    "industry": TEXT,
    "title": TEXT,
    "email": TEXT,
    "phone": TEXT,
    "company": TEXT,
    "source_campaign": TEXT,
    "currency": TEXT,
    "key_account": BOOL,
    "has_budget": BOOL,
    "has_authority": BOOL,
    "has_need": BOOL,
    "has_timeline": BOOL,
}
FACTS = ("budget", "authority", "need", "timeline")

OPERATORS: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "present", "absent"),
    TEXT: ("eq", "ne", "in", "not_in", "present", "absent"),
    BOOL: ("is_true", "is_false", "present", "absent"),
}
NO_VALUE = {"present", "absent", "is_true", "is_false"}
SYMBOLS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "in": "in", "not_in": "not in"}
# The ranges the lead's own columns hold: a threshold outside them can never be met (or never fail).
NUMBER_RANGES = {
    "score": (Decimal(0), Decimal(100)),
    "expected_value": (Decimal(0), Decimal("999999999999.99")),
    "employees": (Decimal(0), Decimal(2**31 - 1)),
}
MAX_CONDITIONS = 50
MAX_TEXT = 200
MAX_CHOICES = 100


@dataclass(frozen=True)
class Result:
    label: str
    passed: bool
    reason: str
    fields: tuple[str, ...] = ()  # the lead fields whose values `passed` and `reason` reveal


def shown(value: object) -> str:
    """A value as an error message quotes it: never more than a line, whatever was sent."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def is_text(value: object, limit: int = MAX_TEXT) -> bool:
    return isinstance(value, str) and len(value) <= limit


def as_number(value: object) -> Decimal | None:
    """The finite number a criteria value stands for (int, float or numeric string), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str) or len(str(value)) > 40:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _validate_value(where: str, field: str, op: str, condition: Mapping) -> list[str]:
    if op in NO_VALUE:
        return [f"{where}.value: operator {op} takes no value."] if "value" in condition else []
    if "value" not in condition:
        return [f"{where}.value: operator {op} needs a value."]
    value = condition["value"]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not 0 < len(value) <= MAX_CHOICES or not all(map(is_text, value)):
            return [f"{where}.value: operator {op} needs a list of 1 to {MAX_CHOICES} strings of at most {MAX_TEXT}."]
        return []
    if FIELDS[field] == NUMBER:
        low, high = NUMBER_RANGES[field]
        number = as_number(value)
        if number is None or not low <= number <= high:
            return [f"{where}.value: {shown(value)} is not a number from {low} to {high}."]
        return []
    return [] if is_text(value) else [f"{where}.value: {shown(value)} is not a string of at most {MAX_TEXT}."]


def _validate_facts(where: str, condition: Mapping) -> list[str]:
    facts = condition["facts"]
    if (
        not isinstance(facts, list)
        or not facts
        or not all(isinstance(f, str) and f in FACTS for f in facts)
        or len(set(facts)) < len(facts)
    ):
        return [f"{where}.facts: must be a list of distinct facts from {', '.join(FACTS)}."]
    at_least = condition.get("at_least", len(facts))
    if isinstance(at_least, bool) or not isinstance(at_least, int) or not 1 <= at_least <= len(facts):
        return [f"{where}.at_least: must be a whole number from 1 to {len(facts)}."]
    return []


def validate_condition(condition: object, where: str) -> list[str]:
    """Every problem with one condition, each prefixed with where it is (e.g. "conditions[2].op")."""
    if not isinstance(condition, Mapping):
        return [f"{where}: must be an object."]
    if "label" in condition and not is_text(condition["label"]):
        return [f"{where}.label: must be a string of at most {MAX_TEXT} characters."]
    if "facts" in condition:
        extra = set(condition) - {"facts", "at_least", "label"}
        return [f"{where}: unknown key(s) {', '.join(sorted(extra))}."] if extra else _validate_facts(where, condition)
    field = condition.get("field")
    if not isinstance(field, str) or field not in FIELDS:
        return [f"{where}.field: {shown(field)} is not a lead field; use one of {', '.join(FIELDS)}."]
    extra = set(condition) - {"field", "op", "value", "label"}
    if extra:
        return [f"{where}: unknown key(s) {', '.join(sorted(extra))}."]
    kind, op = FIELDS[field], condition.get("op")
    if not isinstance(op, str) or op not in OPERATORS[kind]:
        return [
            f"{where}.op: {shown(op)} is not an operator for {kind} field {field}; use {', '.join(OPERATORS[kind])}."
        ]
    return _validate_value(where, field, op, condition)


def validate_criteria(document: object) -> list[str]:
    if not isinstance(document, Mapping) or set(document) != {"conditions"}:
        return ['criteria: must be an object with exactly one key, "conditions".']
    conditions = document["conditions"]
    if not isinstance(conditions, list) or not 0 < len(conditions) <= MAX_CONDITIONS:
        return [f"criteria.conditions: must be a list of 1 to {MAX_CONDITIONS} conditions."]
    errors: list[str] = []
    for index, condition in enumerate(conditions):
        errors += validate_condition(condition, f"criteria.conditions[{index}]")
    return errors


OPERATOR_WORDS = {
    "eq": "is",
    "ne": "is not",
    "gt": "is more than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "in": "is one of",
    "not_in": "is none of",
    "present": "is filled in",
    "absent": "is empty",
    "is_true": "is confirmed",
    "is_false": "is ruled out",
}


def language() -> dict:
    """The criteria language as data, for editors that build documents this module then validates."""
    return {
        "fields": [{"name": name, "kind": kind} for name, kind in FIELDS.items()],
        "operators": {kind: [{"op": op, "words": OPERATOR_WORDS[op]} for op in ops] for kind, ops in OPERATORS.items()},
        "no_value": sorted(NO_VALUE),
        "facts": list(FACTS),
        "ranges": {name: [str(low), str(high)] for name, (low, high) in NUMBER_RANGES.items()},
        "max_conditions": MAX_CONDITIONS,
    }


def describe(condition: Mapping) -> str:
    if "label" in condition:
        return condition["label"]
    if "facts" in condition:
        at_least = condition.get("at_least", len(condition["facts"]))
        return f"at least {at_least} of {', '.join(condition['facts'])} confirmed"
    op = condition["op"]
    if op in NO_VALUE:
        return f"{condition['field']} {OPERATOR_WORDS[op]}"
    value = condition["value"]
    shown = ", ".join(value) if isinstance(value, list) else value
    return f"{condition['field']} {SYMBOLS[op]} {shown}"


def _compare(op: str, actual: object, expected: object, kind: str) -> bool:
    if op == "present":
        return actual not in (None, "")
    if op == "absent":
        return actual in (None, "")
    if op in ("is_true", "is_false"):
        return actual is (op == "is_true")
    if actual in (None, ""):
        return op in ("ne", "not_in")
    if op in ("in", "not_in"):
        return (str(actual) in expected) is (op == "in")  # type: ignore[operator]
    if kind == NUMBER:
        actual, expected = Decimal(str(actual)), as_number(expected)
    comparisons = {
        "eq": actual == expected,
        "ne": actual != expected,
        "gt": actual > expected,  # type: ignore[operator]
        "gte": actual >= expected,  # type: ignore[operator]
        "lt": actual < expected,  # type: ignore[operator]
        "lte": actual <= expected,  # type: ignore[operator]
    }
    return comparisons[op]


def condition_fields(condition: Mapping) -> tuple[str, ...]:
    """The lead fields a valid condition reads."""
    if "facts" in condition:
        return tuple(f"has_{fact}" for fact in condition["facts"])
    return (condition["field"],)


def evaluate_condition(condition: Mapping, lead: Mapping) -> Result:
    label, fields = describe(condition), condition_fields(condition)
    if "facts" in condition:
        confirmed = [fact for fact in condition["facts"] if lead.get(f"has_{fact}") is True]
        needed = condition.get("at_least", len(condition["facts"]))
        passed = len(confirmed) >= needed
        reason = f"{len(confirmed)} confirmed ({', '.join(confirmed) or 'none'}), {needed} needed"
        return Result(label, passed, reason, fields)
    field = condition["field"]
    actual = lead.get(field)
    passed = _compare(condition["op"], actual, condition.get("value"), FIELDS[field])
    shown = "empty" if actual in (None, "") else (repr(actual) if isinstance(actual, str) else str(actual))
    return Result(label, passed, f"{field} is {shown}", fields)


def evaluate_criteria(document: Mapping, lead: Mapping) -> list[Result]:
    return [evaluate_condition(condition, lead) for condition in document["conditions"]]


def lead_snapshot(lead) -> dict:
    """The values conditions compare, from a loaded lead and its company (company fields fill blank ones)."""
    company = lead.company if lead.company_id else None
    return {
        "score": lead.score,
        "expected_value": lead.expected_value,
        "employees": company.employees if company else None,
        "size_band": company.size_band if company else "",
        "segment": lead.segment or (company.segment if company else ""),
        "territory": lead.territory or (company.territory if company else ""),
        "industry": lead.industry or (company.industry if company else ""),
        "title": lead.title,
        "email": lead.email,
        "phone": lead.phone,
        "company": company.name if company else lead.company_name,
        "source_campaign": str(lead.source_campaign_id or ""),
        "currency": lead.currency,
        # Without a linked company nobody knows: neither a key account nor ruled one out (like employees).
        "key_account": company.is_key_account if company else None,
        "has_budget": lead.has_budget,
        "has_authority": lead.has_authority,
        "has_need": lead.has_need,
        "has_timeline": lead.has_timeline,
    }
