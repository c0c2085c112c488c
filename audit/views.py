"""The audit trail for administrators: the API's filters in the URL, newest first, walked by id."""

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Team, User
from audit.choices import AuditAction, AuditObject
from audit.filters import AuditFilter
from audit.selectors import audit_entry_list, entry_changes, may_read_audit
from config.pagination import MAX_ID

PAGE = 50
# Changed fields that hold a person's or a team's id are shown by name.
PEOPLE_FIELDS = {"owner", "user", "proposed_by", "marketing_approver", "sales_approver"}
TEAM_FIELDS = {"team"}
LONG_VALUE = 120


def _shown(value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, int) and value in names:
        return names[value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value) or "—"
    try:
        moment = parse_datetime(value) if isinstance(value, str) and len(value) > 19 else None
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is not None:
        return f"{timezone.localtime(moment):%d %b %Y, %H:%M:%S}"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= LONG_VALUE else f"{text[: LONG_VALUE - 1]}…"


def _rows(entries: list) -> list[dict]:
    changes = {entry.pk: entry_changes(entry) for entry in entries}
    ids = {
        kind: {v for cs in changes.values() for c in cs if c.field in fields for v in (c.old, c.new) if v}
        for kind, fields in (("people", PEOPLE_FIELDS), ("teams", TEAM_FIELDS))
    }
    people = {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids["people"])}
    teams = dict(Team.objects.filter(pk__in=ids["teams"]).values_list("pk", "name"))

    def names(field: str) -> dict:
        return people if field in PEOPLE_FIELDS else teams if field in TEAM_FIELDS else {}

    return [
        {
            "entry": entry,
            "changes": [
                (c.field, _shown(c.old, names(c.field)), _shown(c.new, names(c.field))) for c in changes[entry.pk]
            ],
        }
        for entry in entries
    ]


@login_required
def audit_log(request):
    if not may_read_audit(request.user):
        raise PermissionDenied("The audit trail is for administrators.")
    found = AuditFilter(request.GET, queryset=audit_entry_list(user=request.user))
    before = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    # Named as the form names them ("Object id"), not by their query keys.
    labels = {name: str(found.form.fields[name].label or name) for name in found.form.fields}
    errors = {labels.get(k, k): v for k, v in found.errors.items()} if not found.is_valid() else {}
    try:
        older_than = before.clean(request.GET.get("before") or None)
    except forms.ValidationError as exc:
        errors["Older than"], older_than = exc.messages, None
    entries = [] if errors else found.qs
    if older_than:
        entries = entries.filter(id__lt=older_than)
    entries = list(entries[: PAGE + 1]) if not errors else []
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "rows": _rows(entries[:PAGE]),
        "older": entries[PAGE - 1].pk if len(entries) > PAGE else None,
        "query": query.urlencode(),
        "chosen": request.GET,
        "object_types": AuditObject.choices,
        "actions": AuditAction.choices,
        "people": User.objects.order_by("username").only("pk", "username", "first_name", "last_name"),
        "filter_errors": errors,
    }
    return render(request, "audit/log.html", context, status=400 if errors else 200)
