"""Who owns a lead after a move: the first applicable rule whose routing is not "keep" decides."""

from accounts.choices import Role
from accounts.models import User
from funnel.directory import directory_for_lead
from funnel.engine.routing import DIRECTORY_ROLES, round_robin_pick
from funnel.models import HandoffRule, RoutingCursor
from funnel.services.checks import Check
from leads.criteria import lead_snapshot
from leads.models import Lead

ROUTABLE_ROLES = (Role.SALES_REP, Role.SDR, Role.MARKETER)


def _round_robin(team_id: int) -> User | None:
    members = list(
        User.objects.filter(team_id=team_id, is_active=True, role__in=ROUTABLE_ROLES)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not members:
        return None
    # The cursor row lock makes concurrent assignments in one team take turns instead of picking the same rep.
    cursor, _ = RoutingCursor.objects.select_for_update().get_or_create(team_id=team_id)
    chosen = round_robin_pick(members, cursor.position)
    cursor.position += 1
    cursor.save(update_fields=["position"])
    return User.objects.select_related("team").get(pk=chosen)


def _match(spec: dict, lead: Lead) -> tuple[User | None, str]:
    value = lead_snapshot(lead).get(spec["field"]) or ""
    user_id = spec["map"].get(value)
    if user_id is not None:
        user = User.objects.filter(pk=user_id, is_active=True).select_related("team").first()
        if user is not None:
            return user, f"{spec['field']} {value!r} is {user.get_username()}'s"
    if spec.get("fallback_team"):
        return _round_robin(spec["fallback_team"]), f"no match for {spec['field']} {value!r}; round-robin"
    return lead.owner, f"no match for {spec['field']} {value!r}; owner kept"


def _directory(spec: dict, lead: Lead, function: str) -> tuple[User | None, str]:
    role = DIRECTORY_ROLES[function]
    answer = next(a for a in directory_for_lead(lead) if a.role == role)
    if answer.person is not None and answer.person.is_active:
        user = User.objects.filter(pk=answer.person.id, is_active=True).select_related("team").first()
        if user is not None:
            return user, f"the directory's {role} for {answer.line} (line #{answer.line_id})"
    why = (
        f"the directory names no {role} for this lead"
        if answer.person is None
        else f"the directory's {role} {answer.person.username} is inactive"
    )
    if spec.get("fallback_team"):
        return _round_robin(spec["fallback_team"]), f"{why}; round-robin"
    return lead.owner, f"{why}; owner kept"


def route(
    rules: list[HandoffRule], lead: Lead, default: User | None = None, *, function: str | None = None
) -> tuple[User | None, Check | None]:
    """(new owner, the routing check to record); the check fails when a rule routes to nobody. Without a
    routing rule the owner is `default` if given, else unchanged. `function` owns the stage the lead moves
    into (the lead's own by default): directory routing picks the person for that side."""
    rule = next((r for r in rules if r.routing.get("kind", "keep") != "keep"), None)
    if rule is None:
        return (default or lead.owner), None
    spec = rule.routing
    if spec["kind"] == "round_robin":
        owner, how = _round_robin(spec["team"]), "round-robin"
    elif spec["kind"] == "directory":
        owner, how = _directory(spec, lead, function or lead.owning_function)
    else:
        owner, how = _match(spec, lead)
    if owner is None:
        return None, Check(rule.name, "routing", False, "no active rep, SDR or marketer to route to", rule.pk)
    return owner, Check(rule.name, "routing", True, f"routed to {owner.get_username()} ({how})", rule.pk)
