"""The funnel's side of a bulk import (leads.imports calls it through leads.imports.hooks, registered in
funnel.apps): capture of many leads at once under the same policy as `intake.lead_create`, and a row's
request for a later stage walked through the one door.

`leads_capture_many` is lead_create made set-based: the same owner policy and routing per lead in memory,
then the leads, their first history rows and their stage spans written with three COPYs. The owner-stage
counts follow from the database trigger on every inserted row; email_normalized and the company link come
filled in by the importer; the "lead created" webhook events are written in one insert. A capturer who would
not see a lead they made gets nothing committed for that lead, as with lead_create.
"""

from collections import deque
from dataclasses import asdict
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from config.errors import DomainError
from funnel.engine.preconditions import Context
from funnel.exceptions import TransitionRefused
from funnel.metrics.models import StageSpan
from funnel.models import Stage, Transition
from funnel.routing import services as routing
from funnel.services import intake
from funnel.services.config import funnel_config
from funnel.services.context import context_record
from funnel.services.transitions import lead_transition
from integrations.choices import EventType
from integrations.webhooks.events import webhook_events_emit
from leads import selectors as lead_selectors
from leads.choices import INITIAL_STAGE, OUTCOMES
from leads.criteria import lead_snapshot
from leads.events import lead_part
from leads.imports.copy import copy_insert, copy_values
from leads.imports.hooks import StageRefused
from leads.models import Lead

REASON = "Imported"


class _Invisible(Exception):
    def __init__(self, indexes: set[int]):
        self.indexes = indexes


def _problem(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return getattr(error, "message", str(error))


def _owners(actor: User, leads: list[Lead], owners: list[User | None], now: datetime):
    """Each lead's routed owner, by the capture policy (intake); a lead nobody may own is a problem."""
    routed, problems = {}, {}
    for index, (lead, owner) in enumerate(zip(leads, owners, strict=True)):
        try:
            if owner is not None:
                intake._check_named_owner(actor, owner)
                routed[index] = routing.Routed(owner, owner.team_id)
            else:
                routed[index] = intake._route(actor, lead, now)
        except (DomainError, ValidationError) as error:
            problems[index] = _problem(error)
    return routed, problems


def _write(actor: User, leads: dict[int, Lead], routed: dict, now: datetime) -> None:
    copy_insert(Lead, list(leads.values()))
    moves = {
        index: (
            lead.pk,
            None,
            INITIAL_STAGE,
            actor.pk,
            now,
            REASON,
            routed[index].owner.pk if routed[index].owner else None,
            [asdict(routed[index].check)] if routed[index].check else [],
            routed[index].decision.as_dict() if routed[index].decision else None,
            context_record(Context(lead=lead_snapshot(lead), now=now, definitions={})),
        )
        for index, lead in leads.items()
    }
    names = ("lead_id", "from_stage", "to_stage", "actor_id", "occurred_at", "reason", "to_owner_id")
    ids = copy_values(Transition, (*names, "rule_results", "routing", "context"), list(moves.values()))
    spans = [
        (move[0], INITIAL_STAGE, now, transition_id, move[6], routed[index].team_id)
        for (index, move), transition_id in zip(moves.items(), ids, strict=True)
    ]
    copy_values(StageSpan, ("lead_id", "stage", "entered_at", "opened_by_id", "owner_id", "team_id"), spans)
    made = [lead.pk for lead in leads.values()]
    seen = set(lead_selectors.lead_list(user=actor).filter(pk__in=made, full_access=True).values_list("pk", flat=True))
    hidden = {index for index, lead in leads.items() if lead.pk not in seen}
    if hidden:
        raise _Invisible(hidden)
    # "Lead created" for webhook subscribers, as lead_create raises it: one insert and one outbox message.
    webhook_events_emit(type=EventType.LEAD_CREATED, datas=[{"lead": lead_part(lead)} for lead in leads.values()])


def leads_capture_many(actor: User, leads: list[Lead], owners: list[User | None], now: datetime) -> dict[int, str]:
    """Saves `leads` (unsaved, deduplicated, company linked) at the first stage, each owned as lead_create
    would own it; returns the problem of each one refused, by index. Call inside a transaction."""
    function = Stage.objects.get(pk=INITIAL_STAGE).owning_function
    for lead in leads:
        lead.stage, lead.stage_entered_at, lead.created_at, lead.owning_function = INITIAL_STAGE, now, now, function
    routed, problems = _owners(actor, leads, owners, now)
    for index, route in routed.items():
        leads[index].owner, leads[index].team_id = route.owner, route.team_id
    accepted = {index: lead for index, lead in enumerate(leads) if index in routed}
    while accepted:
        try:
            with transaction.atomic():
                _write(actor, accepted, routed, now)
            break
        except _Invisible as invisible:  # rolled back: write again without the leads the actor would not see
            for index in invisible.indexes:
                who = routed[index].owner.get_username() if routed[index].owner else "nobody (a team queue)"
                problems[index] = f"You would not be able to see a lead owned by {who}; pick an owner you see."
                del accepted[index]
            for lead in accepted.values():
                lead.pk = None
    return problems


def _path(from_stage: str, to_stage: str) -> list[str]:
    """The shortest walk of allowed moves from `from_stage` to `to_stage` (empty when there is none)."""
    moves, before, queue = funnel_config().moves_from, {from_stage: None}, deque([from_stage])
    while queue:
        stage = queue.popleft()
        for following in moves.get(stage, []):
            if following not in before:
                before[following], _ = stage, queue.append(following)
    if to_stage not in before:
        return []
    path, stage = [], to_stage
    while stage != from_stage:
        path.append(stage)
        stage = before[stage]
    return path[::-1]


def lead_stage_request(actor: User, lead: Lead, to_stage: str, reason: str, now: datetime) -> None:
    """Moves a just-captured lead to `to_stage` one allowed move at a time, each through lead_transition and
    every rule on it; StageRefused names the move and each failed check."""
    path = _path(lead.stage, to_stage)
    if not path:
        raise StageRefused(f"No allowed moves lead from {lead.stage} to {to_stage}.")
    current = lead.stage
    for stage in path:
        try:
            lead_transition(
                lead=Lead.objects.get(pk=lead.pk),
                to_stage=stage,
                actor=actor,
                reason=(reason or REASON) if stage in OUTCOMES else reason,
                at=now,
            )
        except TransitionRefused as refused:
            failed = refused.details.get("failed", [])
            raise StageRefused(f"{current} → {stage}: {refused.message}", failed) from None
        except (DomainError, ValidationError) as error:
            raise StageRefused(f"{current} → {stage}: {_problem(error)}") from None
        current = stage
