"""Reading the metrics: stored values with their snapshot's freshness, and the leads behind any one of them,
limited to the leads the reader may see (leads.selectors.lead_list)."""

from collections.abc import Callable

from django.db.models import QuerySet

from accounts.models import User
from funnel.metrics.families import GROUPS
from funnel.metrics.families import handoffs as handoff_family
from funnel.metrics.families import money as money_family
from funnel.metrics.invalidation import late_change
from funnel.metrics.measures import Group
from funnel.metrics.models import MetricJob, MetricSnapshot, MetricValue
from funnel.metrics.periods import Period
from leads.models import Lead
from leads.selectors import lead_list

# (metric, snapshot, dimension, value, stage, to_stage, denominator) -> the leads behind the row
Drill = Callable[..., QuerySet[Lead]]


def metric_value_list() -> QuerySet[MetricValue]:
    return MetricValue.objects.select_related("snapshot").annotate(changed_at=late_change("snapshot__"))


def metric_job_list(*, user: User) -> QuerySet[MetricJob]:
    from funnel.metrics.services import RECOMPUTERS

    jobs = MetricJob.objects.all()
    if user.is_superuser or user.role in RECOMPUTERS:
        return jobs
    return jobs.filter(requested_by=user)


def snapshot_get(*, period: Period) -> MetricSnapshot | None:
    return MetricSnapshot.objects.filter(period_kind=period.kind, period_start=period.start).first()


def _group_drill(group: Group) -> Drill:
    def drill(*, metric, snapshot, denominator, **row) -> QuerySet[Lead]:
        period = Period(snapshot.period_kind, snapshot.period_start, snapshot.period_end)
        return group.leads(
            metric=metric, period=period, through=snapshot.history_through_id, denominator=denominator, **row
        )

    return drill


def _family_drill(leads: Callable[..., QuerySet[Lead]], numerator_flag: bool) -> Drill:
    """The handoff and money families list their leads as the history stands now (they keep no as-of view)."""

    def drill(*, metric, snapshot, denominator, **row) -> QuerySet[Lead]:
        period = Period(snapshot.period_kind, snapshot.period_start, snapshot.period_end)
        extra = {"numerator": not denominator} if numerator_flag else {}
        return leads(metric=metric, period=period, **row, **extra)

    return drill


def drills() -> dict[str, Drill]:
    """Every metric that drills down, with how."""
    found: dict[str, Drill] = {}
    for metric in getattr(money_family, "DRILLS", {}):
        found[metric] = _family_drill(money_family.money_leads, numerator_flag=False)
    for metric in getattr(handoff_family, "SETS", {}):
        found[metric] = _family_drill(handoff_family.handoff_leads, numerator_flag=True)
    for group in GROUPS:
        found.update(dict.fromkeys(group.metrics, _group_drill(group)))
    return found


def metric_leads(
    *,
    user: User,
    snapshot: MetricSnapshot,
    metric: str,
    stage: str = "",
    to_stage: str = "",
    dimension: str = "all",
    dimension_value: str = "",
    denominator: bool = False,
) -> QuerySet[Lead]:
    """The leads behind one number of `snapshot` (its denominator's with `denominator`) that `user` may see.
    For an administrator or revenue leader their count is the number itself (for counts of leads)."""
    drill = drills()[metric]
    behind = drill(
        metric=metric,
        snapshot=snapshot,
        denominator=denominator,
        dimension=dimension,
        value=dimension_value,
        stage=stage,
        to_stage=to_stage,
    )
    return lead_list(user=user).filter(pk__in=behind.values("pk")).select_related("owner")
