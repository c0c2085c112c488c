"""Limits: free text, numbers and dates that make no sense are refused by name at every door, and the
database holds the same limits."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from crm.models import CallReport
from funnel.models import HandoffRule, LeadDefinition, LeadDefinitionVersion
from leads.models import Lead
from tests.config.test_problems import assert_problem
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db

HUGE = "x" * 100_000


def test_a_100000_character_call_report_is_refused_by_the_api_and_the_web(people, client_for, client, make_lead):
    lead = make_lead(owner=people["rep"])
    body = {"occurred_on": date.today().isoformat(), "channel": "call", "outcome": "Demo", "notes": HUGE}
    response = client_for(people["rep"]).post(f"/api/v1/leads/{lead.pk}/call-reports/", body, format="json")
    assert "no more than 5000 characters" in assert_problem(response, 400, "invalid")["errors"]["notes"][0]
    client.force_login(people["rep"])
    page = client.post(reverse("lead-call-report", kwargs={"lead_id": lead.pk}), body)
    assert page.status_code == 400
    assert "at most 5000 characters" in page.content.decode()
    assert not CallReport.objects.exists()


def test_a_call_report_dated_0001_01_01_is_refused(people, client_for, make_lead):
    lead = make_lead(owner=people["rep"])
    body = {"occurred_on": "0001-01-01", "channel": "call", "outcome": "Long ago"}
    response = client_for(people["rep"]).post(f"/api/v1/leads/{lead.pk}/call-reports/", body, format="json")
    assert "cannot be dated before" in assert_problem(response, 400, "invalid")["errors"]["occurred_on"][0]


def test_a_100000_character_rule_description_and_a_year_long_sla_are_refused(people, client_for):
    client = client_for(people["admin"])
    response = client.post(
        "/api/v1/handoff-rules/",
        {"name": "Long", "description": HUGE, "accept_within_hours": 2_000_000_000},
        format="json",
    )
    errors = assert_problem(response, 400, "invalid")["errors"]
    assert set(errors) == {"description", "accept_within_hours"}
    assert not HandoffRule.objects.exists()


def test_a_100000_character_proposal_note_and_a_criteria_value_of_10_to_the_400_are_refused(people, client_for):
    definition = LeadDefinition.objects.get(code="MQL")
    url = f"/api/v1/lead-definitions/{definition.pk}/propose/"
    client = client_for(people["marketer"])
    criteria = {"conditions": [{"field": "score", "op": "gte", "value": 40}]}
    note = client.post(url, {"criteria": criteria, "note": HUGE}, format="json")
    assert list(assert_problem(note, 400, "invalid")["errors"]) == ["note"]
    huge = client.post(
        url,
        '{"criteria": {"conditions": [{"field": "expected_value", "op": "gte", "value": 1' + "0" * 400 + "}]}}",
        content_type="application/json",
    )
    assert "is not a number from 0 to 999999999999.99" in assert_problem(huge, 400, "invalid")["errors"]["criteria"][0]
    for value in ("NaN", "1e400", 150):
        response = client.post(
            url, {"criteria": {"conditions": [{"field": "score", "op": "gte", "value": value}]}}, format="json"
        )
        assert assert_problem(response, 400, "invalid")["errors"]["criteria"], value
    assert not LeadDefinitionVersion.objects.exists()


def test_the_web_proposal_form_refuses_nan_which_json_loads_accepts(people, client):
    definition = LeadDefinition.objects.get(code="MQL")
    client.force_login(people["marketer"])
    page = client.post(
        reverse("definition-propose", kwargs={"definition_id": definition.pk}),
        {"criteria": '{"conditions": [{"field": "score", "op": "gte", "value": NaN}]}', "note": ""},
    )
    assert page.status_code == 422
    assert "conditions[0].value: the number is out of range" in page.content.decode()  # refused by name
    assert not LeadDefinitionVersion.objects.exists()


def test_a_reason_as_long_as_a_move_allows_fits_the_lead(people, make_lead):
    lead = make_lead()
    move(lead, "lost", people["marketer"], reason="r" * 500)
    assert len(Lead.objects.get(pk=lead.pk).outcome_reason) == 500


def test_the_database_refuses_over_long_text_that_skips_the_services(people, make_lead):
    lead = make_lead()
    with pytest.raises(IntegrityError), transaction.atomic():
        CallReport.objects.create(
            lead=lead, author=people["rep"], occurred_on=date.today(), channel="call", outcome="x", notes=HUGE
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        HandoffRule.objects.create(name="Raw", accept_within_hours=5000)


@pytest.mark.parametrize(
    ("criteria", "problem"),
    [
        ('{"conditions": [{"field": "segment", "op": "eq", "value": "smb\\u0000"}]}', "NUL character"),
        ("[" * 5000 + "]" * 5000, "nested deeper than 32 levels"),
        ('{"conditions": [{"field": "score", "op": "gte", "value": Infinity}]}', "out of range"),
        ('{"conditions": [{"field": "score", "op": "gte", "value": ' + "1" * 5000 + "}]}", "too many digits"),
    ],
)
def test_the_web_proposal_form_refuses_what_the_database_would_refuse(people, client, criteria, problem):
    definition = LeadDefinition.objects.get(code="MQL")
    client.force_login(people["marketer"])
    page = client.post(
        reverse("definition-propose", kwargs={"definition_id": definition.pk}), {"criteria": criteria, "note": ""}
    )
    assert page.status_code == 422
    assert problem in page.content.decode()
    assert not LeadDefinitionVersion.objects.exists()


def test_the_admin_refuses_a_rule_nested_5000_deep_holding_a_nul_or_a_5000_digit_number(people, client):
    client.force_login(people["admin"])
    form = {
        "name": "Deep",
        "is_active": "on",
        "priority": 100,
        "to_stages": "intent",
        "preconditions": "[" * 5000 + "]" * 5000,
        "routing": '{"kind": "keep\\u0000"}',
        "escalations": "1" * 5000,
        "sla_clock": "working",
    }
    page = client.post("/admin/funnel/handoffrule/add/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert "nested deeper than 32 levels" in html and "NUL character" in html and "too many digits" in html
    assert not HandoffRule.objects.exists()


def test_the_services_refuse_a_nul_in_rules_and_criteria_from_any_door(people):
    from django.core.exceptions import ValidationError

    from funnel.services.definitions import criteria_validate
    from funnel.services.rules import handoff_rule_save

    with pytest.raises(ValidationError, match="NUL"):
        criteria_validate({"conditions": [{"field": "segment", "op": "eq", "value": "a\x00"}]})
    with pytest.raises(ValidationError, match="NUL"):
        handoff_rule_save(actor=people["admin"], data={"name": "N", "preconditions": [{"kind": "x\x00"}]})
