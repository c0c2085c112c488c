"""A rule's life on its pages: its state (draft, shadow, enforced, retired) as a badge, a shadow rule's live
would-have-refused rate, the replay of the rule as saved or of the editor's unsaved changes (a Celery job the
page polls, as on the definitions page), and the recorded state moves with the simulation the decider saw."""

import json
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from funnel import forms as funnel_forms
from funnel.models import HandoffRule, RuleStateChange, Simulation
from funnel.services import rules as rule_services
from funnel.simulation import services
from funnel.simulation.choices import RuleState, SimulationKind, SimulationStatus
from funnel.simulation.shadow import shadow_rate
from funnel.views.common import error_message
from funnel.views.simulations import DEFAULT_WINDOW, RunForm, history_reach, may_simulate

BADGES = {
    RuleState.DRAFT: ("draft", "badge"),
    RuleState.SHADOW: ("shadow", "badge status-proposed"),
    RuleState.ENFORCED: ("enforced", "badge status-active"),
    RuleState.RETIRED: ("retired", "badge muted"),
}
# The buttons, in the order a rule usually travels.
MOVE_WORDS = {
    RuleState.SHADOW: "Put in shadow",
    RuleState.ENFORCED: "Enforce",
    RuleState.DRAFT: "Back to draft",
    RuleState.RETIRED: "Retire",
}
START_AS = [
    (RuleState.ENFORCED, "Enforced — checked from the next move"),
    (RuleState.SHADOW, "Shadow — evaluated and recorded at every move, never refuses or routes"),
    (RuleState.DRAFT, "Draft — not evaluated"),
]
SAVED_WORDS = {
    RuleState.ENFORCED: "it applies from the next move",
    RuleState.SHADOW: "in shadow it is recorded at every move from the next one, never obeyed",
    RuleState.DRAFT: "a draft is not evaluated",
    RuleState.RETIRED: "it is retired and not evaluated",
}
TOP_CHECKS = 3


class StateForm(forms.Form):
    to_state = forms.ChoiceField(choices=RuleState.choices)
    simulation = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    note = forms.CharField(required=False, max_length=500, strip=True)


def may_edit(user) -> bool:
    return user.role in rule_services.RULE_EDITORS or user.is_superuser


def rule_form(data, *, initial: dict, new: bool) -> funnel_forms.RuleForm:
    """The rule editor's form without the old on/off switch: a state changes only through a recorded move (the
    buttons), and a new rule says what it starts as."""
    form = funnel_forms.RuleForm(data, initial=initial)
    del form.fields["is_active"]
    if new:
        form.fields["start_as"] = forms.ChoiceField(
            choices=START_AS, required=False, initial=RuleState.ENFORCED, widget=forms.RadioSelect, label="Start as"
        )
    return form


def rule_create(*, actor, data: dict, start_as: str) -> HandoffRule:
    """A new rule is born a draft and, unless it stays one, moved at once — so that move is recorded too."""
    with transaction.atomic():
        born = HandoffRule(created_by=actor, state=RuleState.DRAFT, is_active=False, state_since=timezone.now())
        rule = rule_services.handoff_rule_save(actor=actor, rule=born, data=data)
        if start_as and start_as != RuleState.DRAFT:
            rule_services.handoff_rule_state_set(actor=actor, rule_id=rule.pk, to_state=start_as)
            rule.refresh_from_db()
    return rule


def rate_words(rate: dict) -> str:
    """ "would have refused 12 of 40 moves (30 %) since 3 Nov" — the live shadow rate in a sentence."""
    moves, refused = rate["moves"], rate["would_refuse"]
    since = f" since {timezone.localtime(rate['since']):%-d %b}" if rate["since"] else ""
    if not moves:
        return f"no move in its scope yet{since}"
    percent = round(100 * refused / moves)
    return f"would have refused {refused} of {moves} move{'s' if moves != 1 else ''} ({percent} %){since}"


