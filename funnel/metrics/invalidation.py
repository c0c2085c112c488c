"""Stale snapshots: marking the closed periods a late change touched, and recomputing them.

A change is "late" for a period when it is dated inside it after the period closed: a move that settles the
cohorts a lead entered in earlier periods, a handoff answered after the period it was created in, a spend line
or an expense dated back, a touch back-dated before a purchase. The change writes an outbox message in its own
transaction (integrations.metric_changes, or `transition_days_changed` here for the one door); after commit
`metrics_invalidate` records the change per period, and funnel.metrics.services.metrics_recompute_stale (every
ten minutes) recomputes what is stale, newest periods first.
"""

from datetime import date, datetime

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from funnel.metrics.models import MetricInvalidation, MetricSnapshot
from integrations.metric_changes import local_day, metric_days_changed

MARK = """
WITH days AS (
    SELECT unnest(%(days)s::date[]) AS day
    UNION
    SELECT (p.purchased_at AT TIME ZONE %(tz)s)::date FROM funnel_purchase p
    WHERE p.lead_id = ANY(%(leads)s::bigint[]) AND (p.purchased_at AT TIME ZONE %(tz)s)::date >= %(first)s
    UNION
    SELECT (sp.entered_at AT TIME ZONE %(tz)s)::date FROM funnel_stagespan sp
    WHERE sp.lead_id = ANY(%(history)s::bigint[])
    UNION
    SELECT (p.purchased_at AT TIME ZONE %(tz)s)::date FROM funnel_purchase p
    WHERE p.lead_id = ANY(%(history)s::bigint[])
    UNION
    SELECT (l.created_at AT TIME ZONE %(tz)s)::date FROM leads_lead l WHERE l.id = ANY(%(history)s::bigint[])
)
INSERT INTO funnel_metricinvalidation (period_kind, period_start, changed_at, cause)
SELECT s.period_kind, s.period_start, clock_timestamp(), %(cause)s
FROM funnel_metricsnapshot s
WHERE s.period_end <= %(today)s AND EXISTS (SELECT 1 FROM days WHERE day >= s.period_start AND day < s.period_end)
ON CONFLICT (period_kind, period_start) DO UPDATE SET changed_at = EXCLUDED.changed_at, cause = EXCLUDED.cause
"""

# The move's day and the days of the lead's earlier stage entries, kept where a closed snapshot holds them: the
# lead's cohorts there change with this move (it reached a later stage, or was lost).
MOVE_DAYS = """
WITH days AS (
    SELECT (sp.entered_at AT TIME ZONE %(tz)s)::date AS day FROM funnel_stagespan sp WHERE sp.lead_id = %(lead)s
    UNION SELECT %(moved)s::date
)
SELECT day FROM days WHERE day < %(today)s AND EXISTS (
    SELECT 1 FROM funnel_metricsnapshot s
    WHERE s.period_end <= %(today)s AND s.period_start <= day AND day < s.period_end
)
"""

HIT_DAYS = """
SELECT day FROM unnest(%(days)s::date[]) AS day WHERE day < %(today)s AND EXISTS (
    SELECT 1 FROM funnel_metricsnapshot s
    WHERE s.period_end <= %(today)s AND s.period_start <= day AND day < s.period_end
)
"""


def metrics_invalidate(*, days: list[date], cause: str, lead_ids: list[int] = (), history_of: list[int] = ()) -> int:
    """Records the change in every computed closed period holding one of `days`, the purchases of `lead_ids` on
    or after the first of them, and the whole history of `history_of` (leads whose slices changed); returns how
    many periods. Running it twice marks the same periods."""
    if not days and not history_of:
        return 0
    today = timezone.localdate()
    params = {
        "days": list(days),
        "leads": list(lead_ids),
        "history": list(history_of),
        "first": min(days, default=today),
        "tz": timezone.get_current_timezone_name(),
        "cause": cause[:40],
        "today": today,
    }
    with connection.cursor() as cursor:
        cursor.execute(MARK, params)
        return cursor.rowcount


def _hit(sql: str, params: dict) -> list[date]:
    params |= {"tz": timezone.get_current_timezone_name(), "today": timezone.localdate()}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def transition_days_changed(*, lead_id: int, occurred_at: datetime) -> bool:
    """Called by the one door (and capture) before the lead's span closes: the closed snapshots holding the move's
    day or the lead's earlier stage entries go stale. One indexed query; a message only when a snapshot is hit,
    so a history written before any snapshot exists (the demo's year) sends nothing."""
    days = _hit(MOVE_DAYS, {"lead": lead_id, "moved": timezone.localdate(occurred_at)})
    return metric_days_changed(moments=days, cause="transition")


def days_changed(*, moments: list[date | datetime], cause: str) -> bool:
    """Funnel's own late changes (a handoff answered, an expense, a re-credited purchase): as
    integrations.metric_changes.metric_days_changed, but only the days a computed closed snapshot holds."""
    today = timezone.localdate()
    days = sorted({day for day in map(local_day, moments) if day < today})
    return bool(days) and metric_days_changed(moments=_hit(HIT_DAYS, {"days": days}), cause=cause)


def _late_changes(via: str = "") -> QuerySet[MetricInvalidation]:
    return MetricInvalidation.objects.filter(
        period_kind=OuterRef(f"{via}period_kind"),
        period_start=OuterRef(f"{via}period_start"),
        changed_at__gte=OuterRef(f"{via}computed_at"),
    )


def late_change(via: str = "") -> Subquery:
    """Annotates a snapshot (or, `via="snapshot__"`, a row of one) with when a change reached its period after
    its data was read (None: up to date)."""
    return Subquery(_late_changes(via).values("changed_at")[:1])


def snapshots_read(*, kind: str, starts: list[date]) -> list[MetricSnapshot]:
    """The snapshots of `kind` starting on `starts`, each with `changed_at` as `late_change` annotates it: the
    same subquery in plain SQL, because the dashboard's API runs it on every read and compiling the annotated
    queryset cost ~2.5 ms of Python there (half of a bare DRF request)."""
    return list(
        MetricSnapshot.objects.raw(
            """SELECT s.*, (SELECT i.changed_at FROM funnel_metricinvalidation i
                   WHERE i.period_kind = s.period_kind AND i.period_start = s.period_start
                     AND i.changed_at >= s.computed_at LIMIT 1) AS changed_at
               FROM funnel_metricsnapshot s WHERE s.period_kind = %s AND s.period_start = ANY(%s)""",
            [kind, starts],
        )
    )


def stale_snapshots() -> QuerySet[MetricSnapshot]:
    """Snapshots with a change recorded at or after the moment their data was read."""
    return MetricSnapshot.objects.filter(Exists(_late_changes()))
