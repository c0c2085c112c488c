"""Writing many rows of a model with PostgreSQL's COPY instead of one INSERT with thousands of parameters:
the ids are taken from the table's own sequence first (so the caller knows them, as bulk_create would tell
it), then the rows stream in. Row triggers fire for COPY as for INSERT (the owner-stage counts, the audit
history), and every constraint is checked; only Django's per-value preparation is skipped, so values must
already be what the column stores (JSON fields are serialised here). `copy_values` takes plain tuples where a
model instance per row would cost more than the row's write (an import chunk's history rows and report)."""

import json
from collections.abc import Sequence

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone


def _ids(table: str, n: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
        return [row[0] for row in cursor.fetchall()]


def _json(value: object) -> object:
    return value if value is None else json.dumps(value, cls=DjangoJSONEncoder)


def _value(field: models.Field, value: object) -> object:
    if isinstance(field, models.JSONField) and value is not None:
        return json.dumps(value, cls=DjangoJSONEncoder)
    return value


def copy_insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """Inserts `objects` (unsaved) and sets their primary keys."""
    if not objects:
        return
    table = model._meta.db_table
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    always = [f.attname for f in fields if getattr(f, "auto_now", False)]
    if_unset = [f.attname for f in fields if getattr(f, "auto_now_add", False)]
    for obj, pk in zip(objects, _ids(table, len(objects)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        for name in always:
            setattr(obj, name, now)
        for name in if_unset:
            if getattr(obj, name) is None:
                setattr(obj, name, now)
    columns = ", ".join(["id", *(connection.ops.quote_name(f.column) for f in fields)])
    # Django's error wrapper: a unique key the COPY breaks is an IntegrityError, as it is from an INSERT.
    statement = f"COPY {table} ({columns}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            copy.write_row([obj.pk, *(_value(f, getattr(obj, f.attname)) for f in fields)])


def copy_values(model: type[models.Model], names: Sequence[str], rows: list[tuple]) -> list[int]:
    """Inserts `rows`, tuples of the attributes `names` (attribute names: `lead_id`, not `lead`); every other
    column gets its field's default (`auto_now_add`: now). Returns the new ids in the rows' order."""
    if not rows:
        return []
    fields = {f.attname: f for f in model._meta.concrete_fields if not f.primary_key}
    unknown = set(names) - set(fields)
    if unknown:
        raise ValueError(f"{model.__name__} has no column for {sorted(unknown)}.")
    now = timezone.now()
    rest = [f for name, f in fields.items() if name not in names]
    filled = [_value(f, now if getattr(f, "auto_now_add", False) else f.get_default()) for f in rest]
    as_json = [isinstance(fields[name], models.JSONField) for name in names]
    table = model._meta.db_table
    ids = _ids(table, len(rows))
    columns = ", ".join(["id", *(connection.ops.quote_name(f.column) for f in (*map(fields.get, names), *rest))])
    statement = f"COPY {table} ({columns}) FROM STDIN"
    with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for pk, row in zip(ids, rows, strict=True):
            values = [_json(v) if j else v for v, j in zip(row, as_json, strict=True)]
            copy.write_row([pk, *values, *filled])
    return ids
