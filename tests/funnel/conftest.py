"""Funnel test helpers: criteria the tests sign off and `move`, a transition as a request makes it.
The fixtures (signed, make_lead, rule) are in tests/conftest.py: every app's tests use them."""

from funnel.models import HandoffRule

MQL = {"conditions": [{"field": "score", "op": "gte", "value": 40}]}
SQL = {
    "conditions": [
        {"facts": ["budget", "authority", "need", "timeline"], "at_least": 3},
        {"field": "expected_value", "op": "present"},
    ]
}


def move(lead, to_stage, actor, **kwargs):
    """Moves a freshly read copy of the lead, as a request would."""
    from funnel.services.transitions import lead_transition
    from leads.models import Lead

    return lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage=to_stage, actor=actor, **kwargs)


__all__ = ["MQL", "SQL", "HandoffRule", "move"]
