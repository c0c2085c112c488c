"""The one door: every stage change of a lead, from the web UI, the API, imports and jobs, comes through
`lead_transition`. Nothing else writes Lead.stage, owner, team or owning_function after capture."""

from dataclasses import asdict
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone
from psycopg.errors import LockNotAvailable

from accounts.models import User
from funnel.attribution.services import purchase_record
from funnel.choices import ApprovalStatus
from funnel.engine import escalations, preconditions
from funnel.exceptions import IllegalMove, LeadBusy, TransitionRefused
from funnel.metrics.spans import span_advance
from funnel.models import ApprovalRequest, HandoffRule, Stage, Transition
from funnel.routing import services as routing
from funnel.services import handoff_open
from funnel.services.checks import Check, Effects
from funnel.services.config import FunnelConfig, funnel_config
from funnel.services.context import build_context, context_record
from funnel.simulation import shadow
from leads.choices import OUTCOMES
from leads.choices import Stage as StageKey
from leads.models import Lead


def _lock(lead_id: int, expected_from: str | None) -> Lead:
    # NOWAIT: a second mover gets a conflict at once instead of queueing behind the first and then moving a
    # lead whose stage it never saw.
    try:
        lead = (
            Lead.objects.select_for_update(nowait=True, of=("self",)).select_related("company", "owner").get(pk=lead_id)
        )
    except OperationalError as exc:
        if not isinstance(exc.__cause__, LockNotAvailable):
            raise
        raise LeadBusy("Another change to this lead is in progress; reload it and try again.") from None
    if expected_from is not None and lead.stage != expected_from:
        raise LeadBusy(
            f"The lead moved to {lead.stage} since you read it (you expected {expected_from}); reload it.",
            current_stage=lead.stage,
        )
    return lead


def _target_stage(config: FunnelConfig, from_stage: str, to_stage: str) -> Stage:
    """The target stage if the graph has the edge; IllegalMove naming the stages that are allowed."""
    allowed = config.moves_from.get(from_stage, [])
    if to_stage not in allowed:
        raise IllegalMove(
            f"A lead cannot move from {from_stage} to {to_stage}; from {from_stage} it may go to "
            f"{', '.join(allowed) or 'nowhere'}.",
            from_stage=from_stage,
            to_stage=to_stage,
            allowed=allowed,
        )
    return config.stages[to_stage]


def applicable_rules(from_stage: str | None, to_stage: str) -> list[HandoffRule]:
    return funnel_config().rules_for(from_stage, to_stage)


def _precondition_checks(rule: HandoffRule, ctx: preconditions.Context) -> list[Check]:
    checks = []
    for spec in rule.preconditions:
        label, outcome = preconditions.evaluate_precondition(spec, ctx)
        remedy = "" if outcome.passed else preconditions.remedy_for(spec)
        checks.append(Check(rule.name, label, outcome.passed, outcome.reason, rule.pk, remedy, outcome.fields))
    return checks


def _involved_user(role: str, lead: Lead) -> User | None:
    """The nearest manager above the owner who holds `role`, else the longest-standing active user with it."""
    person = lead.owner.manager if lead.owner_id and lead.owner.manager_id else None
    for _ in range(20):  # a hierarchy deeper than this is a data error, not a reason to loop forever
        if person is None:
            break
        if person.role == role and person.is_active:
            return person
        person = person.manager
    return User.objects.filter(role=role, is_active=True).order_by("id").first()


def _escalation_check(rule, spec, lead, ctx, actor, to_stage, effects) -> Check:
    label = escalations.describe(spec)
    trigger = escalations.triggered(spec, ctx.lead)

    def check(passed: bool, reason: str, remedy: str = "") -> Check:
        return Check(rule.name, label, passed, reason, rule.pk, remedy=remedy, fields=trigger.fields)

    if not trigger.passed:
        return check(True, f"not triggered ({trigger.reason})")
    role_label = spec["role"].replace("_", " ")
    if spec["action"] == escalations.INVOLVE:
        user = _involved_user(spec["role"], lead)
        if user is None:
            return check(False, f"no active user is a {role_label} to involve")
        effects.involve.append((user, f"{rule.name}: {label}"))
        return check(True, f"{user.get_username()} involved ({trigger.reason})")
    if actor is not None and actor.role == spec["role"]:
        return check(True, f"moved by a {role_label} ({trigger.reason})")
    approval = (
        ApprovalRequest.objects.select_for_update()
        .filter(lead=lead, to_stage=to_stage, rule=rule, status=ApprovalStatus.APPROVED, used_by__isnull=True)
        .first()
    )
    if approval is not None:
        effects.approvals.append(approval)
        return check(True, f"approved by {approval.decided_by.get_username()}")
    reason = f"needs approval by a {role_label} ({trigger.reason}); request an approval first"
    return check(False, reason, remedy="request_approval")


