from datetime import date

from celery import shared_task
from django.utils import timezone

from funnel.attribution import selectors as attribution_selectors
from funnel.attribution import services as attribution
from funnel.attribution import weights
from funnel.diagnostic import services as diagnostic
from funnel.insight import services as insight
from funnel.metrics import invalidation
from funnel.metrics import services as metrics
from funnel.routing import absences
from funnel.routing import services as routing
from funnel.services import approvals, notifications, qualification, reassign, sla
from funnel.simulation import services as simulation_services


@shared_task(name="funnel.tasks.transition_notify")
def transition_notify(transition_id: int) -> int:
    return notifications.transition_notify(transition_id=transition_id)


# Notifications a committed change left in the outbox (integrations.outbox): each is unique per recipient and
# subject, so a second delivery of the same message changes nothing.
@shared_task(name="funnel.tasks.routing_queue_notify")
def routing_queue_notify(lead_id: int, team_id: int, sentence: str) -> None:
    routing.queue_notify(lead_id, team_id, sentence)


@shared_task(name="funnel.tasks.absence_handoff_notify")
def absence_handoff_notify(receiver_id: int, away_id: int, handoff_id: int, lead_id: int) -> None:
    absences.absence_handoff_notify(receiver_id=receiver_id, away_id=away_id, handoff_id=handoff_id, lead_id=lead_id)


@shared_task(name="funnel.tasks.reassign_notify")
def reassign_notify(to_owner_id: int, actor_id: int, count: int, first_lead: int) -> None:
    reassign.reassign_notify(to_owner_id=to_owner_id, actor_id=actor_id, count=count, first_lead=first_lead)


@shared_task(name="funnel.tasks.approval_requested_notify")
def approval_requested_notify(request_id: int) -> None:
    approvals.approval_requested_notify(request_id=request_id)


@shared_task(name="funnel.tasks.definition_crossings_notify")
def definition_crossings_notify(crossing_ids: list[int]) -> None:
    qualification.definition_crossings_notify(crossing_ids=crossing_ids)


@shared_task(name="funnel.tasks.simulation_run", time_limit=900)
def simulation_run(simulation_id: int) -> str:
    return simulation_services.simulation_run(simulation_id=simulation_id).status


@shared_task(name="funnel.tasks.handoff_sla_check")
def handoff_sla_check() -> int:
    return len(sla.handoff_sla_breaches_record())


@shared_task(name="funnel.tasks.purchase_attribute")
def purchase_attribute(purchase_id: int) -> int:
    return attribution.purchase_attribute(purchase_id=purchase_id)


@shared_task(name="funnel.tasks.attribution_rebuild")
def attribution_rebuild() -> int:
    return attribution.attribution_rebuild()


@shared_task(name="funnel.tasks.definition_crossings_record")
def definition_crossings_record() -> int:
    return qualification.definition_crossings_record()


@shared_task(name="funnel.tasks.campaign_performance_refresh")
def campaign_performance_refresh() -> int:
    """Recomputes the campaign list's report for every attribution model."""
    report = attribution_selectors.campaign_performance_refresh(models=list(weights.MODELS))
    return sum(len(rows) for rows, _ in report.values())


@shared_task(name="funnel.tasks.insight_digest_weekly")
def insight_digest_weekly(today: str | None = None) -> list[int]:
    """Last week's digest and its month(s), computed, then delivered; `today` (ISO) for a rerun of a past week."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    return [digest.pk for digest in insight.digest_weekly_run(today=day)]


@shared_task(name="funnel.tasks.absences_reroute_due")
def absences_reroute_due() -> int:
    """Hands on the pending handoffs of everyone whose out-of-office has begun (once per absence)."""
    return absences.absences_reroute_due()


@shared_task(name="funnel.tasks.diagnostic_assess_monthly")
def diagnostic_assess_monthly() -> int:
    """The month's integration assessment, written once however often the job runs."""
    return diagnostic.assessment_monthly_run().pk


# Metric tasks run on their own queue (config.settings CELERY_TASK_ROUTES) so a long recompute never delays
# transitions' side effects on the default one.
@shared_task(name="funnel.tasks.metrics_job_run", time_limit=3600)
def metrics_job_run(job_id: int) -> str:
    return metrics.metric_job_run(job_id=job_id).status


@shared_task(name="funnel.tasks.metrics_recompute_current", time_limit=900)
def metrics_recompute_current() -> list[int]:
    return [job.pk for job in metrics.metrics_recompute_current()]


@shared_task(name="funnel.tasks.metrics_invalidate")
def metrics_invalidate(
    days: list[str], cause: str, lead_ids: list[int] | None = None, history_of: list[int] | None = None
) -> int:
    return invalidation.metrics_invalidate(
        days=[date.fromisoformat(day) for day in days],
        cause=cause,
        lead_ids=lead_ids or [],
        history_of=history_of or [],
    )


@shared_task(name="funnel.tasks.metrics_recompute_stale", time_limit=1800)
def metrics_recompute_stale() -> list[int]:
    return [job.pk for job in metrics.metrics_recompute_stale()]


@shared_task(name="funnel.tasks.metrics_recompute_closed", time_limit=3600)
def metrics_recompute_closed() -> list[int]:
    return [job.pk for job in metrics.metrics_recompute_closed()]
