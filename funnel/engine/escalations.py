"""Escalations of handoff rules: when a condition on the lead holds, a user with a named role must be
involved (added as a participant) or must approve the move before it happens.

    {"when": {"field": "expected_value", "op": "gte", "value": 2000000}, "role": "revenue_leader",
     "action": "involve" | "approve"}
"""

from collections.abc import Mapping

from accounts.choices import Role
from leads import criteria as conditions

INVOLVE, APPROVE = "involve", "approve"


MAX_ESCALATIONS = 10


def validate_escalations(specs: object) -> list[str]:
    if not isinstance(specs, list) or len(specs) > MAX_ESCALATIONS:
        return [f"escalations: must be a list of at most {MAX_ESCALATIONS}."]
    errors: list[str] = []
    for index, spec in enumerate(specs):
        where = f"escalations[{index}]"
        if not isinstance(spec, Mapping):
            errors.append(f"{where}: must be an object.")
            continue
        extra = set(spec) - {"when", "role", "action"}
        if extra:
            errors.append(f"{where}: unknown key(s) {', '.join(sorted(extra))}.")
        errors += conditions.validate_condition(spec.get("when"), f"{where}.when")
        if spec.get("role") not in Role.values:
            errors.append(
                f"{where}.role: {conditions.shown(spec.get('role'))} is not a role; use {', '.join(Role.values)}."
            )
        if spec.get("action") not in (INVOLVE, APPROVE):
            errors.append(f"{where}.action: must be involve or approve.")
    return errors


def triggered(spec: Mapping, lead: Mapping) -> conditions.Result:
    return conditions.evaluate_condition(spec["when"], lead)


def describe(spec: Mapping) -> str:
    verb = "approves" if spec["action"] == APPROVE else "is involved"
    return f"a {Role(spec['role']).label.lower()} {verb} when {conditions.describe(spec['when'])}"
