"""Webhook events the funnel raises, each written with the change that caused it (see integrations.webhooks)."""

from integrations.choices import EventType
from integrations.webhooks.events import webhook_event_emit, webhook_events_emit, webhook_listened
from leads.events import _iso, lead_part


def transition_part(transition) -> dict:
    return {
        "id": transition.pk,
        "from_stage": transition.from_stage,
        "to_stage": transition.to_stage,
        "at": _iso(transition.occurred_at),
        "actor": transition.actor_id,
        "to_owner": transition.to_owner_id,
        "reason": transition.reason,
    }


def handoff_part(handoff) -> dict:
    return {
        "id": handoff.pk,
        "lead": handoff.lead_id,
        "transition": handoff.transition_id,
        "from_function": handoff.from_function,
        "to_function": handoff.to_function,
        "to_owner": handoff.to_owner_id,
        "to_team": handoff.to_team_id,
        "status": handoff.status,
        "accept_due_at": _iso(handoff.accept_due_at),
        "decided_at": _iso(handoff.decided_at),
        "decided_by": handoff.decided_by_id,
        "reject_reason": handoff.reject_reason.code if handoff.reject_reason_id else None,
        "reject_note": handoff.reject_note,
    }


def lead_created(lead) -> None:
    if webhook_listened(EventType.LEAD_CREATED):
        webhook_event_emit(type=EventType.LEAD_CREATED, data={"lead": lead_part(lead)})


def lead_transitioned(lead, transition, handoff) -> None:
    if webhook_listened(EventType.LEAD_TRANSITIONED):
        data = {"lead": lead_part(lead), "transition": transition_part(transition)}
        webhook_event_emit(type=EventType.LEAD_TRANSITIONED, data=data)
    if handoff is not None:
        handoff_changed(EventType.HANDOFF_CREATED, handoff)


def sla_breached(breach) -> None:
    if not webhook_listened(EventType.SLA_BREACHED):
        return  # the payload reads the handoff and its lead: not for nobody
    handoff = breach.handoff
    part = {"id": breach.pk, "handoff": handoff.pk, "kind": breach.kind, "due_at": _iso(breach.due_at)}
    data = {"breach": part, "handoff": handoff_part(handoff), "lead": lead_part(handoff.lead)}
    webhook_event_emit(type=EventType.SLA_BREACHED, data=data)


def definition_activated(version) -> None:
    part = {
        "id": version.pk,
        "definition": version.definition.code,
        "number": version.number,
        "criteria": version.criteria,
        "activated_at": _iso(version.activated_at),
    }
    webhook_event_emit(type=EventType.DEFINITION_ACTIVATED, data={"definition": part})


def leads_reassigned(rows: list[dict], *, to_owner, actor, reason: str, at) -> None:
    """One event per lead, as for a move; one insert for them all."""
    if not webhook_listened(EventType.LEAD_REASSIGNED):
        return
    datas = [
        {
            "reassignment": {
                "id": row["id"],
                "from_owner": row["owner_id"],
                "to_owner": to_owner.pk,
                "actor": actor.pk,
                "reason": reason,
                "at": _iso(at),
            }
        }
        for row in rows
    ]
    webhook_events_emit(type=EventType.LEAD_REASSIGNED, datas=datas)


def metrics_recomputed(job) -> None:
    part = {
        "id": job.pk,
        "period_kind": job.period_kind,
        "period_starts": job.period_starts,
        "finished_at": _iso(job.finished_at),
    }
    webhook_event_emit(type=EventType.METRICS_RECOMPUTED, data={"metrics": part})


def handoff_changed(type: str, handoff) -> None:
    if not webhook_listened(type):
        return  # the payload reads the handoff's lead: not for nobody
    webhook_event_emit(type=type, data={"handoff": handoff_part(handoff), "lead": lead_part(handoff.lead)})
