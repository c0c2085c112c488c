"""Who owns a lead after a move: the first applicable rule whose routing is not "keep" decides, inside the one
door's transaction. A team is a pool; its cursor row is locked, and anyone's availability or cap read as of the
lock (availability.pool_at), so concurrent routings into one team take turns and never both see the same free slot."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from accounts.models import Team, User
from accounts.services import notification_send
from funnel.directory import directory_for_lead
from funnel.models import HandoffRule, RoutingCursor
from funnel.routing import availability
from funnel.routing.engine import Decision, direct_pick, weighted_pick
from funnel.routing.spec import DIRECTORY_ROLES
from funnel.services.checks import Check
from integrations.outbox import outbox_emit
from leads.criteria import describe, evaluate_criteria, lead_snapshot
from leads.models import Lead

ROUTABLE_ROLES = (Role.SALES_REP, Role.SDR, Role.MARKETER)


class TeamGone(Exception):
    """A routing spec names a team that was deleted since it was saved."""


@dataclass
class Routed:
    """The owner after the move (None: the lead waits in `team_id`'s queue), the check to record with the
    rules' results, and the decision to keep on the transition."""

    owner: User | None
    team_id: int | None
    check: Check | None = None
    decision: Decision | None = None

    @property
    def queued(self) -> bool:
        return self.decision is not None and self.decision.queued


def _create_cursor(team_id: int) -> None:
    # A team's first routing; a spec names teams by id, and one may have been deleted since.
    if not Team.objects.filter(pk=team_id).exists():
        raise TeamGone(team_id)
    RoutingCursor.objects.get_or_create(team_id=team_id)


def _lock_pool(team_id: int) -> None:
    if not availability.lock_pool(team_id):
        _create_cursor(team_id)
        availability.lock_pool(team_id)


def pool_route(team_id: int, now: datetime, *, how: str = "") -> tuple[User | None, Decision]:
    """Weighted round-robin over the team's available members; None with a queued decision when nobody is.
    Every move into a pool runs this: the lock and the reads are one statement, the cursor's update another."""
    pool = availability.pool_at(team_id, now, ROUTABLE_ROLES)
    if pool is None:
        _create_cursor(team_id)
        pool = availability.pool_at(team_id, now, ROUTABLE_ROLES)
    decision, credits = weighted_pick(
        pool.people, pool.credits, how=how or f"weighted round-robin in {pool.name}", pool=pool.ref
    )
    availability.pool_advance(team_id, {key: value for key, value in credits.items() if int(key) in pool.rows})
    return (pool.user(decision.winner["id"]) if decision.winner else None), decision


def person_route(user: User, now: datetime, *, how: str) -> tuple[User | None, Decision]:
    """The named person if available now, else their delegate if they are away and the delegate is not."""
    if user.team_id:
        _lock_pool(user.team_id)  # their cap is read under the same lock as their team's round-robin
    [person] = availability.people([user], now)
    delegate = None
    if person.delegate_id:
        delegate_user = User.objects.filter(pk=person.delegate_id, is_active=True).select_related("team").first()
        if delegate_user is not None:
            [delegate] = availability.people([delegate_user], now)
    decision = direct_pick(person, how=how, delegate=delegate)
    if decision.winner is None:
        return None, decision
    winner = user if decision.winner["id"] == user.pk else User.objects.select_related("team").get(pk=delegate.id)
    return winner, decision


def _fallback(spec: dict, lead: Lead, now: datetime, why: str, tried: Decision | None) -> Routed:
    """Round-robin in the spec's fallback team, else the owner stays; the decision keeps what was tried."""
    tried_candidates = tried.candidates if tried else []
    if spec.get("fallback_team"):
        owner, decision = pool_route(spec["fallback_team"], now)
        decision.how = f"{decision.how} ({why})"
        decision.candidates = tried_candidates + decision.candidates
        return Routed(owner, spec["fallback_team"], decision=decision)
    decision = Decision(how=why, candidates=tried_candidates, winner=_ref(lead.owner), kept=True)
    return Routed(lead.owner, lead.team_id, decision=decision)


def _ref(user: User | None) -> dict | None:
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()} if user else None


