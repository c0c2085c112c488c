"""The criteria language over history: the same SQL conditions that select leads (leads.scoring.sql.criteria_q,
over the lead's columns) applied to the snapshot each transition kept of the lead as it was then
(Transition.context). Only the source of the c_<field> values differs, so one compiler and one validator serve
both, and the Python evaluator (leads.criteria) is the third voice a property test holds them to.

Every value is a bound parameter or a column; nothing a user typed becomes SQL text."""

from django.db.models import BooleanField, DecimalField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from funnel.models import Transition
from leads import criteria

_CAST = {
    criteria.NUMBER: lambda path: Cast(KT(path), DecimalField(max_digits=30, decimal_places=10)),
    criteria.BOOL: lambda path: Cast(KT(path), BooleanField()),
    criteria.TEXT: lambda path: KT(path),
}


def snapshot_columns(prefix: str = "context__lead__") -> dict:
    """c_<field> for every field of the criteria language, read from the JSON snapshot at `prefix`."""
    return {f"c_{name}": _CAST[kind](f"{prefix}{name}") for name, kind in criteria.FIELDS.items()}


def with_history_snapshot(transitions: QuerySet[Transition]) -> QuerySet[Transition]:
    """`transitions` annotated with the lead's values as each move saw them; criteria_q then filters them."""
    return transitions.annotate(**snapshot_columns())
