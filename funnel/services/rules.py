"""Rules of engagement and stage ownership: validated when saved, by the admin and the API alike."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.choices import Function, Role
from accounts.models import Team, User
from config.validation import json_problems
from funnel.engine import escalations, preconditions
from funnel.exceptions import NotAllowed
from funnel.models import HandoffRule, LeadDefinition, RuleStateChange, Simulation, Stage
from funnel.routing import spec as routing
from funnel.simulation.choices import RuleState
from leads.choices import Stage as StageKey

RULE_EDITORS = frozenset({Role.ADMIN, Role.REVENUE_LEADER, Role.SALES_MANAGER, Role.MARKETING_MANAGER})


def _reference_errors(rule: HandoffRule) -> list[str]:
    errors = []
    levels = [p["level"] for p in rule.preconditions if p.get("kind") == "definition_met"]
    known = set(LeadDefinition.objects.filter(code__in=levels).values_list("code", flat=True))
    errors += [f"preconditions: definition {level!r} does not exist." for level in levels if level not in known]
    teams, users = routing.referenced_ids(rule.routing)
    missing_teams = teams - set(Team.objects.filter(pk__in=teams).values_list("pk", flat=True))
    missing_users = users - set(User.objects.filter(pk__in=users, is_active=True).values_list("pk", flat=True))
    errors += [f"routing: team {pk} does not exist." for pk in sorted(missing_teams)]
    errors += [f"routing: user {pk} does not exist or is inactive." for pk in sorted(missing_users)]
    return errors


def handoff_rule_validate(rule: HandoffRule) -> None:
    """Every problem of the rule's structured parts, each naming where it is; raises ValidationError."""
    errors: dict[str, list[str]] = {}
    for field, problems in (
        (
            "preconditions",
            json_problems(rule.preconditions, "preconditions")
            or preconditions.validate_preconditions(rule.preconditions),
        ),
        ("routing", json_problems(rule.routing, "routing") or routing.validate_routing(rule.routing)),
        (
            "escalations",
            json_problems(rule.escalations, "escalations") or escalations.validate_escalations(rule.escalations),
        ),
    ):
        if problems:
            errors[field] = problems
    for field in ("from_stages", "to_stages"):
        bad = [s for s in getattr(rule, field) if s not in StageKey.values]
        if bad:
            errors[field] = [f"{field}: {', '.join(map(repr, bad))} not a stage."]
    if not errors:
        references = _reference_errors(rule)
        if references:
            errors["references"] = references
    if errors:
        raise ValidationError(errors)


def state_follow_switch(rule: HandoffRule) -> str | None:
    """The older on/off switch (API, admin) keeps meaning something: on is enforced, off retires an enforced
    rule; a draft or shadow rule switched off stays what it is. Returns the state before when it changed."""
    before = rule.state
    if rule.is_active:
        rule.state = RuleState.ENFORCED
    elif rule.state == RuleState.ENFORCED:
        rule.state = RuleState.RETIRED
    return before if rule.state != before else None


def state_switch_record(*, rule: HandoffRule, before: str | None, actor: User) -> None:
    """A state the switch changed is a decision like the state buttons': who, when, and that no simulation was
    in front of them. Called after the rule is saved."""
    if before is None:
        return
    now = timezone.now()
    RuleStateChange.objects.create(
        rule=rule, from_state=before, to_state=rule.state, actor=actor, at=now, note="Switched by is_active."
    )
    HandoffRule.objects.filter(pk=rule.pk).update(state_since=now)
    rule.state_since = now


def handoff_rule_save(*, actor: User, rule: HandoffRule | None = None, data: dict) -> HandoffRule:
    """Creates (rule None) or updates a rule from validated-shape `data`, refusing any malformed part."""
    if actor.role not in RULE_EDITORS and not actor.is_superuser:
        raise NotAllowed("Managers, revenue leaders and administrators manage handoff rules.")
    rule = rule or HandoffRule(created_by=actor)
    for field in HandoffRule.EDITABLE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    before = state_follow_switch(rule) if "is_active" in data else None
    handoff_rule_validate(rule)
    rule.full_clean(exclude=["preconditions", "routing", "escalations", "created_by"])
    with transaction.atomic():
        existed = rule.pk is not None
        rule.save()
        if existed:  # a new rule's first state is not a change
            state_switch_record(rule=rule, before=before, actor=actor)
    return rule


def stage_owner_set(*, actor: User, stage_key: str, owning_function: str) -> Stage:
    if not actor.is_administrator:
        raise NotAllowed("Only administrators change which function owns a stage.")
    if owning_function not in Function.values:
        raise ValidationError({"owning_function": f"{owning_function!r} is not marketing, sales or shared."})
    stage = Stage.objects.get(pk=stage_key)
    stage.owning_function = owning_function
    stage.save(update_fields=["owning_function"])
    return stage


# Which states a rule may go to from each: a retired rule comes back through draft or shadow, or directly.
STATE_MOVES = {
    RuleState.DRAFT: {RuleState.SHADOW, RuleState.ENFORCED, RuleState.RETIRED},
    RuleState.SHADOW: {RuleState.DRAFT, RuleState.ENFORCED, RuleState.RETIRED},
    RuleState.ENFORCED: {RuleState.SHADOW, RuleState.RETIRED},
    RuleState.RETIRED: {RuleState.DRAFT, RuleState.SHADOW, RuleState.ENFORCED},
}


def handoff_rule_state_set(
    *,
    actor: User,
    rule_id: int,
    to_state: str,
    simulation_id: int | None = None,
    note: str = "",
    at: datetime | None = None,
) -> RuleStateChange:
    """Moves a rule between draft, shadow, enforced and retired, recording who decided, when, and the
    simulation they had in front of them (which must be one of this rule's)."""
    if actor.role not in RULE_EDITORS and not actor.is_superuser:
        raise NotAllowed("Managers, revenue leaders and administrators change a rule's state.")
    if to_state not in RuleState.values:
        raise ValidationError({"state": f"{to_state!r} is not a rule state; use {', '.join(RuleState.values)}."})
    if len(note) > 500 or "\x00" in note:
        raise ValidationError({"note": "At most 500 characters, and no NUL characters."})
    with transaction.atomic():
        rule = HandoffRule.objects.select_for_update().get(pk=rule_id)
        if to_state not in STATE_MOVES[rule.state]:
            allowed = ", ".join(sorted(STATE_MOVES[rule.state]))
            raise ValidationError({"state": f"The rule is {rule.state}: it can go to {allowed}, not {to_state}."})
        simulation = None
        if simulation_id is not None:
            simulation = Simulation.objects.filter(pk=simulation_id, rule=rule).first()
            if simulation is None:
                raise ValidationError({"simulation": f"Simulation {simulation_id} is not one of this rule's."})
        now = at or timezone.now()
        change = RuleStateChange.objects.create(
            rule=rule, from_state=rule.state, to_state=to_state, actor=actor, at=now, simulation=simulation, note=note
        )
        rule.state, rule.state_since, rule.is_active = to_state, now, to_state == RuleState.ENFORCED
        rule.save(update_fields=["state", "state_since", "is_active", "updated_at"])
    return change
