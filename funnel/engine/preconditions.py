"""Precondition kinds of handoff rules: a registry of small classes, each validating its own parameters and
evaluating against a `Context` the transition service prepares. Pure code, no database.

Adding a kind means writing one class with `name`, `validate` and `evaluate` and decorating it with
`@register`; a rule's JSON then uses it as {"kind": "<name>", ...params}. Context fields a new kind needs
are added to `Context` and filled in funnel.services.context.build_context, which loads them only when an
applicable rule uses the kind.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from crm.choices import CollateralKind
from leads import criteria as conditions

COLLATERAL_KINDS = tuple(CollateralKind.values)


@dataclass(frozen=True)
class ActiveDefinition:
    code: str
    version_id: int
    number: int
    criteria: Mapping


@dataclass
class Context:
    lead: Mapping
    now: datetime
    definitions: Mapping[str, ActiveDefinition]
    last_call_report_on: date | None = None
    # (kind, title, version number) of released collateral used with the lead at its current stage
    collateral_used: tuple[tuple[str, str, int], ...] = ()
    used_definitions: list[ActiveDefinition] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str
    fields: tuple[str, ...] = ()  # the lead fields whose values the outcome reveals


REGISTRY: dict[str, type["Precondition"]] = {}


def register(cls: type["Precondition"]) -> type["Precondition"]:
    REGISTRY[cls.name] = cls
    return cls


class Precondition:
    name = ""
    words = ""  # what an editor calls the kind
    params: tuple[str, ...] = ()
    # What the mover can do when this check fails: "update_lead" (fill in facts or fields), "log_call_report",
    # "use_collateral".
    remedy = ""

    @classmethod
    def validate(cls, spec: Mapping, where: str) -> list[str]:
        extra = set(spec) - {"kind", *cls.params}
        missing = set(cls.params) - set(spec)
        errors = [f"{where}: unknown key(s) {', '.join(sorted(extra))}."] if extra else []
        errors += [f"{where}.{name}: required for kind {cls.name}." for name in sorted(missing)]
        return errors or cls.validate_params(spec, where)

    @classmethod
    def validate_params(cls, spec: Mapping, where: str) -> list[str]:
        return []

    @classmethod
    def describe(cls, spec: Mapping) -> str:
        raise NotImplementedError

    @classmethod
    def evaluate(cls, spec: Mapping, ctx: Context) -> Outcome:
        raise NotImplementedError


def _positive_int(spec: Mapping, key: str, where: str, maximum: int) -> list[str]:
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        return [f"{where}.{key}: must be a whole number from 1 to {maximum}."]
    return []


@register
class DefinitionMet(Precondition):
    """The lead meets the active (signed-off) version of a lead definition, e.g. SQL."""

    name = "definition_met"
    words = "meets a definition"
    remedy = "update_lead"
    params = ("level",)

    @classmethod
    def validate_params(cls, spec, where):
        level = spec["level"]
        if isinstance(level, str) and 0 < len(level) <= 20:
            return []
        return [f"{where}.level: must name a definition, e.g. MQL."]

    @classmethod
    def describe(cls, spec):
        return f"meets {spec['level']}"

    @classmethod
    def evaluate(cls, spec, ctx):
        active = ctx.definitions.get(spec["level"])
        if active is None:
            return Outcome(False, f"{spec['level']} has no active, signed-off version")
        ctx.used_definitions.append(active)
        failed = [r for r in conditions.evaluate_criteria(active.criteria, ctx.lead) if not r.passed]
        if failed:
            details = "; ".join(f"{r.label} ({r.reason})" for r in failed)
            fields = tuple(dict.fromkeys(name for r in failed for name in r.fields))
            return Outcome(False, f"{active.code} v{active.number} not met: {details}", fields)
        # Whether a lead meets MQL/SAL/SQL is the shared language both teams read; only the values are not.
        return Outcome(True, f"{active.code} v{active.number} met")


@register
class RequiredFields(Precondition):
    name = "required_fields"
    words = "has these fields filled in"
    params = ("fields",)
    remedy = "update_lead"

    @classmethod
    def validate_params(cls, spec, where):
        fields = spec["fields"]
        if (
            not isinstance(fields, list)
            or not fields
            or not all(isinstance(f, str) and f in conditions.FIELDS for f in fields)
            or len(set(fields)) < len(fields)
        ):
            return [f"{where}.fields: must be a list of distinct lead fields ({', '.join(conditions.FIELDS)})."]
        return []

    @classmethod
    def describe(cls, spec):
        return f"has {', '.join(spec['fields'])}"

    @classmethod
    def evaluate(cls, spec, ctx):
        missing = [name for name in spec["fields"] if ctx.lead.get(name) in (None, "")]
        reason = f"missing {', '.join(missing)}" if missing else "all present"
        return Outcome(not missing, reason, tuple(spec["fields"]))


@register
class MinScore(Precondition):
    name = "min_score"
    words = "has at least this score"
    params = ("score",)

    @classmethod
    def validate_params(cls, spec, where):
        return _positive_int(spec, "score", where, 100)

    @classmethod
    def describe(cls, spec):
        return f"score ≥ {spec['score']}"

    @classmethod
    def evaluate(cls, spec, ctx):
        score = ctx.lead.get("score") or 0
        return Outcome(score >= spec["score"], f"score is {score}", ("score",))


@register
class CallReportWithinDays(Precondition):
    """Sales has logged a call report on the lead within the last N days."""

    name = "call_report_within_days"
    words = "has a call report within N days"
    remedy = "log_call_report"
    params = ("days",)

    @classmethod
    def validate_params(cls, spec, where):
        return _positive_int(spec, "days", where, 3650)

    @classmethod
    def describe(cls, spec):
        return f"call report within {spec['days']} days"

    @classmethod
    def evaluate(cls, spec, ctx):
        last = ctx.last_call_report_on
        if last is None:
            return Outcome(False, "no call report logged")
        age = (ctx.now.date() - last).days
        return Outcome(age <= spec["days"], f"last call report {age} days ago ({last.isoformat()})")


@register
class CollateralUsed(Precondition):
    """Released collateral (of one of the given kinds; any when none given) was used with the lead at the stage
    it is leaving: e.g. no proposal before the case study went out."""

    name = "collateral_used"
    words = "has had released collateral used at this stage"
    remedy = "use_collateral"
    params = ("kinds",)

    @classmethod
    def validate_params(cls, spec, where):
        kinds = spec["kinds"]
        if not isinstance(kinds, list) or not all(k in COLLATERAL_KINDS for k in kinds) or len(set(kinds)) < len(kinds):
            return [
                f"{where}.kinds: a list of distinct collateral kinds from {', '.join(COLLATERAL_KINDS)} ([] = any)."
            ]
        return []

    @classmethod
    def describe(cls, spec):
        return f"released {' or '.join(spec['kinds']) or 'collateral'} used at this stage"

    @classmethod
    def evaluate(cls, spec, ctx):
        matching = [use for use in ctx.collateral_used if not spec["kinds"] or use[0] in spec["kinds"]]
        if not matching:
            return Outcome(False, "no released collateral of that kind used at this stage")
        _, title, number = matching[0]
        return Outcome(True, f"{title} v{number} used")


MAX_PRECONDITIONS = 20


def validate_preconditions(specs: object) -> list[str]:
    if not isinstance(specs, list) or len(specs) > MAX_PRECONDITIONS:
        return [f"preconditions: must be a list of at most {MAX_PRECONDITIONS}."]
    errors: list[str] = []
    for index, spec in enumerate(specs):
        where = f"preconditions[{index}]"
        kind = spec.get("kind") if isinstance(spec, Mapping) else None
        if not isinstance(kind, str) or kind not in REGISTRY:
            errors.append(
                f"{where}.kind: {conditions.shown(kind)} is not a precondition kind; use {', '.join(REGISTRY)}."
            )
            continue
        errors += REGISTRY[kind].validate(spec, where)
    return errors


def evaluate_precondition(spec: Mapping, ctx: Context) -> tuple[str, Outcome]:
    kind = REGISTRY[spec["kind"]]
    return kind.describe(spec), kind.evaluate(spec, ctx)


def remedy_for(spec: Mapping) -> str:
    return REGISTRY[spec["kind"]].remedy
