"""The questionnaire: twenty statements about how marketing and sales work together, each rated 1-5.

It follows the structure of the Kotler-Rackham-Krishnaswamy diagnostic (HBR, 2006): twenty positively worded
statements, no reverse scoring, a total from 20 to 100, four bands with inclusive bounds. The wording is ours.
The groups are ours too and serve the dashboard only: they never change a total or a band.

Pure code: no database, so the bands and the checks are tested without one.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from funnel.diagnostic.choices import Level

SCALE = (1, 5)
SCALE_LABELS = {1: "Strongly disagree", 2: "Disagree", 3: "Neither", 4: "Agree", 5: "Strongly agree"}

STATEMENTS: dict[int, str] = {
    1: "Our sales results usually land close to what we forecast.",
    2: "When results disappoint, marketing and sales look for the cause together instead of blaming each other.",
    3: "Marketers often talk with our key customers while a deal is still open.",
    4: "Sales has a real say when marketing writes its plan.",
    5: "Reps rely on marketing's material because it helps them sell.",
    6: "Reps give marketing the field feedback it asks for without being chased.",
    7: "Marketing and sales use the same words for the same things.",
    8: "The two heads regularly talk about where the market is going: new ideas, customer trends, product direction.",
    9: "Marketing and sales agree together on how buyers in each segment make their decisions.",
    10: "Our joint meetings are spent planning ahead, not settling disputes or fighting fires.",
    11: "The two heads plan together what we will launch two or more years from now.",
    12: "Both teams are judged by shared numbers that we look at and discuss together.",
    13: "Marketing helps shape and carry out the plan for each key account.",
    14: "We work on one funnel both teams designed together, from spotting demand to serving the customer.",
    15: "Marketing digs into funnel data to make our pipeline more predictable and more productive.",
    16: "People on both sides feel they win or lose together.",
    17: "Marketing and sales answer to the same executive.",
    18: "People often move from marketing to sales and back.",
    19: "Marketing and sales design and run training and events for their people together.",
    20: "Each team helps prepare and present the other's plans to senior management.",
}

# For the dashboard only: which statements speak about which part of the relationship.
GROUPS: dict[str, tuple[str, tuple[int, ...]]] = {
    "outcomes": ("Results", (1,)),
    "culture": ("Culture", (2, 10, 16)),
    "accounts": ("Key accounts", (3, 9, 13)),
    "planning": ("Planning together", (4, 8, 11, 20)),
    "enablement": ("Material and feedback", (5, 6)),
    "language": ("Shared language and numbers", (7, 12, 15)),
    "process": ("One process", (14,)),
    "structure": ("Structure", (17, 18, 19)),
}

# Lower bound of each band, inclusive: 20–39 undefined, 40–59 defined, 60–79 aligned, 80–100 integrated.
BANDS = [(80, Level.INTEGRATED), (60, Level.ALIGNED), (40, Level.DEFINED), (20, Level.UNDEFINED)]


def band(total: float) -> Level:
    """The band of a total (a respondent's, or a mean: 59.5 is still below 60, so defined)."""
    if not 20 <= total <= 100:
        raise ValueError(f"A total runs from 20 to 100, not {total}.")
    return next(level for lower, level in BANDS if total >= lower)


@dataclass(frozen=True)
class Statement:
    number: int
    text: str
    group: str


def statement_list() -> list[Statement]:
    by_number = {n: key for key, (_, numbers) in GROUPS.items() for n in numbers}
    return [Statement(n, text, by_number[n]) for n, text in STATEMENTS.items()]


def answers_check(raw: object) -> dict[int, int]:
    """`raw` as {statement number: rating}, or a ValidationError naming every statement that is missing,
    out of range, not a whole number, or not a statement at all ("answers.7": [...])."""
    if not isinstance(raw, dict):
        raise ValidationError({"answers": ['Send an object of 20 ratings, e.g. {"1": 4, "2": 3, …}.']})
    low, high = SCALE
    errors: dict[str, list[str]] = {}
    answers: dict[int, int] = {}
    seen: set[int] = set()
    for key, value in raw.items():
        number = int(key) if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) < 4 else None
        if number in seen:
            number = None  # "1" and "01": one statement answered twice
        seen.add(number)
        if number not in STATEMENTS:
            errors[f"answers.{str(key)[:20]}"] = [f"There is no statement {str(key)[:20]!r}: they are numbered 1–20."]
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[f"answers.{number}"] = [
                f"Statement {number}: a whole number from {low} to {high}, not {value!r:.20}."
            ]
        elif not low <= value <= high:
            errors[f"answers.{number}"] = [f"Statement {number}: {value} is outside the scale {low}–{high}."]
        else:
            answers[number] = value
    for number in STATEMENTS:
        if number not in seen:
            errors[f"answers.{number}"] = [f"Statement {number} is not answered: every statement needs a rating."]
    if errors:
        raise ValidationError(errors)
    return dict(sorted(answers.items()))


def group_means(answer_sets: list[dict[int, int]]) -> dict[str, float]:
    """Each group's mean rating (1-5) over all the answer sets; empty when there are none."""
    if not answer_sets:
        return {}
    return {
        key: round(sum(a[n] for a in answer_sets for n in numbers) / (len(numbers) * len(answer_sets)), 2)
        for key, (_, numbers) in GROUPS.items()
    }
