"""Computing a snapshot: every metric family of one period in one transaction, replacing the period's rows.

A family is a function `(cursor, period, snapshot_id) -> None` that INSERTs its rows into funnel_metricvalue
with set-based SQL (see funnel.metrics.dimensions for the slices). Families are listed in
funnel.metrics.families. Because the old rows are deleted and the new ones inserted in the same transaction,
a rerun gives the same rows and a worker killed half-way leaves the previous snapshot untouched.
"""

import time
from collections.abc import Callable

from django.db import connection, transaction

from funnel.metrics.models import MetricSnapshot, MetricValue
from funnel.metrics.periods import Period
from funnel.models.transitions import Transition

Family = Callable[[object, Period, int], None]


def snapshot_compute(*, period: Period, families: list[Family]) -> MetricSnapshot:
    """Recomputes `period` with `families`; concurrent recomputes of one period queue on its snapshot row."""
    started = time.monotonic()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        with connection.cursor() as cursor:
            if outermost:  # every family reads the same database state, whatever commits meanwhile
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            # The families' estimated costs pass the JIT thresholds though they run in under a second: compiling
            # took 1.7 s of a day's 2.8 s cohorts statement (bench, 1M leads), and saved nothing anywhere.
            cursor.execute("SET LOCAL jit = off")
            # The GROUPING SETS and DISTINCT ON sorts of a month spill to disk at the default 4 MB (81 MB for the
            # cohorts): a month went from 22 s to 15 s with this. One recompute runs at a time per worker.
            cursor.execute("SET LOCAL work_mem = '128MB'")
            # The data is as of this first read: a change marked (funnel.metrics.invalidation) at or after it
            # may be missing from the snapshot, one marked before is in it.
            cursor.execute("SELECT statement_timestamp()")
            (read_at,) = cursor.fetchone()
        snapshot, _ = MetricSnapshot.objects.get_or_create(
            period_kind=period.kind, period_start=period.start, defaults={"period_end": period.end}
        )
        snapshot = MetricSnapshot.objects.select_for_update().get(pk=snapshot.pk)
        newest = Transition.objects.order_by("-id").values("id", "occurred_at").first()
        MetricValue.objects.filter(snapshot=snapshot).delete()
        with connection.cursor() as cursor:
            for family in families:
                family(cursor, period, snapshot.pk)
        snapshot.computed_at = read_at
        snapshot.history_through_id = newest["id"] if newest else None
        snapshot.history_through_at = newest["occurred_at"] if newest else None
        snapshot.duration_ms = int((time.monotonic() - started) * 1000)
        snapshot.save(update_fields=["computed_at", "history_through_id", "history_through_at", "duration_ms"])
    return snapshot