def _rules(spec: dict, lead: Lead, now: datetime) -> Routed:
    values = lead_snapshot(lead)
    for index, route in enumerate(spec["routes"]):
        if all(result.passed for result in evaluate_criteria(route["when"], values)):
            matched = " and ".join(describe(condition) for condition in route["when"]["conditions"])
            owner, decision = pool_route(route["team"], now)
            decision.how = f"route {index + 1} ({matched}), {decision.how}"
            return Routed(owner, route["team"], decision=decision)
    return _fallback(spec, lead, now, "no route matched", None)


def _person_or_fallback(spec: dict, lead: Lead, user: User | None, how: str, why: str, now: datetime) -> Routed:
    if user is not None:
        owner, decision = person_route(user, now, how=how)
        if owner is not None:
            return Routed(owner, owner.team_id, decision=decision)
        skipped = decision.candidates[0]["detail"]
        return _fallback(spec, lead, now, f"{user.get_username()} is {skipped}", decision)
    return _fallback(spec, lead, now, why, None)


def _match(spec: dict, lead: Lead, now: datetime) -> Routed:
    value = lead_snapshot(lead).get(spec["field"]) or ""
    user_id = spec["map"].get(value)
    user = User.objects.filter(pk=user_id, is_active=True).select_related("team").first() if user_id else None
    how = f"{spec['field']} {value!r} is {user.get_username()}'s" if user else ""
    return _person_or_fallback(spec, lead, user, how, f"no match for {spec['field']} {value!r}", now)


def _directory(spec: dict, lead: Lead, function: str, now: datetime) -> Routed:
    role = DIRECTORY_ROLES[function]
    answer = next(a for a in directory_for_lead(lead) if a.role == role)
    user = None
    if answer.person is not None:
        user = User.objects.filter(pk=answer.person.id, is_active=True).select_related("team").first()
    if answer.person is None:
        why = f"the directory names no {role} for this lead"
    else:
        why = f"the directory's {role} {answer.person.username} is inactive"
    how = f"the directory's {role} for {answer.line} (line #{answer.line_id})"
    return _person_or_fallback(spec, lead, user, how, why, now)


def _decide(spec: dict, lead: Lead, function: str, now: datetime) -> Routed:
    if spec["kind"] == "round_robin":
        owner, decision = pool_route(spec["team"], now)
        return Routed(owner, spec["team"], decision=decision)
    if spec["kind"] == "rules":
        return _rules(spec, lead, now)
    if spec["kind"] == "directory":
        return _directory(spec, lead, function, now)
    return _match(spec, lead, now)


def route(
    rules: list[HandoffRule],
    lead: Lead,
    default: User | None = None,
    *,
    function: str | None = None,
    now: datetime | None = None,
) -> Routed:
    """Who owns the lead after the move. Without a routing rule: `default` if given, else the owner. When
    nobody in the pool can take it the move still happens: the lead waits in the pool's queue and the team's
    manager is told (on commit). `function` owns the stage the lead moves into (the lead's own by default):
    directory routing picks the person for that side."""
    rule = next((r for r in rules if r.routing.get("kind", "keep") != "keep"), None)
    if rule is None:
        owner = default or lead.owner
        return Routed(owner, owner.team_id if owner else lead.team_id)
    try:
        routed = _decide(rule.routing, lead, function or lead.owning_function, now or timezone.now())
    except TeamGone as gone:
        kept = Decision(how=f"team {gone.args[0]} no longer exists", winner=_ref(lead.owner), kept=True)
        routed = Routed(lead.owner, lead.team_id, decision=kept)
    sentence = routed.decision.sentence()
    routed.check = Check(rule.name, "routing", True, sentence, rule.pk)
    if routed.queued:
        outbox_emit(
            task="funnel.tasks.routing_queue_notify", lead_id=lead.pk, team_id=routed.team_id, sentence=sentence
        )
    return routed


def queue_manager(team: Team) -> User | None:
    """The team's manager, else the nearest manager up the team tree."""
    for _ in range(20):  # deeper than this is a data error, not a reason to loop
        if team is None:
            return None
        if team.manager_id and team.manager.is_active:
            return team.manager
        team = team.parent
    return None


def queue_notify(lead_id: int, team_id: int, sentence: str) -> None:
    team = Team.objects.select_related("manager", "parent").get(pk=team_id)
    manager = queue_manager(team)
    if manager is None:
        return
    notification_send(
        recipient=manager,
        kind="routing_queued",
        subject_type="leads.lead",
        subject_id=lead_id,
        message=f"Lead #{lead_id} is waiting in {team.name}'s queue: {sentence}",
        url=reverse("lead-detail", args=[lead_id]),
    )
