"""The rules of engagement in words, and — for managers, revenue leaders and administrators — a form that
edits them with structured rows instead of JSON: what must be true, who gets the lead, who must be involved
or approve, and the SLA clocks. Every save goes through funnel.services.rules, like the API and the admin."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from accounts.choices import Role
from accounts.models import Team, User
from funnel import forms, selectors
from funnel.engine import escalations, preconditions
from funnel.models import HandoffRule, LeadDefinition
from funnel.routing import spec as routing
from funnel.routing.services import ROUTABLE_ROLES
from funnel.services import rules as rule_services
from funnel.simulation.choices import RuleState
from funnel.views import rule_states
from leads import criteria as conditions
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


def _may_edit(user) -> bool:
    return user.role in rule_services.RULE_EDITORS or user.is_superuser


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
            "state": rule_states.state_line(rule),
        }
        for rule in rules
    ]
    return render(request, "funnel/rule_list.html", {"rows": rows, "may_edit": _may_edit(request.user)})


def rule_language() -> dict:
    """Everything the rule editor offers, from the same registries the service validates against."""
    people = User.objects.filter(is_active=True, role__in=ROUTABLE_ROLES).order_by("username")
    return {
        **conditions.language(),
        "kinds": [
            {"name": k.name, "words": k.words, "params": list(k.params)} for k in preconditions.REGISTRY.values()
        ],
        "definitions": list(LeadDefinition.objects.values_list("code", flat=True)),
        "roles": [[role.value, role.label] for role in Role],
        "teams": [[team.pk, team.name] for team in Team.objects.order_by("name")],
        "people": [[person.pk, person.get_full_name() or person.get_username()] for person in people],
        "match_fields": list(routing.MATCH_FIELDS),
    }


def _initial(rule: HandoffRule | None) -> dict:
    if rule is None:
        return {"routing": {"kind": "keep"}, "preconditions": [], "escalations": [], "sla_clock": "working"}
    return {name: getattr(rule, name) for name in HandoffRule.EDITABLE_FIELDS}


def _save(request, rule: HandoffRule | None, form) -> HandoffRule:
    if rule is None:
        start_as = form.cleaned_data.get("start_as") or RuleState.ENFORCED  # a form from before the choice
        return rule_states.rule_create(actor=request.user, data=form.rule_data(), start_as=start_as)
    return rule_services.handoff_rule_save(actor=request.user, rule=rule, data=form.rule_data())


@login_required
def rule_edit(request, rule_id: int | None = None):
    if not _may_edit(request.user):
        raise PermissionDenied("Managers, revenue leaders and administrators change the rules of engagement.")
    rule = get_object_or_404(HandoffRule, pk=rule_id) if rule_id else None
    form = rule_states.rule_form(request.POST or None, initial=_initial(rule), new=rule is None)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save(request, rule, form)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved the rule “{saved.name}”; {rule_states.SAVED_WORDS[saved.state]}.")
            return redirect("rule-list")
    return rule_states.edit_page(request, rule, form, status=422 if form.errors else 200)
