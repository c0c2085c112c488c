"""The pipeline board: the leads a person works (a manager: their teams'), one column per funnel stage.

Moving a card — by dragging it, or with its keyboard-usable "Move to" control — posts to the API's
transition endpoint, the one door every move takes; a refused move comes back with every failed check and
its remedy, and the card stays where it was. Without JavaScript the control is a plain form to the lead's
move view."""

import json

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from accounts.choices import MANAGER_ROLES
from accounts.selectors import user_subtree_sql
from funnel.services.config import funnel_config
from leads.choices import FUNNEL_STAGES, Stage
from leads.selectors import lead_list

CARDS_PER_COLUMN = 30


def _scope(request) -> tuple[Q, str, list[tuple[str, str]]]:
    """(which leads, the scope's key, the scopes this person may switch between)."""
    user = request.user
    scopes = [("mine", "My leads")]
    if user.role in MANAGER_ROLES or user.is_administrator:
        scopes.append(("team", "My teams' leads"))
    chosen = request.GET.get("scope", "team" if len(scopes) > 1 else "mine")
    if chosen == "team" and len(scopes) > 1:
        return Q(owner_id__in=user_subtree_sql(user=user)), "team", scopes
    return Q(owner=user), "mine", scopes


@login_required
def board(request):
    scope, chosen, scopes = _scope(request)
    leads = lead_list(user=request.user).filter(scope)
    counts = dict(leads.filter(stage__in=FUNNEL_STAGES).values_list("stage").annotate(n=Count("id")))
    # Lost and nurture need a reason: the lead's page takes those; the board moves along the funnel.
    moves = {
        stage: [(key, Stage(key).label) for key in funnel_config().moves_from.get(stage, []) if key in FUNNEL_STAGES]
        for stage in FUNNEL_STAGES
    }
    columns = []
    for stage in FUNNEL_STAGES:
        cards = list(
            leads.filter(stage=stage)
            .select_related("owner", "company")
            .order_by("-stage_entered_at", "-id")[:CARDS_PER_COLUMN]
        )
        columns.append({"stage": Stage(stage), "cards": cards, "count": counts.get(stage, 0), "targets": moves[stage]})
    context = {
        "columns": columns,
        "scope": chosen,
        "scopes": scopes,
        "per_column": CARDS_PER_COLUMN,
        "moves_json": json.dumps(moves),
    }
    return render(request, "funnel/board.html", context)
