"""The rules of engagement in words: for each class of moves, what must be true, who gets the lead, who must
be involved or approve, and the SLA clocks."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.models import Team, User
from funnel import selectors
from funnel.engine import escalations, preconditions, routing
from funnel.services.rules import RULE_EDITORS
from leads.choices import Stage


def _stages(keys: list[str]) -> str:
    return ", ".join(Stage(key).label for key in keys) if keys else "any stage"


def _names(rules) -> dict:
    teams, users = set(), set()
    for rule in rules:
        more_teams, more_users = routing.referenced_ids(rule.routing)
        teams |= more_teams
        users |= more_users
    names = {pk: f"team {name}" for pk, name in Team.objects.filter(pk__in=teams).values_list("pk", "name")}
    for user in User.objects.filter(pk__in=users):
        names[user.pk] = user.get_full_name() or user.get_username()
    return names


@login_required
def rule_list(request):
    rules = list(selectors.handoff_rule_list())
    names = _names(rules)
    rows = [
        {
            "rule": rule,
            "moves": f"{_stages(rule.from_stages)} → {_stages(rule.to_stages)}",
            "preconditions": [preconditions.REGISTRY[s["kind"]].describe(s) for s in rule.preconditions],
            "routing": routing.describe_routing(rule.routing, names),
            "escalations": [escalations.describe(s) for s in rule.escalations],
        }
        for rule in rules
    ]
    may_edit = request.user.role in RULE_EDITORS or request.user.is_superuser
    return render(request, "funnel/rule_list.html", {"rows": rows, "may_edit": may_edit})