def state_line(rule: HandoffRule) -> dict:
    """The badge of a rule and, in shadow, its live rate and the checks that failed most."""
    label, css = BADGES[rule.state]
    line = {"label": label, "css": css, "since": rule.state_since, "state": rule.state, "rate": None}
    if rule.state == RuleState.SHADOW:
        rate = shadow_rate(rule=rule)
        line["rate"] = {"words": rate_words(rate), "checks": rate["by_check"][:TOP_CHECKS], "moves": rate["moves"]}
    return line


def _spread(routing: dict) -> list[dict]:
    would, actual = routing.get("would") or {}, routing.get("actual") or {}
    names = sorted(set(would) | set(actual), key=lambda n: (-max(would.get(n, 0), actual.get(n, 0)), n))
    return [{"name": n, "would": would.get(n, 0) if would else None, "actual": actual.get(n, 0)} for n in names]


def _as_saved(simulation: Simulation, rule: HandoffRule | None) -> bool:
    spec = simulation.rule_spec or {}
    return rule is not None and all(spec.get(part) == getattr(rule, part) for part in services.RULE_PARTS)


def _result(simulation: Simulation, rule: HandoffRule | None) -> dict:
    result = simulation.result
    return {
        "refusals": result["refusals"],
        "routing": result["routing"],
        "spread": _spread(result["routing"]),
        "sla": result["sla"],
        "window_days": result["window_days"],
        "computed_at": datetime.fromisoformat(result["computed_at"]),
        "as_saved": _as_saved(simulation, rule),
    }


def panel(*, user, rule: HandoffRule | None, simulation=None, form=None, failed=None) -> dict | None:
    """The simulation panel of a rule's page: `simulation` if given, else the rule's newest."""
    if not may_simulate(user):
        return None
    if simulation is None and rule is not None:
        simulation = services.latest_simulation(rule=rule)
    done = simulation is not None and simulation.status == SimulationStatus.DONE
    reach = history_reach()
    initial = min(DEFAULT_WINDOW, reach) if reach else DEFAULT_WINDOW
    return {
        "rule": rule,
        "simulation": simulation,
        "result": _result(simulation, rule) if done else None,
        "shown_id": simulation.pk if done else None,
        "failed": failed,
        "reach": reach,
        "initial_window": initial,
        "form": form or RunForm(initial={"window_days": initial}, auto_id="id_rulesim_%s"),
    }


def states(*, user, rule: HandoffRule, shown_id: int | None) -> dict:
    """The state section: badge, live rate, the allowed moves (for editors) and the recorded history."""
    moves = rule_services.STATE_MOVES[RuleState(rule.state)]
    history = RuleStateChange.objects.filter(rule=rule).select_related("actor", "simulation")
    return {
        "line": state_line(rule),
        "buttons": [(state, words) for state, words in MOVE_WORDS.items() if state in moves] if may_edit(user) else [],
        "shown_id": shown_id,
        "history": [(change, BADGES[change.from_state][0], BADGES[change.to_state][0]) for change in history],
    }


def edit_page(request, rule, form, *, status=200, simulation=None, run_form=None, changes=False):
    """The rule editor with its simulation panel and, for a saved rule, its states."""
    from funnel.views.rules import rule_language  # rules.py renders through here; importing it at the top loops

    sim_panel = panel(user=request.user, rule=rule, simulation=simulation, form=run_form)
    context = {
        "form": form,
        "rule": rule,
        "language": json.dumps(rule_language()),
        "panel": sim_panel,
        "changes": changes,
        "states": states(user=request.user, rule=rule, shown_id=sim_panel and sim_panel["shown_id"]) if rule else None,
    }
    return render(request, "funnel/rule_form.html", context, status=status)


def _editable_rule(request, rule_id: int | None) -> HandoffRule | None:
    if not may_edit(request.user):
        raise PermissionDenied("Managers, revenue leaders and administrators change the rules of engagement.")
    return get_object_or_404(HandoffRule, pk=rule_id) if rule_id else None


def _initial(rule: HandoffRule) -> dict:
    return {name: getattr(rule, name) for name in HandoffRule.EDITABLE_FIELDS}


