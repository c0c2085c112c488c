"""Reads of the audit trail: administrators only, newest first, with what each change did field by field."""

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from audit.log_view import LABELS
from audit.models import AuditEntry

# object type → {column: field name}, from the event models (owner_id reads "owner").
_FIELD_NAMES = {
    kind: {field.column: field.name for field in model._meta.fields if not field.name.startswith("pgh_")}
    for kind, (model, _) in LABELS.items()
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


def may_read_audit(user: User) -> bool:
    return user.is_authenticated and user.is_administrator


def audit_entry_list(*, user: User) -> QuerySet[AuditEntry]:
    """Every change, newest first (ids come from one sequence), for administrators; nothing for anyone else."""
    if not may_read_audit(user):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("actor", "token").order_by("-id")


def entry_changes(entry: AuditEntry) -> list[FieldChange]:
    """The entry's changed fields by name, in name order: [old, new] per field as the trigger stored them."""
    names = _FIELD_NAMES.get(entry.object_type, {})
    pairs = (entry.changes or {}).items()
    return sorted(
        (FieldChange(field=names.get(column, column), old=old, new=new) for column, (old, new) in pairs),
        key=lambda change: change.field,
    )
