"""Funnel fixtures: signed-off definitions, a lead at each point of the story, rule builders."""

import pytest

from funnel.models import HandoffRule, LeadDefinition
from funnel.services.definitions import definition_version_propose, definition_version_sign_off
from funnel.services.intake import lead_create

MQL = {"conditions": [{"field": "score", "op": "gte", "value": 40}]}
SQL = {
    "conditions": [
        {"facts": ["budget", "authority", "need", "timeline"], "at_least": 3},
        {"field": "expected_value", "op": "present"},
    ]
}


@pytest.fixture
def signed(people):
    """signed("MQL", criteria) → an active version signed by the marketing and the sales manager."""

    def make(code, criteria):
        definition = LeadDefinition.objects.get(code=code)
        version = definition_version_propose(definition=definition, criteria=criteria, proposed_by=people["marketer"])
        definition_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
        return definition_version_sign_off(version_id=version.pk, user=people["sales_manager"])

    return make


@pytest.fixture
def make_lead(people):
    counter = iter(range(1, 10_000))

    def make(owner=None, **fields):
        n = next(counter)
        data = {"last_name": f"Lead {n}", "email": f"lead{n}@buyer{n}.example", **fields}
        return lead_create(actor=people["admin"], data=data, owner=owner or people["marketer"])

    return make


@pytest.fixture
def rule(people):
    """rule(name, **fields) → a saved HandoffRule (validated the way the API and admin validate)."""
    from funnel.services.rules import handoff_rule_save

    def make(name, **fields):
        return handoff_rule_save(actor=people["admin"], data={"name": name, **fields})

    return make


def move(lead, to_stage, actor, **kwargs):
    """Moves a freshly read copy of the lead, as a request would."""
    from funnel.services.transitions import lead_transition
    from leads.models import Lead

    return lead_transition(lead=Lead.objects.get(pk=lead.pk), to_stage=to_stage, actor=actor, **kwargs)


__all__ = ["MQL", "SQL", "HandoffRule", "move"]
