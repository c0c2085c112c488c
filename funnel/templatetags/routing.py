"""Routing decisions as the lead page reads them (funnel.routing.engine.Decision.as_dict, kept on transitions
and reassignments)."""

from django import template

from funnel.routing.engine import SKIP_WORDS

register = template.Library()


@register.filter
def skip_words(reason: str | None) -> str:
    """ "at_cap" → "at cap"; an unknown reason (a decision recorded by a later version) as it is."""
    return SKIP_WORDS.get(reason or "", reason or "")


@register.filter
def is_winner(candidate: dict, decision: dict) -> bool:
    winner = decision.get("winner") if isinstance(decision, dict) else None
    return bool(winner) and isinstance(candidate, dict) and winner.get("id") == candidate.get("id")
