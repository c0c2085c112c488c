"""Lists that work at a million rows: keyset pages in any of a few indexed orders, and a total that is exact
when small and PostgreSQL's estimate ("about 1.2 M") when not — never a COUNT(*) over the whole table."""

import base64
import binascii
import json
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Model, Q, QuerySet

EXACT_UP_TO = 1000
MAX_CURSOR_TEXT = 300  # longer than any sortable column holds


@dataclass(frozen=True)
class Sort:
    key: str
    label: str
    fields: tuple[str, ...]  # order_by fields, the last one unique (the id); "-" for descending


def _after(fields: tuple[str, ...], values: list) -> Q:
    """Rows after `values` in the order of `fields`: a > x OR (a = x AND (b > y OR (b = y AND ...)))."""
    condition = Q()
    for index in reversed(range(len(fields))):
        name, descending = fields[index].lstrip("-"), fields[index].startswith("-")
        step = Q(**{f"{name}__{'lt' if descending else 'gt'}": values[index]})
        if index < len(fields) - 1:
            step |= Q(**{name: values[index]}) & condition
        condition = step
    return condition


def encode_cursor(row, sort: Sort) -> str:
    values = [getattr(row, field.lstrip("-")) for field in sort.fields]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def decode_cursor(token: str, sort: Sort, model: type[Model]) -> list | None:
    """The position a cursor stands for, or None if it is not one this page could have made: every value must
    be one its column could hold, or the database would be asked to compare a score with a word."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        return None
    if not isinstance(values, list) or len(values) != len(sort.fields):
        return None
    if not all(_holds(model, field.lstrip("-"), value) for field, value in zip(sort.fields, values, strict=True)):
        return None
    return values


def _holds(model: type[Model], name: str, value: object) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    internal = field.get_internal_type()
    if internal.endswith(("IntegerField", "AutoField")):
        low, high = connection.ops.integer_field_range(internal.replace("AutoField", "IntegerField"))
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if not isinstance(value, str) or len(value) > MAX_CURSOR_TEXT or "\x00" in value:
        return False
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


def keyset_page(rows: QuerySet, sort: Sort, cursor: str, size: int) -> tuple[list, str | None, bool]:
    """(a page of rows in `sort` order after `cursor`, the next page's cursor, whether the cursor was valid)."""
    valid = True
    if cursor:
        position = decode_cursor(cursor, sort, rows.model)
        if position is None:
            valid = False
        else:
            rows = rows.filter(_after(sort.fields, position))
    page = list(rows.order_by(*sort.fields)[: size + 1])
    following = encode_cursor(page[size - 1], sort) if len(page) > size else None
    return page[:size], following, valid


def approximate_count(rows: QuerySet) -> tuple[int, bool]:
    """(how many rows, whether that is exact): exact up to EXACT_UP_TO by a bounded count, else the planner's
    estimate for this very query (its filters and visibility included) — cheap at any size."""
    exact = rows.order_by()[: EXACT_UP_TO + 1].count()
    if exact <= EXACT_UP_TO:
        return exact, True
    sql, params = rows.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_UP_TO + 1), False


def about(count: int, exact: bool) -> str:
    """ "37", "about 4,300", "about 12 k", "about 1.2 M"."""
    if exact:
        return f"{count:,}"
    if count >= 1_000_000:
        return f"about {count / 1_000_000:.1f} M"
    if count >= 10_000:
        return f"about {round(count / 1000):,} k"
    return f"about {round(count, -2):,}"
