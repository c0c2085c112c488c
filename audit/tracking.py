"""pghistory, with the change written into the event itself.

pghistory stores a snapshot of the tracked fields per event and derives a diff when it is read, from the
previous event of the same object. That diff is missing for every row that existed before auditing began (its
first event has nothing to compare with) and costs a correlated subquery per row on every read. Here the
trigger that writes the event also writes `pgh_diff` = {column: [old, new]} for the tracked columns that
changed (an insert lists the values it was created with, a delete the values it had), so each row of the log
says what changed on its own, and it is protected with the row (append-only).

Every event table takes its id from one sequence, so ids order events across tables (the log is one view over
all of them, walked by id) and never repeat between tables.
"""

import pghistory
import pghistory.models
import pgtrigger
from django.db import models
from pghistory.trigger import Event as EventTrigger

EVENT_ID_SEQUENCE = "audit_event_id"


class AuditEvent(pghistory.models.Event):
    """The base of every event model here: a global id, the change itself, and the context (who, how)."""

    pgh_id = models.BigIntegerField(
        primary_key=True, db_default=models.Func(models.Value(EVENT_ID_SEQUENCE), function="nextval")
    )
    pgh_diff = models.JSONField(null=True, help_text="Tracked column → [old, new], for the columns this event set.")

    class Meta:
        abstract = True


def _tracked_columns(event_model) -> list[str]:
    tracked = {field.name for field in event_model.pgh_tracked_model._meta.fields}
    return sorted(
        field.column
        for field in event_model._meta.fields
        if field.name in tracked and field.concrete and not field.name.startswith("pgh_")
    )


def _diff_sql(row: str, columns: list[str]) -> str:
    """SQL for {column: [old, new]}: changed columns of an update, non-empty ones of an insert or delete."""
    names = "ARRAY[" + ", ".join(f"'{column}'" for column in columns) + "]::text[]"
    empty = "('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb)"
    if row == "UPDATE":
        return (
            "(SELECT jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)) "
            "FROM jsonb_each(to_jsonb(NEW)) n JOIN jsonb_each(to_jsonb(OLD)) o ON o.key = n.key "
            f"WHERE n.key = ANY({names}) AND n.value IS DISTINCT FROM o.value)"
        )
    pair = "jsonb_build_array(NULL, e.value)" if row == "NEW" else "jsonb_build_array(e.value, NULL)"
    return (
        f"(SELECT jsonb_object_agg(e.key, {pair}) FROM jsonb_each(to_jsonb({row})) e "
        f"WHERE e.key = ANY({names}) AND e.value NOT IN {empty})"
    )


class DiffEventTrigger(EventTrigger):
    """pghistory's event trigger, also filling `pgh_diff` (row level: it reads OLD and NEW)."""

    def get_func(self, model):
        func = super().get_func(model)
        table = self.event_model._meta.db_table
        head, values = f'INSERT INTO "{table}" (', " VALUES ("
        if func.func.count(head) != 1 or func.func.count(values) != 1:
            raise RuntimeError(f"Unexpected pghistory trigger SQL for {table}; audit/tracking.py must follow it.")
        row = "UPDATE" if str(self.operation).startswith("UPDATE") else self.row
        diff = _diff_sql(row, _tracked_columns(self.event_model))
        sql = func.func.replace(head, f'{head}"pgh_diff", ').replace(values, f"{values}{diff}, ")
        return pgtrigger.Func(sql)


class _DiffTracker:
    level = pgtrigger.Row  # OLD and NEW are needed; a WHEN clause skips rows whose tracked fields did not change

    def add_event_trigger(self, event_model):
        operation = self.operation
        if operation == pgtrigger.Update:
            # UPDATE OF the tracked columns: a statement that sets none of them (the set-based rescoring sets
            # leads' scores) does not even consider the trigger; an ORM save, which sets every column, still
            # writes nothing unless the WHEN clause finds a tracked value changed.
            operation = pgtrigger.UpdateOf(*_tracked_columns(event_model))
        trigger = DiffEventTrigger(
            event_model=event_model,
            label=self.label,
            name=self.trigger_name,
            row=self.row,
            operation=operation,
            condition=self.condition,
            level=pgtrigger.Row,
        )
        pgtrigger.register(trigger)(event_model.pgh_tracked_model)


class Insert(_DiffTracker, pghistory.InsertEvent):
    pass


class Update(_DiffTracker, pghistory.UpdateEvent):
    """Fires only when a tracked field changed (pghistory's default AnyChange over the event model's fields)."""


class Delete(_DiffTracker, pghistory.DeleteEvent):
    pass


def event_model(tracked, *, fields: list[str], name: str, deletes: bool = True):
    """The abstract event model tracking `fields` of `tracked` (a proxy in this app, so the triggers' migrations
    are this app's): inserts, updates of those fields, and deletes."""
    trackers = [Insert(), Update(), *([Delete()] if deletes else [])]
    return pghistory.create_event_model(
        tracked,
        *trackers,
        fields=fields,
        base_model=AuditEvent,
        obj_field=pghistory.ObjForeignKey(related_name="audit_events", related_query_name="audit_event"),
        context_field=pghistory.ContextJSONField(),
        append_only=True,
        model_name=name,
        app_label="audit",
        level=pgtrigger.Row,
        meta={"indexes": [models.Index(fields=["pgh_created_at"], name=f"{name.lower()[:20]}_at")]},
    )
