"""What a proposed or changed handoff rule would have done, replayed over the past moves in its scope, each on
the snapshot it kept of the lead (Transition.context):

- refusals: every precondition and approve-escalation compiled to one SQL condition over the snapshot, all
  counted in one aggregate — how many moves it would have refused and on which checks;
- routing: where its routing would have sent those leads, against who really received them (weighted
  round-robin replayed in move order with today's weights and the absences of the time; caps and working
  hours are not replayed: pending counts of the past are not kept);
- SLA: of the handoffs those moves opened, how many would have breached its accept SLA given when they were
  really answered (or now, while still pending).
"""

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, TruncDate

from accounts.models import OutOfOffice, User
from funnel.engine import escalations, preconditions
from funnel.models import ApprovalRequest, HandoffRule, LeadDefinitionVersion, Transition
from funnel.routing.engine import Person, weighted_pick
from funnel.routing.services import ROUTABLE_ROLES
from funnel.simulation.sla import sla_part
from funnel.simulation.sql import with_history_snapshot
from leads.choices import VersionStatus
from leads.scoring.sql import condition_q, criteria_q

NOTHING = Q(pk__in=[])
MAX_ROUTING_REPLAY = 2_000_000  # moves replayed one by one in Python; beyond, the newest ones


def _count(condition: Q) -> Coalesce:
    return Coalesce(Sum(Case(When(condition, then=1), default=0, output_field=IntegerField())), 0)


def _collateral_q(kinds: list[str]) -> Q:
    if not kinds:
        return Q(collateral_n__gt=0)
    used = RawSQL(
        "EXISTS (SELECT 1 FROM jsonb_array_elements(funnel_transition.context -> 'collateral_used') u"
        " WHERE u ->> 0 = ANY(%s))",
        [list(kinds)],
        output_field=BooleanField(),
    )
    return Q(used)


def precondition_q(spec: dict, definitions: dict[str, dict]) -> Q:
    """The moves whose snapshot passes one precondition, as the Python kind would judge it at the move."""
    kind = spec["kind"]
    if kind == "definition_met":
        criteria = definitions.get(spec["level"])
        return criteria_q(criteria) if criteria else NOTHING
    if kind == "required_fields":
        q = Q()
        for field in spec["fields"]:
            q &= condition_q({"field": field, "op": "present"})
        return q
    if kind == "min_score":
        return condition_q({"field": "score", "op": "gte", "value": spec["score"]})
    if kind == "call_report_within_days":
        oldest = ExpressionWrapper(F("move_day") - timedelta(days=spec["days"]), output_field=DateField())
        return Q(last_report_on__isnull=False) & Q(last_report_on__gte=oldest)
    if kind == "collateral_used":
        return _collateral_q(spec["kinds"])
    raise ValueError(f"No SQL for precondition kind {kind!r}")  # a new kind must add its SQL here


def approval_q(spec: dict) -> Q:
    """The moves an approve-escalation would have let through: not triggered, moved by the role, or approved."""
    approved = Exists(ApprovalRequest.objects.filter(used_by=OuterRef("pk")))
    by_the_role = Q(actor__isnull=False) & Q(actor__role=spec["role"])  # a job's move (no actor) is not the role
    return ~condition_q(spec["when"]) | by_the_role | Q(approved)


def checks_for(rule: HandoffRule, definitions: dict[str, dict]) -> list[tuple[str, Q]]:
    checks = [
        (preconditions.REGISTRY[s["kind"]].describe(s), precondition_q(s, definitions)) for s in rule.preconditions
    ]
    checks += [(escalations.describe(s), approval_q(s)) for s in rule.escalations if s["action"] == escalations.APPROVE]
    return checks


def active_definitions() -> dict[str, dict]:
    versions = LeadDefinitionVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("definition")
    return {v.definition.code: v.criteria for v in versions}


