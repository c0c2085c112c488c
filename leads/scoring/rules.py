"""The scoring model as data, and the explanation of one lead's score. Pure code — no database.

A model has fit rules — {"label", "when": a condition in the criteria language, "points": -100..100} — and
engagement rules — {"kind": a touch kind, "points": -100..100, "half_life_days": 1..3650 or null for no
decay, "cap": 1..100}. A lead's

- fit is the sum of the points of the fit rules it meets, held to 0-100;
- engagement is, per touch kind, the sum of each touch's points * weight * 2^(-age / half-life) (each
  rounded to cents), held to ±cap per kind, then summed and held to 0-100;
- score is fit + engagement held to 100, rounded to a whole number;
- grade is a letter for fit (A ≥ 75, B ≥ 50, C ≥ 25, else D) and a digit for engagement (1 ≥ 75, 2 ≥ 50,
  3 ≥ 25, else 4): "A1" is the best.

The explanation lists every rule met and every touch with its points after decay, and every adjustment (a cap,
a bound, the rounding) as a line of its own, so the lines always sum exactly to the score. leads.scoring.sql
computes the same numbers set-based; the arithmetic here mirrors PostgreSQL's step for step (double-precision
decay, converted to numeric at 15 significant digits, rounded half away from zero).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from crm.choices import TouchKind
from leads import criteria

MAX_FIT_RULES = 50
MAX_POINTS = 100
MAX_HALF_LIFE_DAYS = 3650
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
BANDS = (Decimal(75), Decimal(50), Decimal(25))
FIT_FIELDS = tuple(name for name in criteria.FIELDS if name != "score")  # a score cannot depend on itself


@dataclass(frozen=True)
class Line:
    part: str  # "fit", "engagement" or "adjustment"
    label: str
    points: Decimal
    touch_id: int | None = None
    fields: tuple[str, ...] = ()  # the lead fields a fit rule read: hidden from whoever may not see them


@dataclass(frozen=True)
class Explanation:
    fit: Decimal
    engagement: Decimal
    total: Decimal
    score: int
    grade: str
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class TouchFact:
    id: int
    kind: str
    occurred_at: datetime
    weight: Decimal
    campaign: str = ""


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _fit_problems(rules: object) -> list[str]:
    if not isinstance(rules, list) or len(rules) > MAX_FIT_RULES:
        return [f"fit_rules: a list of at most {MAX_FIT_RULES} rules."]
    errors: list[str] = []
    for index, rule in enumerate(rules):
        where = f"fit_rules[{index}]"
        if not isinstance(rule, Mapping) or set(rule) - {"label", "when", "points"} or "when" not in rule:
            errors.append(f'{where}: an object with "when", "points" and an optional "label".')
            continue
        if not _whole(rule.get("points"), -MAX_POINTS, MAX_POINTS) or rule["points"] == 0:
            errors.append(f"{where}.points: a whole number from -{MAX_POINTS} to {MAX_POINTS}, not 0.")
        if "label" in rule and not criteria.is_text(rule["label"]):
            errors.append(f"{where}.label: a string of at most {criteria.MAX_TEXT} characters.")
        when = rule["when"]
        if isinstance(when, Mapping) and when.get("field") == "score":
            errors.append(f"{where}.when.field: fit cannot depend on the score it makes; use one of a lead's fields.")
            continue
        errors += criteria.validate_condition(when, f"{where}.when")
    return errors


def _engagement_problems(rules: object) -> list[str]:
    if not isinstance(rules, list) or len(rules) > len(TouchKind.values):
        return [f"engagement_rules: a list of at most {len(TouchKind.values)} rules, one per touch kind."]
    errors: list[str] = []
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        where = f"engagement_rules[{index}]"
        if not isinstance(rule, Mapping) or set(rule) - {"kind", "points", "half_life_days", "cap"}:
            errors.append(f'{where}: an object with "kind", "points", "half_life_days" and "cap".')
            continue
        kind = rule.get("kind")
        if kind not in TouchKind.values:
            errors.append(
                f"{where}.kind: {criteria.shown(kind)} is not a touch kind; use {', '.join(TouchKind.values)}."
            )
        elif kind in seen:
            errors.append(f"{where}.kind: {kind} has a rule already; one rule per kind.")
        seen.add(kind)
        if not _whole(rule.get("points"), -MAX_POINTS, MAX_POINTS) or rule.get("points") == 0:
            errors.append(f"{where}.points: a whole number from -{MAX_POINTS} to {MAX_POINTS}, not 0.")
        half_life = rule.get("half_life_days")
        if half_life is not None and not _whole(half_life, 1, MAX_HALF_LIFE_DAYS):
            errors.append(f"{where}.half_life_days: days from 1 to {MAX_HALF_LIFE_DAYS}, or null for no decay.")
        if not _whole(rule.get("cap"), 1, MAX_POINTS):
            errors.append(f"{where}.cap: the most this kind adds (or takes), a whole number from 1 to {MAX_POINTS}.")
    return errors


def model_problems(fit_rules: object, engagement_rules: object) -> list[str]:
    """Every problem with a proposed model, each naming where it is (e.g. "fit_rules[2].when.op")."""
    return _fit_problems(fit_rules) + _engagement_problems(engagement_rules)


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decayed(points: int, weight: Decimal, age_seconds: float, half_life_days: int | None) -> Decimal:
    """A touch's points after decay, as PostgreSQL computes them in leads.scoring.sql."""
    if half_life_days is None:
        return round_cents(points * weight)
    factor = 2.0 ** (-(age_seconds / 86400.0 / half_life_days))
    return round_cents(Decimal(format(float(points * weight) * factor, ".15g")))


