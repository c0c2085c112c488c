"""Changes dated in the past reach the metric snapshots (computed upstream, in funnel.metrics) through here.

A snapshot of a closed period is recomputed nightly for the period just closed and never again, so a spend line
dated last quarter, or a touch back-dated before a purchase, would otherwise never reach the numbers. The layers
below funnel (leads, crm) name the days they changed in their own transaction; `funnel.tasks.metrics_invalidate`
marks the snapshots holding those days stale after commit, and the schedule recomputes stale snapshots.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

from integrations.outbox import outbox_emit

INVALIDATE_TASK = "funnel.tasks.metrics_invalidate"


def local_day(moment: date | datetime) -> date:
    """The day a moment falls on in the metrics' time zone (the periods' days)."""
    return timezone.localdate(moment) if isinstance(moment, datetime) else moment


def metric_days_changed(*, moments: Iterable[date | datetime], cause: str, lead_ids: Iterable[int] = ()) -> bool:
    """Schedules the invalidation of the closed periods holding `moments` (days or times) with the caller's change.

    Today's periods are recomputed every ten minutes anyway, so only earlier days are sent. `lead_ids`: leads
    whose purchases on or after the earliest day also changed (a touch counts towards every later purchase's
    influenced revenue). Returns whether a message was written.
    """
    today = timezone.localdate()
    days = sorted({day for day in map(local_day, moments) if day < today})
    if not days:
        return False
    outbox_emit(
        task=INVALIDATE_TASK, days=[d.isoformat() for d in days], cause=cause[:40], lead_ids=sorted(set(lead_ids))
    )
    return True


def metric_history_changed(*, lead_ids: Iterable[int], cause: str) -> None:
    """A lead's company, segment or source campaign changed: every metric slices by them as the lead is now, so
    every closed period holding the lead's history (its stage entries, purchases and capture) changes too."""
    leads = sorted(set(lead_ids))
    if leads:
        outbox_emit(task=INVALIDATE_TASK, days=[], cause=cause[:40], history_of=leads)
