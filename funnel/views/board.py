"""The pipeline board: the leads a person works (a manager: their teams'), one column per funnel stage.

Moving a card — by dragging it, or with its keyboard-usable "Move to" control — posts to the API's
transition endpoint, the one door every move takes; a refused move comes back with every failed check and
its remedy, and the card stays where it was. Without JavaScript the control is a plain form to the lead's
move view. Managers can also give a card to someone else without moving it (the reassignment service)."""

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.choices import MANAGER_ROLES, Role
from accounts.selectors import user_list, user_subtree_ids
from funnel.services.config import funnel_config
from funnel.services.reassign import REASSIGNERS
from leads import selectors as lead_selectors
from leads.choices import FUNNEL_STAGES, Stage

CARDS_PER_COLUMN = 30


def _owners(request) -> tuple[list[int], str, list[tuple[str, str]]]:
    """(whose leads, the scope's key, the scopes this person may switch between)."""
    user = request.user
    scopes = [("mine", "My leads")]
    if user.role in MANAGER_ROLES or user.is_administrator:
        scopes.append(("team", "My teams' leads"))
    chosen = request.GET.get("scope", "team" if len(scopes) > 1 else "mine")
    if chosen == "team" and len(scopes) > 1:
        return user_subtree_ids(user=user), "team", scopes
    return [user.pk], "mine", scopes


@login_required
def board(request):
    owners, chosen, scopes = _owners(request)
    counts = lead_selectors.owner_stage_counts(owner_ids=owners, stages=FUNNEL_STAGES)
    cards = lead_selectors.lead_board(
        user=request.user, owner_ids=owners, stages=FUNNEL_STAGES, per_stage=CARDS_PER_COLUMN
    )
    # Lost and nurture need a reason: the lead's page takes those; the board moves along the funnel.
    moves = {
        stage: [(key, Stage(key).label) for key in funnel_config().moves_from.get(stage, []) if key in FUNNEL_STAGES]
        for stage in FUNNEL_STAGES
    }
    columns = [
        {
            "stage": Stage(stage),
            "cards": cards[stage],
            "count": sum(n for (_, key), n in counts.items() if key == stage),
            "targets": moves[stage],
        }
        for stage in FUNNEL_STAGES
    ]
    context = {
        "columns": columns,
        "scope": chosen,
        "scopes": scopes,
        "per_column": CARDS_PER_COLUMN,
        "moves_json": json.dumps(moves),
        "may_reassign": (may_reassign := request.user.role in REASSIGNERS or request.user.is_superuser),
        "owners": user_list().exclude(role=Role.INTEGRATION).order_by("username") if may_reassign else [],
        "here": request.get_full_path(),
    }
    return render(request, "funnel/board.html", context)
