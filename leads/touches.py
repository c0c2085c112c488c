"""Touches in bulk: integrations push thousands of a lead's interactions with campaigns per request.

Each item is checked on its own and reported by position; the good ones are written in one set-based
INSERT … SELECT FROM unnest(…) — not a loop of saves — that skips a (sender, client key) already stored, so a
retried request changes nothing. With `all_or_nothing`, one bad item refuses the whole request.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from config.validation import utc_datetime
from crm.choices import TouchKind
from crm.models import Campaign, Touch
from integrations.metric_changes import local_day, metric_days_changed
from integrations.outbox import outbox_emit
from leads.exceptions import NotAllowed
from leads.selectors import lead_list

MAX_TOUCHES = 10_000
MAX_KEY = 100
YEARS_BACK = 10
CLOCK_SKEW = timedelta(minutes=5)  # a sender's clock slightly ahead of ours is not "the future"
ITEM_KEYS = frozenset({"key", "lead", "campaign", "kind", "occurred_at", "weight"})
TOUCH_KINDS = tuple(TouchKind.values)  # .values builds a list on every access; a bulk call checks thousands
RECORDERS = frozenset({Role.MARKETER, Role.MARKETING_MANAGER, Role.REVENUE_LEADER, Role.ADMIN, Role.INTEGRATION})


@dataclass
class TouchBatch:
    created: list[int] = field(default_factory=list)  # positions written now
    duplicates: list[int] = field(default_factory=list)  # positions whose key was already stored
    rejected: dict[int, dict[str, str]] = field(default_factory=dict)  # position -> field -> problem
    lead_ids: set[int] = field(default_factory=set)  # leads whose score the new touches change
    touch_ids: list[int] = field(default_factory=list)  # the rows written, in no particular order


def _id(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


def _when(value: object, now: datetime) -> tuple[datetime | None, str]:
    if not isinstance(value, str) or len(value) > 40:
        return None, "An ISO 8601 date-time with its UTC offset, e.g. 2026-03-02T14:05:00Z."
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return None, "Give the UTC offset (Z or +02:00): a time without one is ambiguous."
        moment = utc_datetime(moment)
    except ValueError as error:
        return None, f"{value[:40]!r} is not a date-time: {error}"
    if moment > now + CLOCK_SKEW:
        return None, "A touch records something that happened: it cannot be in the future."
    if moment < now - timedelta(days=365 * YEARS_BACK):
        return None, f"Touches older than {YEARS_BACK} years are not scored or attributed."
    return moment, ""


def _weight(value: object) -> tuple[Decimal | None, str]:
    if value is None:
        return Decimal(1), ""
    if isinstance(value, bool) or not isinstance(value, int | float | str) or len(str(value)) > 20:
        return None, "A number from 0.01 to 10."
    try:
        weight = Decimal(str(value))
    except InvalidOperation:
        return None, "A number from 0.01 to 10."
    if not weight.is_finite() or not Decimal("0.01") <= weight <= 10 or weight != weight.quantize(Decimal("0.01")):
        return None, "A number from 0.01 to 10, with at most two decimals."
    return weight, ""


def touch_item_check(item: object, now: datetime) -> tuple[tuple | None, dict[str, str]]:
    """(the row to write, or None; the problems by field). Pure: lead and campaign existence are checked later,
    for the whole batch at once."""
    if not isinstance(item, dict):
        return None, {"item": "Each touch is an object."}
    errors = dict.fromkeys(item.keys() - ITEM_KEYS, "Not a touch field.")
    lead, campaign = _id(item.get("lead")), _id(item.get("campaign"))
    if lead is None:
        errors["lead"] = "The lead's id, a whole number."
    if campaign is None:
        errors["campaign"] = "The campaign's id, a whole number."
    kind = item.get("kind")
    if kind not in TOUCH_KINDS:
        errors["kind"] = f"One of {', '.join(TOUCH_KINDS)}."
    moment, problem = _when(item.get("occurred_at"), now)
    if problem:
        errors["occurred_at"] = problem
    weight, problem = _weight(item.get("weight"))
    if problem:
        errors["weight"] = problem
    key = item.get("key")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= MAX_KEY or "\x00" in key):
        errors["key"] = f"The sender's id for this touch: a string of 1 to {MAX_KEY} characters."
    return (None if errors else (lead, campaign, kind, moment, weight, key)), errors


def touches_record(*, user: User, items: list, all_or_nothing: bool = False) -> TouchBatch:
    """Writes the good touches among `items` (at most MAX_TOUCHES) and reports the rest by position. A lead the
    caller cannot see is reported as unknown, exactly like one that does not exist."""
    if user.role not in RECORDERS and not user.is_superuser:
        raise NotAllowed("Touches are recorded by marketing, revenue leaders, administrators and integrations.")
    now, batch = timezone.now(), TouchBatch()
    rows: dict[int, tuple] = {}
    for index, item in enumerate(items):
        row, errors = touch_item_check(item, now)
        if errors:
            batch.rejected[index] = errors
        else:
            rows[index] = row
    _reject_unknown(user, rows, batch)
    if batch.rejected and all_or_nothing:
        return batch
    with transaction.atomic():
        written = _insert(user, [rows[i] for i in sorted(rows)])
        batch.touch_ids = [touch_id for touch_id, _ in written]
        stored = {key for _, key in written if key is not None}
        for index in sorted(rows):
            key = rows[index][5]
            if key is None or key in stored:
                batch.created.append(index)
                batch.lead_ids.add(rows[index][0])
                stored.discard(key)  # a key twice in one request is stored once: the second is a duplicate
            else:
                batch.duplicates.append(index)
        if batch.lead_ids:
            lead_ids = sorted(batch.lead_ids)
            outbox_emit(task="leads.tasks.lead_scores_refresh", lead_ids=lead_ids)
            today = timezone.localdate()
            back_dated = [rows[i] for i in batch.created if local_day(rows[i][3]) < today]
            if back_dated:  # closed periods' influenced revenue and touch counts change
                late_leads = {row[0] for row in back_dated}
                metric_days_changed(moments=[row[3] for row in back_dated], cause="touches", lead_ids=late_leads)
    return batch


def _reject_unknown(user: User, rows: dict[int, tuple], batch: TouchBatch) -> None:
    lead_ids = {row[0] for row in rows.values()}
    campaign_ids = {row[1] for row in rows.values()}
    leads = set(lead_list(user=user).filter(pk__in=lead_ids).values_list("pk", flat=True))
    campaigns = set(Campaign.objects.filter(pk__in=campaign_ids).values_list("pk", flat=True))
    for index, row in list(rows.items()):
        errors = {}
        if row[0] not in leads:
            errors["lead"] = f"No lead {row[0]}."
        if row[1] not in campaigns:
            errors["campaign"] = f"No campaign {row[1]}."
        if errors:
            batch.rejected[index] = errors
            del rows[index]


INSERT = f"""
    INSERT INTO {Touch._meta.db_table}
        (lead_id, campaign_id, kind, occurred_at, weight, client_key, recorded_by_id, recorded_at)
    SELECT lead, campaign, kind, occurred_at, weight, client_key, %s, now()
    FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::timestamptz[], %s::numeric[], %s::text[])
        AS t(lead, campaign, kind, occurred_at, weight, client_key)
    ON CONFLICT (recorded_by_id, client_key) DO NOTHING
    RETURNING id, client_key
"""


def _insert(user: User, rows: list[tuple]) -> list[tuple[int, str | None]]:
    """Writes `rows` in one statement; returns (id, client key) of each row stored (keys already there are
    skipped)."""
    if not rows:
        return []
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(INSERT, [user.pk, *columns])
        return cursor.fetchall()