def moves_in_scope(rule: HandoffRule, since: datetime):
    scope = Q(occurred_at__gte=since, context__isnull=False, from_stage__isnull=False)
    if rule.to_stages:
        scope &= Q(to_stage__in=rule.to_stages)
    if rule.from_stages:
        scope &= Q(from_stage__in=rule.from_stages)
    return with_history_snapshot(Transition.objects.filter(scope)).annotate(
        last_report_on=Cast(KT("context__last_call_report_on"), DateField()),
        move_day=TruncDate("occurred_at", tzinfo=UTC),
        collateral_n=Coalesce(
            RawSQL("jsonb_array_length(funnel_transition.context -> 'collateral_used')", [], IntegerField()), 0
        ),
    )


def refusals(moves, checks: list[tuple[str, Q]]) -> tuple[dict, Q]:
    """Counts of moves and refusals (overall and per check), and the condition of the moves let through."""
    passes_all = Q()
    for _, q in checks:
        passes_all &= q
    measures = {"moves": Count("id"), "refused": _count(~passes_all) if checks else _count(NOTHING)}
    measures |= {f"check_{i}": _count(~q) for i, (_, q) in enumerate(checks)}
    row = moves.aggregate(**measures)
    by_check = [{"check": label, "refused": row[f"check_{i}"]} for i, (label, _) in enumerate(checks)]
    return {"moves": row["moves"], "refused": row["refused"], "by_check": by_check}, passes_all


def _absences(user_ids: list[int], since: datetime) -> dict[int, list[tuple[datetime, datetime]]]:
    spans: dict[int, list] = {}
    for user_id, starts, ends in OutOfOffice.objects.filter(user_id__in=user_ids, ends_at__gte=since).values_list(
        "user_id", "starts_at", "ends_at"
    ):
        spans.setdefault(user_id, []).append((starts, ends))
    return spans


def _team_members(team_id: int) -> list[tuple]:
    return list(
        User.objects.filter(team_id=team_id, is_active=True, role__in=ROUTABLE_ROLES)
        .order_by("id")
        .values_list("id", "username", "routing_weight", "routing_paused")
    )


def _steady_replay(members: list[tuple], moves: int) -> Counter:
    """`moves` picks of weighted_pick's arithmetic when nobody's availability changes over the window (no
    absence in it): the same credits, the same tie-break (credit, then weight, then the lower id), the same
    winners, without building a Person and a Decision per move."""
    available = [(pk, name, weight) for pk, name, weight, paused in members if not paused]
    if not available:
        return Counter({"(team queue)": moves} if moves else {})
    total = sum((weight for _, _, weight in available), Decimal(0))
    balance = {pk: Decimal(0) for pk, _, _ in available}
    winners: list[str] = []
    # The picks depend only on the credits, so once the credits are all back at zero (smooth weighted
    # round-robin gets there after one round of the weights) the sequence repeats: replay one round.
    while len(winners) < moves:
        for pk, _, weight in available:
            balance[pk] += weight
        winner = max(available, key=lambda p: (balance[p[0]], p[2], -p[0]))
        balance[winner[0]] -= total
        winners.append(winner[1])
        if not any(balance.values()):
            break
    rounds, rest = divmod(moves, len(winners)) if winners else (0, 0)
    wins = Counter({name: n * rounds for name, n in Counter(winners).items()})
    return wins + Counter(winners[:rest])


def _team_replay(team_id: int, moments: list[datetime] | int, since: datetime) -> Counter:
    """Weighted round-robin over the team's current members at each moment, skipping who was away then;
    `moments` is a count when nobody in the team was away in the window (_teams_by_move)."""
    members = _team_members(team_id)
    if isinstance(moments, int):
        return _steady_replay(members, moments)
    away = _absences([m[0] for m in members], since)
    credits: dict[str, str] = {}
    spread: Counter = Counter()
    for at in moments:
        people = [
            Person(
                id=pk,
                name=name,
                weight=weight,
                paused=paused,
                away_until=next((end for start, end in away.get(pk, ()) if start <= at < end), None),
            )
            for pk, name, weight, paused in members
        ]
        decision, credits = weighted_pick(people, credits, how="replay", pool=None)
        spread[decision.winner["name"] if decision.winner else "(team queue)"] += 1
    return spread


