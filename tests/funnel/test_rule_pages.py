"""The rules pages: everyone reads the rules in words; managers, revenue leaders and administrators edit
them, through the same service and validation as the API and the admin."""

import json

import pytest
from django.urls import reverse

from funnel.models import HandoffRule

pytestmark = pytest.mark.django_db


def form(**fields) -> dict:
    return {
        "name": "Gate",
        "priority": 100,
        "is_active": "on",
        "to_stages": ["interest"],
        "preconditions": json.dumps([{"kind": "min_score", "score": 30}]),
        "routing": json.dumps({"kind": "keep"}),
        "escalations": "[]",
        "sla_clock": "working",
        **fields,
    }


def test_the_rule_list_reads_each_rule_in_words(client, people, rule):
    rule(
        "Gate",
        to_stages=["interest"],
        preconditions=[{"kind": "min_score", "score": 30}],
        routing={"kind": "round_robin", "team": people["marketer"].team_id},
    )
    client.force_login(people["rep"])
    page = client.get(reverse("rule-list")).content.decode()
    assert "any stage → Interest" in page and "score ≥ 30" in page and "round-robin in team Marketing" in page
    assert 'href="/rules/new/"' not in page  # a rep reads, does not edit


def test_a_manager_saves_a_rule_without_javascript_and_sees_each_error_by_its_field(client, people):
    client.force_login(people["sales_manager"])
    bad = client.post(reverse("rule-create"), form(preconditions=json.dumps([{"kind": "min_score", "score": 500}])))
    assert bad.status_code == 422
    assert "preconditions[0].score: must be a whole number from 1 to 100." in bad.content.decode()
    assert not HandoffRule.objects.exists()
    good = client.post(reverse("rule-create"), form())
    assert good.status_code == 302
    rule = HandoffRule.objects.get()
    assert (rule.to_stages, rule.preconditions, rule.created_by) == (
        ["interest"],
        [{"kind": "min_score", "score": 30}],
        people["sales_manager"],
    )
    # The old on/off switch is gone from the page: a state changes only by a recorded move (its buttons).
    client.post(reverse("rule-edit", kwargs={"rule_id": rule.pk}), form(name="Gate two", is_active=""))
    rule.refresh_from_db()
    assert (rule.name, rule.state, rule.is_active) == ("Gate two", "enforced", True)
    client.post(reverse("rule-state", kwargs={"rule_id": rule.pk}), {"to_state": "retired"})
    rule.refresh_from_db()
    assert (rule.state, rule.is_active) == ("retired", False)


def test_only_managers_leaders_and_administrators_edit_rules(client, people):
    for who in ("rep", "marketer", "integration"):
        client.force_login(people[who])
        assert client.get(reverse("rule-create")).status_code == 403
        assert client.post(reverse("rule-create"), form()).status_code == 403
    assert not HandoffRule.objects.exists()
