"""Computing snapshots: every metric family over a batch of periods of one kind, in one transaction that replaces
the periods' rows.

A family is a function `(cursor, batch) -> None` that INSERTs the rows of every period of the batch into
funnel_metricvalue with set-based SQL (see funnel.metrics.dimensions for the slices): each source row is keyed by
the period holding it (PERIOD_KEY) and the key is mapped to its snapshot (BATCH_PERIODS), so a batch of 31 days
reads its rows in one statement per family instead of 31. Families are listed in funnel.metrics.families.
Because the old rows are deleted and the new ones inserted in the same transaction, a rerun gives the same rows
and a worker killed half-way leaves the previous snapshots untouched.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from funnel.metrics.models import MetricSnapshot, MetricValue
from funnel.metrics.periods import Period
from funnel.models.transitions import Transition

# The timestamp `{0}` falls between `%(start)s` and `%(end)s`: a batch's range (PERIOD_KEY then names the period of
# the batch holding it) or, for a family run per period, that period.
IN_PERIOD = "{0} >= %(start)s AND {0} < %(end)s"
# The start (a local date) of the period of `%(kind)s` holding the timestamp `{0}`: the same day, Monday-based
# week, month or quarter as funnel.metrics.periods.period_of (PostgreSQL's weeks are ISO weeks, Monday first).
PERIOD_KEY = "date_trunc(%(kind)s, {0} AT TIME ZONE %(tz)s)::date"
# The end (exclusive) of the period of `%(kind)s` starting on the date `{0}`.
PERIOD_END = (
    "(CASE %(kind)s WHEN 'day' THEN {0} + 1 WHEN 'week' THEN {0} + 7 WHEN 'month' THEN ({0} + interval '1 month')::date"
    " ELSE ({0} + interval '3 months')::date END)"
)
# The batch's periods: a row per period with its first day and the snapshot it fills. A family joins its rows,
# aggregated by period key, to this on `ps.start`, which also drops periods the batch does not hold. (Joined
# before aggregating, it hid how many rows reach the lead join, and the planner probed 291k leads one by one.)
BATCH_PERIODS = "unnest(%(period_starts)s::date[], %(snapshots)s::bigint[]) AS ps(start, snapshot)"


@dataclass(frozen=True)
class Batch:
    """Periods of one kind, in order, with the snapshot each one's rows go to."""

    kind: str
    periods: tuple[Period, ...]
    snapshot_ids: tuple[int, ...]

    def items(self) -> Iterator[tuple[Period, int]]:
        return zip(self.periods, self.snapshot_ids, strict=True)

    def params(self) -> dict:
        """`%(start)s`/`%(end)s` bound the whole batch (what the indexes are read by); the arrays name each
        period for BATCH_PERIODS; `%(now)s` is the clock cohort maturity is judged by."""
        return {
            "kind": self.kind,
            "tz": settings.TIME_ZONE,
            "start": self.periods[0].starts_at,
            "end": self.periods[-1].ends_at,
            "period_starts": [p.start for p in self.periods],
            "snapshots": list(self.snapshot_ids),
            "now": timezone.now(),
        }


Family = Callable[[object, Batch], None]


def per_period(family: Callable[[object, Period, int], None]) -> Family:
    """A family written for one period at a time, run for each period of the batch."""

    @wraps(family)
    def run(cursor, batch: Batch) -> None:
        for period, snapshot_id in batch.items():
            family(cursor, period, snapshot_id)

    return run


def snapshot_compute(*, period: Period, families: list[Family]) -> MetricSnapshot:
    """Recomputes `period` with `families` (a batch of one)."""
    return snapshots_compute(periods=[period], families=families)[0]


def snapshots_compute(*, periods: list[Period], families: list[Family]) -> list[MetricSnapshot]:
    """Recomputes `periods` (one kind, in order, none twice) with `families` in one transaction; concurrent
    recomputes of a period queue on its snapshot row."""
    started = time.monotonic()
    kinds = {p.kind for p in periods}
    if len(kinds) != 1 or sorted(set(periods), key=lambda p: p.start) != periods:
        raise ValueError("A batch holds periods of one kind, in order, each once.")
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        read_at = _begin(outermost)
        snapshots = _lock_snapshots(periods)
        newest = Transition.objects.order_by("-id").values("id", "occurred_at").first()
        MetricValue.objects.filter(snapshot__in=snapshots).delete()
        batch = Batch(kinds.pop(), tuple(periods), tuple(s.pk for s in snapshots))
        with connection.cursor() as cursor:
            for family in families:
                family(cursor, batch)
        # A batch is one computation: each snapshot records its share of the batch's time.
        share = int((time.monotonic() - started) * 1000 / len(periods))
        for snapshot in snapshots:
            snapshot.computed_at = read_at
            snapshot.history_through_id = newest["id"] if newest else None
            snapshot.history_through_at = newest["occurred_at"] if newest else None
            snapshot.duration_ms = share
        MetricSnapshot.objects.bulk_update(
            snapshots, ["computed_at", "history_through_id", "history_through_at", "duration_ms"]
        )
    return snapshots


def _begin(outermost: bool):
    """Sets the transaction up for the families and returns the time its data is read as of."""
    with connection.cursor() as cursor:
        if outermost:  # every family reads the same database state, whatever commits meanwhile
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # The families' estimated costs pass the JIT thresholds though they run in under a second: compiling
        # took 1.7 s of a day's 2.8 s cohorts statement (bench, 1M leads), and saved nothing anywhere.
        cursor.execute("SET LOCAL jit = off")
        # The GROUPING SETS and DISTINCT ON sorts of a month spill to disk at the default 4 MB (81 MB for the
        # cohorts): a month went from 22 s to 15 s with this. One recompute runs at a time per worker.
        cursor.execute("SET LOCAL work_mem = '128MB'")
        # At the default 4 the planner hashed all 1M leads to join a busy day's 12k spans (0.41 s of entries'
        # 0.55 s); 1.1 prices an index probe as on SSDs and hot caches, where the probes took 0.1 s. Batches of a
        # month or more still hash.
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        # The data is as of this first read: a change marked (funnel.metrics.invalidation) at or after it
        # may be missing from the snapshot, one marked before is in it.
        cursor.execute("SELECT statement_timestamp()")
        (read_at,) = cursor.fetchone()
    return read_at


def _lock_snapshots(periods: list[Period]) -> list[MetricSnapshot]:
    """The periods' snapshot rows, made where missing, locked in the periods' order (so two overlapping batches
    queue rather than deadlock)."""
    kind = periods[0].kind
    MetricSnapshot.objects.bulk_create(
        [MetricSnapshot(period_kind=kind, period_start=p.start, period_end=p.end) for p in periods],
        ignore_conflicts=True,
    )
    locked = MetricSnapshot.objects.select_for_update().filter(
        period_kind=kind, period_start__in=[p.start for p in periods]
    )
    by_start = {s.period_start: s for s in locked.order_by("period_start")}
    return [by_start[p.start] for p in periods]