def routing_spread(rule: HandoffRule, moves, passes: Q, since: datetime) -> dict:
    """Where the moves the rule would have let through would have gone, and where they really went."""
    allowed = moves.filter(passes)
    actual = Counter(
        {
            (row["to_owner__username"] or "(nobody)"): row["n"]
            for row in allowed.values("to_owner__username").annotate(n=Count("id"))
        }
    )
    spec = rule.routing
    kind = spec.get("kind", "keep")
    if kind in ("keep", "directory"):
        note = "the owner stays" if kind == "keep" else "directory routing depends on today's directory; not replayed"
        return {"kind": kind, "note": note, "would": None, "actual": dict(actual)}
    if kind == "match":
        would: Counter = Counter()
        names = dict(User.objects.filter(pk__in=spec["map"].values()).values_list("pk", "username"))
        for row in allowed.values(f"c_{spec['field']}").annotate(n=Count("id")):
            user_id = spec["map"].get(row[f"c_{spec['field']}"] or "")
            would[names.get(user_id, "(fallback)") if user_id else "(fallback)"] += row["n"]
        return {"kind": kind, "note": "", "would": dict(would), "actual": dict(actual)}
    teams = _teams_by_move(spec, allowed, since)
    would = Counter()
    for team_id, moments in teams.items():
        if team_id:
            would += _team_replay(team_id, moments, since)
        else:
            would += Counter({"(owner stays)": moments if isinstance(moments, int) else len(moments)})
    return {"kind": kind, "note": "caps and working hours not replayed", "would": dict(would), "actual": dict(actual)}


def _teams_by_move(spec: dict, moves, since: datetime) -> dict[int | None, list[datetime] | int]:
    """Each move's moment under the team its routing picks (the rules kind: the first route it meets). When
    every move is replayed and nobody in those teams was away in the window, the moments cannot change a pick:
    then each team's count of moves, from one GROUP BY instead of a row per move."""
    if spec["kind"] == "round_robin":
        route = Value(spec["team"], output_field=IntegerField())
    else:
        whens = [When(criteria_q(r["when"]), then=Value(r["team"])) for r in spec["routes"]]
        route = Case(*whens, default=Value(spec.get("fallback_team")), output_field=IntegerField())
    routed = moves.annotate(team_=route)
    counts = dict(routed.order_by().values("team_").annotate(n=Count("id")).values_list("team_", "n"))
    away = OutOfOffice.objects.filter(user__team_id__in=[t for t in counts if t], ends_at__gte=since).exists()
    if not away and sum(counts.values()) <= MAX_ROUTING_REPLAY:
        return counts
    if not away and len(counts) == 1:  # one team: the newest MAX_ROUTING_REPLAY moves are all its own
        return {team: min(n, MAX_ROUTING_REPLAY) for team, n in counts.items()}
    newest = routed.order_by("-occurred_at", "-id")[:MAX_ROUTING_REPLAY]
    teams: dict[int | None, list[datetime]] = {}
    for at, team in sorted(newest.values_list("occurred_at", "team_")):
        teams.setdefault(team, []).append(at)
    return teams


def rule_simulate(*, rule: HandoffRule, window_days: int, now: datetime, progress=None) -> dict:
    """The whole replay of one rule (saved or not) over the last `window_days` of moves."""
    since = now - timedelta(days=window_days)
    moves = moves_in_scope(rule, since)
    checks = checks_for(rule, active_definitions())
    refused, passes = refusals(moves, checks)
    if progress:
        progress(40)
    routing = routing_spread(rule, moves, passes, since)
    if progress:
        progress(75)
    return {
        "rule": rule.name,
        "window_days": window_days,
        "computed_at": now.isoformat(),
        "refusals": refused,
        "routing": routing,
        "sla": sla_part(rule, moves, now),
        "history_until_id": Transition.objects.aggregate(n=Max("id"))["n"],
    }