def evaluate_rules(lead: Lead, to_stage: str, actor: User | None, now: datetime, config: FunnelConfig):
    """Every check of every applicable rule, the effects of the passing ones, the context and the rules."""
    rules = config.rules_for(lead.stage, to_stage)
    ctx = build_context(lead, now, config.definitions)
    checks: list[Check] = []
    effects = Effects(involve=[], approvals=[])
    for rule in rules:
        checks += _precondition_checks(rule, ctx)
        checks += [_escalation_check(rule, s, lead, ctx, actor, to_stage, effects) for s in rule.escalations]
    return checks, effects, ctx, rules


def _refuse_if_failed(checks: list[Check]) -> None:
    failed = [asdict(check) for check in checks if not check.passed]
    if failed:
        summary = "; ".join(f"{c['rule']}: {c['check']} — {c['reason']}" for c in failed)
        raise TransitionRefused(f"The move breaks {len(failed)} rule check(s): {summary}", failed=failed)


def _check_reason(to_stage: str, reason: str) -> None:
    if to_stage in OUTCOMES and not reason.strip():
        raise ValidationError({"reason": f"Moving a lead to {to_stage} needs a reason."})


def _write(lead, to_stage, stage, routed, actor, reason, checks, ctx, now) -> Transition:
    owner = routed.owner
    transition = Transition.objects.create(
        lead=lead,
        from_stage=lead.stage,
        to_stage=to_stage,
        actor=actor,
        occurred_at=now,
        reason=reason,
        from_owner=lead.owner,
        to_owner=owner,
        rule_results=[asdict(check) for check in checks],
        definition_versions=[
            {"code": d.code, "version_id": d.version_id, "number": d.number} for d in ctx.used_definitions
        ],
        routing=routed.decision.as_dict() if routed.decision else None,
        context=context_record(ctx),
    )
    span_advance(transition=transition, team_id=routed.team_id)
    Lead.objects.filter(pk=lead.pk).update(
        stage=to_stage,
        stage_entered_at=now,
        owner=owner,
        team_id=routed.team_id,
        owning_function=stage.owning_function,
        outcome_reason=reason if to_stage in OUTCOMES else "",
        updated_at=now,
    )
    return transition


def _shadow(config, lead, to_stage, actor, ctx, transition, now) -> None:
    """Shadow rules' verdicts on this real move, recorded and never obeyed: what each would have refused (its
    preconditions and escalations). Where it would route is left to a simulation: a dry run of routing at every
    move would read the pool's people and cost more than the verdicts themselves."""
    rules = config.shadow_rules_for(lead.stage, to_stage)
    if not rules:
        return
    verdicts = []
    for rule in rules:
        checks = _precondition_checks(rule, ctx)
        throwaway = Effects(involve=[], approvals=[])
        checks += [_escalation_check(rule, s, lead, ctx, actor, to_stage, throwaway) for s in rule.escalations]
        verdicts.append((rule, checks))
    shadow.shadow_results_record(transition=transition, verdicts=verdicts, at=now)


def lead_transition(
    *,
    lead: Lead,
    to_stage: str,
    actor: User | None,
    reason: str = "",
    expected_from: str | None = None,
    at: datetime | None = None,
    default_owner: User | None = None,
) -> Transition:
    """Moves `lead` to `to_stage` if the funnel graph and every applicable handoff rule allow it.

    In one transaction: locks the lead (LeadBusy/409 if another change holds it or it moved since
    `expected_from`, which defaults to the stage the caller read), checks the edge (IllegalMove), evaluates
    every rule (TransitionRefused lists each failed check; nothing is written), routes the new owner (or the
    team's queue when nobody can take it), writes the stage and an immutable Transition with every check's
    result, the definition versions used, the routing decision and the context the rules saw, records shadow
    rules' verdicts, adds escalation participants, consumes approvals and opens a handoff when the owning
    function changes.
    Notifications are scheduled on commit. `actor` None means the system (a job). `default_owner` takes the
    lead when no rule routes it (a rejected handoff returns to its sender).
    """
    if to_stage not in StageKey.values:
        raise ValidationError({"to_stage": f"{to_stage!r} is not a stage; use one of {', '.join(StageKey.values)}."})
    _check_reason(to_stage, reason)
    now = at or timezone.now()
    with transaction.atomic():
        locked = _lock(lead.pk, expected_from or lead.stage)
        config = funnel_config()
        stage = _target_stage(config, locked.stage, to_stage)
        checks, effects, ctx, rules = evaluate_rules(locked, to_stage, actor, now, config)
        pending = handoff_open.pending_handoff(locked)
        checks += handoff_open.pending_handoff_checks(pending, actor)
        _refuse_if_failed(checks)
        routed = routing.route(rules, locked, default=default_owner, function=stage.owning_function, now=now)
        if routed.check is not None:
            checks.append(routed.check)
        transition = _write(locked, to_stage, stage, routed, actor, reason, checks, ctx, now)
        _shadow(config, locked, to_stage, actor, ctx, transition, now)
        if to_stage == StageKey.PURCHASE:
            purchase_record(lead=locked, transition=transition)
        handoff_open.after_move(locked, transition, stage, routed, actor, rules, effects, now, pending=pending)
    return transition