@login_required
@require_POST
def rule_simulate(request, rule_id: int):
    """Replays the rule as saved over the window asked for (or shows the recent replay of the same)."""
    rule = _editable_rule(request, rule_id)
    run_form = RunForm(request.POST, auto_id="id_rulesim_%s")
    if run_form.is_valid():
        try:
            simulation = services.rule_simulation_request(
                actor=request.user,
                rule_id=rule.pk,
                window_days=run_form.cleaned_data["window_days"],
                fresh=run_form.cleaned_data["fresh"],
            )
        except ValidationError as exc:
            funnel_forms.add_service_errors(run_form, exc)
        else:
            _started(request, simulation)
            return redirect(f"{reverse('rule-edit', args=[rule.pk])}#rule-simulation")
    form = rule_form(None, initial=_initial(rule), new=False)
    return edit_page(request, rule, form, status=400, run_form=run_form)


def _started(request, simulation: Simulation) -> None:
    started = "Started" if simulation.status == SimulationStatus.QUEUED else "Showing"
    days = simulation.window_days
    messages.success(request, f"{started} simulation #{simulation.pk} over the last {days} day{'s' * (days != 1)}.")


def _changes(form) -> dict:
    data = form.rule_data()
    return {part: data[part] for part in services.RULE_PARTS}


@login_required
@require_POST
def rule_simulate_changes(request, rule_id: int | None = None):
    """Replays the editor's form as it stands, unsaved: the page comes back with the same form and the result."""
    rule = _editable_rule(request, rule_id)
    form = rule_form(request.POST, initial=_initial(rule) if rule else {}, new=rule is None)
    window = RunForm(request.POST, auto_id="id_rulesim_%s")
    if not form.is_valid() or not window.is_valid():
        return edit_page(request, rule, form, status=422, run_form=window, changes=True)
    try:
        simulation = services.rule_simulation_request(
            actor=request.user,
            rule_id=rule.pk if rule else None,
            changes=_changes(form),
            window_days=window.cleaned_data["window_days"],
            fresh=window.cleaned_data["fresh"],
        )
    except ValidationError as exc:
        funnel_forms.add_service_errors(window if "window_days" in exc.message_dict else form, exc)
        return edit_page(request, rule, form, status=422, run_form=window, changes=True)
    _started(request, simulation)
    return edit_page(request, rule, form, simulation=simulation, run_form=window, changes=True)


@login_required
@require_POST
def rule_state_set(request, rule_id: int):
    """One recorded state move; a refused one comes back with the service's reason."""
    rule = _editable_rule(request, rule_id)
    form = StateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " · ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("rule-edit", rule.pk)
    try:
        change = rule_services.handoff_rule_state_set(
            actor=request.user,
            rule_id=rule.pk,
            to_state=form.cleaned_data["to_state"],
            simulation_id=form.cleaned_data["simulation"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        error_message(request, exc)
    else:
        seen = f" having read simulation #{change.simulation_id}" if change.simulation_id else ""
        messages.success(request, f"“{rule.name}” is now {BADGES[change.to_state][0]}{seen}.")
    return redirect(f"{reverse('rule-edit', args=[rule.pk])}#rule-states")


@login_required
@require_GET
def rule_simulation_progress(request, simulation_id: int):
    """The partial the page polls; once the job is over, the whole panel in its place."""
    if not may_simulate(request.user):
        raise PermissionDenied("Marketers, managers, revenue leaders and administrators read simulations.")
    simulation = (
        Simulation.objects.select_related("rule", "requested_by")
        .filter(pk=simulation_id, kind=SimulationKind.RULE)
        .first()
    )
    if simulation is None:
        raise Http404("No such simulation.")
    if simulation.status in (SimulationStatus.QUEUED, SimulationStatus.RUNNING):
        return render(request, "funnel/_rule_simulation_progress.html", {"simulation": simulation})
    failed = simulation if simulation.status == SimulationStatus.FAILED else None
    shown = None if failed else simulation
    context = {"panel": panel(user=request.user, rule=simulation.rule, simulation=shown, failed=failed), "oob": True}
    response = render(request, "funnel/_rule_simulation_panel.html", context)
    response["HX-Retarget"], response["HX-Reswap"] = "#rule-simulation", "outerHTML"
    return response
