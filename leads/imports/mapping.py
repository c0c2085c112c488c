"""Which file column feeds which field: the targets an import may fill, and the checks on a mapping and on
defaults before any row is read."""

import math

from django.core.exceptions import ValidationError

from crm.choices import TouchKind

LEAD_TARGETS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company_name",
    "segment",
    "territory",
    "industry",
    "source_campaign",
    "expected_value",
    "gross_margin",
    "currency",
    "has_budget",
    "has_authority",
    "has_need",
    "has_timeline",
    "owner",
    "stage",
    "stage_reason",
)
COMPANY_TARGETS = ("domain", "name", "industry", "segment", "territory", "employees", "size_band")
CONTACT_TARGETS = ("first_name", "last_name", "email", "phone", "title", "buying_role")
TOUCH_TARGETS = ("kind", "occurred_at", "campaign", "weight")
TARGETS = frozenset(
    [f"lead.{t}" for t in LEAD_TARGETS]
    + [f"company.{t}" for t in COMPANY_TARGETS]
    + [f"contact.{t}" for t in CONTACT_TARGETS]
    + [f"touch.{t}" for t in TOUCH_TARGETS]
)
MAX_COLUMN = 200
MAX_DEFAULT = 500


def mapping_guess(columns: list[str]) -> dict[str, str]:
    """A first mapping from the header: a column named like a target (`email`, `lead.email`, `Last name`)
    maps to it, so a file made for this importer needs no mapping at all."""
    guessed = {}
    for column in columns:
        key = column.strip().lower().replace(" ", "_").replace("-", "_")
        for candidate in (key, f"lead.{key}", f"lead.{key.removeprefix('lead_')}"):
            if candidate in TARGETS and candidate not in guessed.values():
                guessed[column] = candidate
                break
    return guessed


def mapping_problems(mapping: object) -> dict[str, str]:
    """Problems of a mapping, by column: it must be {column: target}, each target once."""
    if not isinstance(mapping, dict) or not mapping:
        return {"mapping": 'An object of file column → target, e.g. {"E-mail": "lead.email"}.'}
    problems, seen = {}, {}
    for column, target in mapping.items():
        if not isinstance(column, str) or not 0 < len(column) <= MAX_COLUMN or "\x00" in column:
            problems["mapping"] = f"Column names are 1 to {MAX_COLUMN} characters."
            continue
        if target not in TARGETS:
            problems[f"mapping.{column}"] = (
                f"{str(target)[:60]!r} is not a target; use one of {', '.join(sorted(TARGETS))}."
            )
        elif target in seen:
            problems[f"mapping.{column}"] = f"{target} is already fed by column {seen[target]!r}."
        else:
            seen[target] = column
    if not problems and "lead.email" not in seen:
        problems["mapping"] = "Map a column to lead.email: an imported lead is recognised by its e-mail on a rerun."
    return problems


def defaults_problems(defaults: object) -> dict[str, str]:
    if not isinstance(defaults, dict):
        return {"defaults": 'An object of target → value, e.g. {"lead.source_campaign": "Website"}.'}
    problems = {}
    for target, value in defaults.items():
        if target not in TARGETS:
            problems[f"defaults.{str(target)[:60]}"] = "Not a target."
        elif problem := _default_problem(value):
            problems[f"defaults.{target}"] = problem
    if defaults.get("touch.kind") not in (None, *TouchKind.values):
        problems["defaults.touch.kind"] = f"One of {', '.join(TouchKind.values)}."
    return problems


def _default_problem(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return f"A text or finite number of at most {MAX_DEFAULT} characters."
    # A default fills a cell with its text; json reads 1e999 as infinity, which no field takes and jsonb refuses.
    if (isinstance(value, float) and not math.isfinite(value)) or len(str(value)) > MAX_DEFAULT:
        return f"A text or finite number of at most {MAX_DEFAULT} characters."
    return "Contains a NUL character." if "\x00" in str(value) else ""


def mapping_check(mapping: object, defaults: object) -> None:
    problems = {**mapping_problems(mapping), **defaults_problems(defaults)}
    if problems:
        raise ValidationError(problems)


def maps_touches(mapping: object, defaults: object) -> bool:
    """Whether a mapping or defaults fill touches. Asked before mapping_check (who may import comes first), so
    anything that is not an object yet fills none; mapping_check then refuses it by name."""
    targets = [
        *(mapping.values() if isinstance(mapping, dict) else ()),
        *(defaults if isinstance(defaults, dict) else ()),
    ]
    return any(str(t).startswith("touch.") for t in targets)