def grade(fit: Decimal, engagement: Decimal) -> str:
    letter = next((g for g, band in zip("ABC", BANDS, strict=True) if fit >= band), "D")
    digit = next((d for d, band in zip("123", BANDS, strict=True) if engagement >= band), "4")
    return letter + digit


def _bounded(lines: list[Line], raw: Decimal, low: Decimal, high: Decimal, what: str) -> Decimal:
    held = min(max(raw, low), high)
    if held != raw:
        lines.append(Line("adjustment", f"{what} held to {low:.0f}–{high:.0f}", held - raw))
    return held


def _engagement(rules: list[Mapping], touches: list[TouchFact], as_of: datetime, lines: list[Line]) -> Decimal:
    by_kind = {rule["kind"]: rule for rule in rules}
    sums: dict[str, Decimal] = {}
    for touch in sorted(touches, key=lambda t: (t.occurred_at, t.id)):
        rule = by_kind.get(touch.kind)
        if rule is None or touch.occurred_at > as_of:
            continue
        age = (as_of - touch.occurred_at).total_seconds()
        points = decayed(rule["points"], touch.weight, age, rule["half_life_days"])
        label = f"{TouchKind(touch.kind).label} on {touch.occurred_at:%Y-%m-%d}" + (
            f" ({touch.campaign})" if touch.campaign else ""
        )
        lines.append(Line("engagement", label, points, touch.id))
        sums[touch.kind] = sums.get(touch.kind, Decimal(0)) + points
    total = Decimal(0)
    for kind, raw in sums.items():
        cap = Decimal(by_kind[kind]["cap"])
        held = min(max(raw, -cap), cap)
        if held != raw:
            lines.append(Line("adjustment", f"{TouchKind(kind).label} capped at ±{cap:.0f}", held - raw))
        total += held
    return _bounded(lines, total, Decimal(0), HUNDRED, "Engagement")


def explain(
    *, fit_rules: list, engagement_rules: list, lead: Mapping, touches: list[TouchFact], as_of: datetime
) -> Explanation:
    """One lead's score under a model, as of `as_of`, with the lines that make it up."""
    lines: list[Line] = []
    raw_fit = Decimal(0)
    for rule in fit_rules:
        if criteria.evaluate_condition(rule["when"], lead).passed:
            raw_fit += rule["points"]
            label = rule.get("label") or criteria.describe(rule["when"])
            fields = criteria.condition_fields(rule["when"])
            lines.append(Line("fit", label, Decimal(rule["points"]), fields=fields))
    fit = _bounded(lines, raw_fit, Decimal(0), HUNDRED, "Fit")
    engagement = _engagement(engagement_rules, touches, as_of, lines)
    total = _bounded(lines, fit + engagement, Decimal(0), HUNDRED, "Score")
    score = int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if score != total:
        lines.append(Line("adjustment", "Rounded to a whole score", score - total))
    return Explanation(fit, engagement, total, score, grade(fit, engagement), tuple(lines))
