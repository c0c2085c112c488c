"""Routing specs of handoff rules — who owns the lead after the move. Shape validation and description; the
engine makes the choice and the service loads the people and locks the team's cursor. A team is a routing
pool: its members' weights, caps and pauses are set on them (accounts.User.routing_*).

    {"kind": "keep"}                                          the owner stays
    {"kind": "round_robin", "team": 7}                        weighted round-robin over team 7's members
                                                              who are available (not away, paused or at cap)
    {"kind": "rules", "routes": [{"when": {"conditions": [...]}, "team": 7}, ...], "fallback_team": 9}
                                                              the first route whose criteria (the language of
                                                              definitions) the lead meets names the pool; no
                                                              match: fallback_team, else the owner stays
    {"kind": "match", "field": "territory", "map": {"EMEA": 12, "NA-East": 14}, "fallback_team": 7}
                                                              the user mapped to the lead's territory (or segment),
                                                              else round-robin in fallback_team, else keep
    {"kind": "directory", "fallback_team": 7}                 the responsible person the "who to call" directory
                                                              names for the lead (the rep for a sales stage, the
                                                              marketer for a marketing one, the liaison for a
                                                              shared one), else round-robin in fallback_team,
                                                              else keep
"""

from collections.abc import Mapping

from config.pagination import MAX_ID
from leads.criteria import describe, shown, validate_criteria

MATCH_FIELDS = ("territory", "segment", "industry")
# Which of the directory's people takes a lead, by the function owning the stage it moves into.
DIRECTORY_ROLES = {"sales": "rep", "marketing": "marketer", "shared": "liaison"}


MAX_MAP_ENTRIES = 500
MAX_ROUTES = 50


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _valid_map(mapping: object) -> bool:
    return (
        isinstance(mapping, Mapping)
        and 0 < len(mapping) <= MAX_MAP_ENTRIES
        and all(isinstance(k, str) and len(k) <= 100 and _is_id(v) for k, v in mapping.items())
    )


def _validate_routes(routes: object) -> list[str]:
    if not isinstance(routes, list) or not 0 < len(routes) <= MAX_ROUTES:
        return [f"routing.routes: must list 1 to {MAX_ROUTES} routes, each {{when, team}}."]
    errors = []
    for i, route in enumerate(routes):
        where = f"routing.routes[{i}]"
        if not isinstance(route, Mapping) or set(route) != {"when", "team"}:
            errors.append(f"{where}: must have exactly the keys when and team.")
            continue
        if not _is_id(route["team"]):
            errors.append(f"{where}.team: must be a team id.")
        errors += [f"{where}.when: {problem}" for problem in validate_criteria(route["when"])]
    return errors


def validate_routing(spec: object) -> list[str]:
    if not isinstance(spec, Mapping):
        return ["routing: must be an object."]
    kind = spec.get("kind")
    allowed = {
        "keep": {"kind"},
        "round_robin": {"kind", "team"},
        "rules": {"kind", "routes", "fallback_team"},
        "match": {"kind", "field", "map", "fallback_team"},
        "directory": {"kind", "fallback_team"},
    }
    if not isinstance(kind, str) or kind not in allowed:
        return [f"routing.kind: {shown(kind)} is not a routing kind; use keep, round_robin, rules, match or directory."]
    extra = set(spec) - allowed[kind]
    if extra:
        return [f"routing: unknown key(s) {', '.join(sorted(extra))} for kind {kind}."]
    if kind == "round_robin" and not _is_id(spec.get("team")):
        return ["routing.team: must be a team id."]
    if kind == "match":
        if spec.get("field") not in MATCH_FIELDS:
            return [f"routing.field: must be one of {', '.join(MATCH_FIELDS)}."]
        if not _valid_map(spec.get("map")):
            return [f"routing.map: must map 1 to {MAX_MAP_ENTRIES} values of the field to user ids."]
    if kind == "rules" and (problems := _validate_routes(spec.get("routes"))):
        return problems
    if (
        kind in ("match", "directory", "rules")
        and spec.get("fallback_team") is not None
        and not _is_id(spec["fallback_team"])
    ):
        return ["routing.fallback_team: must be a team id or null."]
    return []


def describe_routing(spec: Mapping, names: Mapping[int, str]) -> str:
    """A valid routing spec in words; `names` gives user and team names by id ("#12" when unknown)."""

    def name(pk: int) -> str:
        return names.get(pk, f"#{pk}")

    kind = spec.get("kind", "keep")
    if kind == "keep":
        return "the owner stays"
    if kind == "round_robin":
        return f"weighted round-robin in {name(spec['team'])}"
    fallback = spec.get("fallback_team")
    rest = f"; otherwise round-robin in {name(fallback)}" if fallback else "; otherwise the owner stays"
    if kind == "rules":
        routes = "; ".join(
            f"if {' and '.join(describe(c) for c in r['when']['conditions']) or 'any lead'}: {name(r['team'])}"
            for r in spec["routes"]
        )
        return f"{routes}{rest}"
    if kind == "directory":
        return f"the responsible person from the directory (rep, marketer or liaison by the stage's side){rest}"
    pairs = ", ".join(f"{value} → {name(user)}" for value, user in spec["map"].items())
    return f"by {spec['field']}: {pairs}{rest}"


def referenced_ids(spec: Mapping) -> tuple[set[int], set[int]]:
    """(team ids, user ids) a valid spec refers to, so the service can check they exist."""
    teams = {spec[key] for key in ("team", "fallback_team") if spec.get(key)}
    teams |= {route["team"] for route in spec.get("routes", [])}
    users = set(spec.get("map", {}).values())
    return teams, users
