"""Metric recomputes: a job names a period kind and the periods' first days; a worker on the `metrics` queue runs
it in batches of periods (BATCH), each batch's snapshots in one transaction (funnel.metrics.compute), reporting
progress after each."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import User
from funnel import events
from funnel.exceptions import NotAllowed
from funnel.metrics.choices import JobStatus, PeriodKind
from funnel.metrics.compute import snapshots_compute
from funnel.metrics.families import FAMILIES
from funnel.metrics.invalidation import stale_snapshots
from funnel.metrics.models import MetricJob
from funnel.metrics.periods import Period, period_of
from integrations.outbox import outbox_emit

RECOMPUTERS = MANAGER_ROLES | {Role.ADMIN, Role.INTEGRATION}
EARLIEST = date(2000, 1, 1)
MAX_PERIODS = 400  # a year and a month of days; more than that is a backfill for the command line
KEEP_JOBS_DAYS = 30
STALE_PER_RUN = 24  # a run recomputes at most this many (about a minute of work at the demo's size)
# Periods computed together, one statement per family: a month of days reads about what one month does, where
# 31 days apart paid each statement's fixed costs 31 times. Months and quarters are big enough alone.
BATCH = {PeriodKind.DAY: 31, PeriodKind.WEEK: 5, PeriodKind.MONTH: 1, PeriodKind.QUARTER: 1}


def _check_starts(period_kind: str, starts: list[date], today: date) -> None:
    problems = []
    if not starts:
        problems.append("Name at least one period.")
    if len(starts) > MAX_PERIODS:
        problems.append(f"At most {MAX_PERIODS} periods a job; got {len(starts)}.")
    for start in starts[:MAX_PERIODS]:
        if not EARLIEST <= start <= today:  # first: the period of 9999-12-31 would end past the calendar
            problems.append(f"{start} is outside the history (from {EARLIEST} to today, {today}).")
        elif start != (first := period_of(kind=period_kind, day=start).start):
            problems.append(f"{start} does not start a {period_kind}; that {period_kind} starts {first}.")
    if len(set(starts)) != len(starts):
        problems.append("A period is named twice.")
    if problems:
        raise ValidationError({"period_starts": problems[:10]})


def metric_job_request(*, user: User, period_kind: str, period_starts: list[date]) -> MetricJob:
    """Queues a recompute of the periods (managers, revenue leaders, administrators and integrations); the job
    starts on the `metrics` queue once this transaction commits."""

    if not (user.is_superuser or user.role in RECOMPUTERS):
        raise NotAllowed("Only managers, revenue leaders and administrators may recompute the metrics.")
    if period_kind not in PeriodKind.values:
        raise ValidationError({"period_kind": f"Use one of {', '.join(PeriodKind.values)}."})
    _check_starts(period_kind, period_starts, timezone.localdate())
    job = MetricJob.objects.create(
        period_kind=period_kind, period_starts=[d.isoformat() for d in sorted(period_starts)], requested_by=user
    )
    outbox_emit(task="funnel.tasks.metrics_job_run", job_id=job.pk)
    return job


def period_batches(periods: list[Period]) -> list[list[Period]]:
    """Periods of one kind, in order, cut into the batches a job computes together (BATCH)."""
    size = BATCH[periods[0].kind] if periods else 1
    return [periods[first : first + size] for first in range(0, len(periods), size)]


def metric_job_run(*, job_id: int) -> MetricJob:
    """Runs the job's periods in order, in batches. Safe to run again: a finished job is left as it is; one whose
    worker died (still `running`) or that failed is run again from its first period — each snapshot is replaced
    whole, so the rerun leaves exactly the rows one run would."""
    now = timezone.now()
    claimed = (
        MetricJob.objects.filter(pk=job_id)
        .exclude(status=JobStatus.DONE)
        .update(status=JobStatus.RUNNING, started_at=now, progress=0, error="", finished_at=None)
    )
    job = MetricJob.objects.get(pk=job_id)
    if not claimed:
        return job
    periods = [period_of(kind=job.period_kind, day=date.fromisoformat(day)) for day in sorted(set(job.period_starts))]
    done = 0
    try:
        for batch in period_batches(periods):
            snapshots_compute(periods=batch, families=FAMILIES)
            done += len(batch)
            MetricJob.objects.filter(pk=job_id).update(progress=done * 100 // len(periods))
    except Exception as exc:
        MetricJob.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:500], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        MetricJob.objects.filter(pk=job_id).update(status=JobStatus.DONE, progress=100, finished_at=timezone.now())
        job.refresh_from_db()
        events.metrics_recomputed(job)
    return job


def metrics_recompute(*, period_kind: str, starts: list[date], requested_by: User | None = None) -> MetricJob:
    """Recomputes the periods now, in this process (the schedule's way), recorded as a job like the API's."""
    job = MetricJob.objects.create(
        period_kind=period_kind, period_starts=[d.isoformat() for d in starts], requested_by=requested_by
    )
    return metric_job_run(job_id=job.pk)


def metrics_recompute_current(*, today: date | None = None) -> list[MetricJob]:
    """The day, week, month and quarter holding `today`: the numbers people watch move."""
    day = today or timezone.localdate()
    return [metrics_recompute(period_kind=k, starts=[period_of(kind=k, day=day).start]) for k in PeriodKind.values]


def metrics_recompute_closed(*, today: date | None = None) -> list[MetricJob]:
    """The periods just before the current ones (closed, but their cohorts still mature), and old jobs pruned."""
    day = today or timezone.localdate()
    jobs = []
    for kind in PeriodKind.values:
        previous = period_of(kind=kind, day=period_of(kind=kind, day=day).start - timedelta(days=1))
        jobs.append(metrics_recompute(period_kind=kind, starts=[previous.start]))
    MetricJob.objects.filter(
        finished_at__lt=timezone.now() - timedelta(days=KEEP_JOBS_DAYS), status=JobStatus.DONE
    ).delete()
    return jobs


def metrics_recompute_stale(*, limit: int = STALE_PER_RUN) -> list[MetricJob]:
    """Recomputes up to `limit` stale snapshots, the most recent periods first, one job per period kind."""
    stale = list(
        stale_snapshots().order_by("-period_start", "period_kind").values_list("period_kind", "period_start")[:limit]
    )
    starts: dict[str, list[date]] = {}
    for kind, start in stale:
        starts.setdefault(kind, []).append(start)
    return [metrics_recompute(period_kind=kind, starts=sorted(days)) for kind, days in starts.items()]
