"""Asking for a simulation and running it as a job. A result is cached per version (or per rule as proposed)
and window for an hour unless someone asks for a fresh one, so the proposer and both signers read the same
numbers; the job records its progress, and a job that dies is marked failed with the reason."""

import hashlib
import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from funnel.exceptions import NotAllowed
from funnel.models import HandoffRule, LeadDefinitionVersion, Simulation
from funnel.services.rules import RULE_EDITORS, handoff_rule_validate
from funnel.simulation.choices import SimulationKind, SimulationStatus
from funnel.simulation.definitions import definition_simulate, window_check
from funnel.simulation.rules import rule_simulate
from integrations.outbox import outbox_emit
from leads.choices import VersionStatus

SIMULATORS = RULE_EDITORS | {Role.MARKETER}
CACHE_FOR = timedelta(hours=1)
STALLED_AFTER = timedelta(minutes=15)
RULE_PARTS = ("from_stages", "to_stages", "preconditions", "routing", "escalations", "accept_within_hours", "sla_clock")


def _check_actor(actor: User) -> None:
    if actor.role not in SIMULATORS and not actor.is_superuser:
        raise NotAllowed("Marketers, managers, revenue leaders and administrators run simulations.")


def _cached(simulations, window_days: int):
    """A recent finished one, or one still queued or running that has not outlived any job's time limit (a
    worker killed half-way leaves it running forever; then a new one is started)."""
    now = timezone.now()
    usable = Q(status=SimulationStatus.DONE) | Q(
        status__in=[SimulationStatus.QUEUED, SimulationStatus.RUNNING], requested_at__gte=now - STALLED_AFTER
    )
    return (
        simulations.filter(usable, window_days=window_days, requested_at__gte=now - CACHE_FOR)
        .order_by("-requested_at")
        .first()
    )


def _enqueue(simulation: Simulation) -> Simulation:
    outbox_emit(task="funnel.tasks.simulation_run", simulation_id=simulation.pk)
    return simulation


def definition_simulation_request(
    *, actor: User, version_id: int, window_days: int = 90, fresh: bool = False
) -> Simulation:
    """The version's simulation: a recent one with the same window, else a new job."""
    _check_actor(actor)
    version = LeadDefinitionVersion.objects.select_related("definition").filter(pk=version_id).first()
    if version is None:
        raise ValidationError({"definition_version": f"There is no definition version {version_id}."})
    if version.status != VersionStatus.PROPOSED:
        raise ValidationError(
            {"definition_version": f"Version {version.number} is {version.status}; only a proposal is simulated."}
        )
    window_check(window_days, timezone.now())
    cached = None if fresh else _cached(version.simulations.all(), window_days)
    if cached is not None:
        return cached
    simulation = Simulation.objects.create(
        kind=SimulationKind.DEFINITION, definition_version=version, window_days=window_days, requested_by=actor
    )
    return _enqueue(simulation)


def _rule_spec(rule: HandoffRule) -> dict:
    return {part: getattr(rule, part) for part in RULE_PARTS} | {"name": rule.name}


def rule_simulation_request(
    *, actor: User, rule_id: int | None = None, changes: dict | None = None, window_days: int = 90, fresh=False
) -> Simulation:
    """A saved rule as it is, or with `changes` to its parts (or a new rule when `rule_id` is None), replayed."""
    _check_actor(actor)
    rule = HandoffRule.objects.filter(pk=rule_id).first() if rule_id is not None else HandoffRule(name="(new rule)")
    if rule is None:
        raise ValidationError({"rule": f"There is no handoff rule {rule_id}."})
    for part, value in (changes or {}).items():
        if part not in RULE_PARTS:
            raise ValidationError(
                {"changes": f"{part!r} is not a rule part a simulation takes ({', '.join(RULE_PARTS)})."}
            )
        setattr(rule, part, value)
    handoff_rule_validate(rule)
    window_check(window_days, timezone.now())
    spec = _rule_spec(rule)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
    simulations = Simulation.objects.filter(kind=SimulationKind.RULE, rule_id=rule_id, rule_spec__digest=digest)
    cached = None if fresh else _cached(simulations, window_days)
    if cached is not None:
        return cached
    simulation = Simulation.objects.create(
        kind=SimulationKind.RULE,
        rule_id=rule_id,
        rule_spec=spec | {"digest": digest},
        window_days=window_days,
        requested_by=actor,
    )
    return _enqueue(simulation)


def _progress(simulation_id: int):
    def report(percent: int) -> None:
        Simulation.objects.filter(pk=simulation_id).update(progress=percent)

    return report


def _rule_from_spec(spec: dict) -> HandoffRule:
    rule = HandoffRule(name=spec.get("name", "(proposed rule)"))
    for part in RULE_PARTS:
        setattr(rule, part, spec[part])
    return rule


def simulation_run(*, simulation_id: int) -> Simulation:
    """Runs a queued simulation; a second delivery of the same job finds it taken and does nothing."""
    with transaction.atomic():
        taken = Simulation.objects.filter(pk=simulation_id, status=SimulationStatus.QUEUED).update(
            status=SimulationStatus.RUNNING, started_at=timezone.now(), progress=5
        )
    simulation = Simulation.objects.select_related("definition_version__definition").get(pk=simulation_id)
    if not taken:
        return simulation
    now = timezone.now()
    try:
        if simulation.kind == SimulationKind.DEFINITION:
            result = definition_simulate(
                version=simulation.definition_version,
                window_days=simulation.window_days,
                now=now,
                progress=_progress(simulation.pk),
            )
        else:
            result = rule_simulate(
                rule=_rule_from_spec(simulation.rule_spec),
                window_days=simulation.window_days,
                now=now,
                progress=_progress(simulation.pk),
            )
    except (ValidationError, ValueError) as exc:
        simulation.status, simulation.error = SimulationStatus.FAILED, str(exc)[:500]
        simulation.finished_at = timezone.now()
        simulation.save(update_fields=["status", "error", "finished_at"])
        return simulation
    simulation.result, simulation.status, simulation.progress = result, SimulationStatus.DONE, 100
    simulation.history_until_id = result.get("history_until_id")
    simulation.finished_at = timezone.now()
    simulation.save(update_fields=["result", "status", "progress", "history_until_id", "finished_at"])
    return simulation


def latest_simulation(*, version: LeadDefinitionVersion | None = None, rule: HandoffRule | None = None):
    """The newest finished or running simulation of a version or saved rule (what its page shows)."""
    rows = Simulation.objects.exclude(status=SimulationStatus.FAILED)
    rows = rows.filter(definition_version=version) if version is not None else rows.filter(rule=rule)
    return rows.order_by("-requested_at").first()
