"""Lead definitions: versions become active only with a marketing and a sales sign-off by two people."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from funnel.exceptions import NotAllowed, NotPending
from funnel.models import LeadDefinition, LeadDefinitionVersion
from funnel.services.definitions import (
    definition_evaluate,
    definition_version_propose,
    definition_version_sign_off,
)
from tests.funnel.conftest import MQL

pytestmark = pytest.mark.django_db


@pytest.fixture
def mql():
    return LeadDefinition.objects.get(code="MQL")


def propose(definition, people, criteria=MQL):
    return definition_version_propose(definition=definition, criteria=criteria, proposed_by=people["marketer"])


def test_one_sign_off_is_not_enough(mql, people):
    version = propose(mql, people)
    version = definition_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    assert version.status == "proposed"
    assert version.marketing_approver == people["marketing_manager"]
    version = definition_version_sign_off(version_id=version.pk, user=people["sales_manager"])
    assert version.status == "active"
    assert version.activated_at is not None


def test_the_same_person_cannot_sign_both_sides(mql, people):
    version = propose(mql, people)
    definition_version_sign_off(version_id=version.pk, user=people["leader"], side="marketing")
    with pytest.raises(NotAllowed, match="two different people"):
        definition_version_sign_off(version_id=version.pk, user=people["leader"], side="sales")
    version.refresh_from_db()
    assert version.status == "proposed"


def test_the_proposer_may_be_one_of_the_approvers(mql, people):
    version = definition_version_propose(definition=mql, criteria=MQL, proposed_by=people["marketing_manager"])
    definition_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    assert definition_version_sign_off(version_id=version.pk, user=people["sales_manager"]).status == "active"


def test_reps_and_marketers_cannot_sign_off(mql, people):
    version = propose(mql, people)
    for who in ("rep", "marketer", "admin"):
        with pytest.raises(NotAllowed):
            definition_version_sign_off(version_id=version.pk, user=people[who])


def test_signing_the_same_side_twice_changes_nothing(mql, people):
    version = propose(mql, people)
    definition_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    again = definition_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    assert (again.status, again.marketing_approver, again.sales_approver) == (
        "proposed",
        people["marketing_manager"],
        None,
    )


def test_new_active_version_supersedes_the_old_one_which_stays_readable(mql, people, signed):
    first = signed("MQL", MQL)
    stricter = {"conditions": [{"field": "score", "op": "gte", "value": 60}]}
    second = signed("MQL", stricter)
    first.refresh_from_db()
    assert (first.status, first.number, first.criteria) == ("superseded", 1, MQL)
    assert (second.status, second.number) == ("active", 2)
    with pytest.raises(NotPending):
        definition_version_sign_off(version_id=first.pk, user=people["sales_manager"])


def test_database_allows_one_active_version_and_never_an_unsigned_one(mql, people, signed):
    signed("MQL", MQL)
    other = propose(mql, people)
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadDefinitionVersion.objects.filter(pk=other.pk).update(status="active")


def test_malformed_criteria_are_refused_and_not_saved(mql, people):
    with pytest.raises(ValidationError) as info:
        propose(mql, people, criteria={"conditions": [{"field": "score", "op": "gte", "value": "high"}]})
    assert info.value.message_dict == {
        "criteria": ["criteria.conditions[0].value: 'high' is not a number from 0 to 100."]
    }
    assert not LeadDefinitionVersion.objects.exists()


def test_versions_are_numbered_per_definition(mql, people):
    assert [propose(mql, people).number for _ in range(3)] == [1, 2, 3]
    assert propose(LeadDefinition.objects.get(code="SQL"), people).number == 1


def test_evaluate_says_which_criteria_pass(mql, people, make_lead):
    version = propose(
        mql,
        people,
        criteria={
            "conditions": [
                {"field": "score", "op": "gte", "value": 40},
                {"field": "segment", "op": "eq", "value": "enterprise"},
            ]
        },
    )
    result = definition_evaluate(version=version, lead=make_lead(segment="enterprise"))
    assert result["met"] is False
    assert [(c["label"], c["passed"]) for c in result["criteria"]] == [
        ("score ≥ 40", False),
        ("segment = enterprise", True),
    ]


def test_api_propose_sign_off_and_evaluate(client_for, people, make_lead):
    mql = LeadDefinition.objects.get(code="MQL")
    response = client_for(people["marketer"]).post(
        f"/api/v1/lead-definitions/{mql.pk}/propose/", {"criteria": MQL, "note": "score only"}, format="json"
    )
    assert response.status_code == 201
    version_id = response.json()["id"]
    assert client_for(people["rep"]).post(f"/api/v1/definition-versions/{version_id}/sign-off/").status_code == 403
    assert (
        client_for(people["marketing_manager"])
        .post(f"/api/v1/definition-versions/{version_id}/sign-off/")
        .json()["status"]
        == "proposed"
    )
    body = client_for(people["sales_manager"]).post(f"/api/v1/definition-versions/{version_id}/sign-off/").json()
    assert (body["status"], body["marketing_approver"], body["sales_approver"]) == ("active", "mktmgr", "salesmgr")
    listed = client_for(people["rep"]).get("/api/v1/lead-definitions/").json()
    assert [(d["code"], (d["active_version"] or {}).get("number")) for d in listed] == [
        ("MQL", 1),
        ("SAL", None),
        ("SQL", None),
    ]
    lead = make_lead()
    evaluation = client_for(people["marketer"]).post(
        f"/api/v1/lead-definitions/{mql.pk}/evaluate/", {"lead": lead.pk}, format="json"
    )
    assert evaluation.json()["criteria"] == [{"label": "score ≥ 40", "passed": False, "reason": "score is 0"}]


def test_api_refuses_malformed_criteria_naming_the_part(client_for, people):
    mql = LeadDefinition.objects.get(code="MQL")
    response = client_for(people["marketer"]).post(
        f"/api/v1/lead-definitions/{mql.pk}/propose/",
        {"criteria": {"conditions": [{"field": "score", "op": "gte"}]}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["criteria"] == ["criteria.conditions[0].value: operator gte needs a value."]
    assert not LeadDefinitionVersion.objects.exists()
