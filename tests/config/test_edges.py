"""The API's edges: every input that once made a 500 or an HTML page now gets a problem document naming the
problem, and nothing is written. Each test is one row of the hardening issue's table."""

import logging
from datetime import timedelta, timezone

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from config.errors import DomainError
from config.problems import problem_body
from funnel.models import LeadDefinition, LeadDefinitionVersion
from leads.models import Lead
from tests.config.test_problems import assert_problem

pytestmark = pytest.mark.django_db

LEAD_SUBPATHS = ["", "history/", "transition/", "call-reports/", "approval-requests/"]


@pytest.mark.parametrize("subpath", LEAD_SUBPATHS)
def test_a_lead_id_that_is_not_a_number_is_a_404_problem(people, client_for, subpath):
    client = client_for(people["admin"])
    url = f"/api/v1/leads/abc/{subpath}"
    assert_problem(client.get(url), 404, "not_found")
    assert_problem(client.post(url, {}, format="json"), 404, "not_found")
    assert_problem(client.patch(url, {"title": "x"}, format="json"), 404, "not_found")


def test_an_id_past_bigint_is_a_404_problem(people, client_for):
    assert_problem(client_for(people["admin"]).get("/api/v1/leads/99999999999999999999/"), 404, "not_found")


@pytest.mark.parametrize(
    "value", ["4257-06-03T03:00:05-19:39", "2026-01-01T00:00:00+15:00", "0001-01-01T00:00:00+05:00", "2026-13-01"]
)
def test_a_date_filter_the_database_would_refuse_is_a_400_naming_it(people, client_for, value):
    response = client_for(people["admin"]).get("/api/v1/leads/", {"created_before": value})
    body = assert_problem(response, 400, "invalid")
    assert list(body["errors"]) == ["created_before"]


def test_a_date_filter_with_a_real_offset_is_moved_to_utc(people, client_for, make_lead):
    lead = make_lead()
    client = client_for(people["admin"])
    # +14:00 is Kiribati's offset: one second after the capture, written far east of UTC.
    kiribati = (lead.created_at + timedelta(seconds=1)).astimezone(timezone(timedelta(hours=14))).isoformat()
    assert kiribati.endswith("+14:00")
    assert [r["id"] for r in client.get("/api/v1/leads/", {"created_before": kiribati}).json()["results"]] == [lead.pk]
    assert client.get("/api/v1/leads/", {"created_after": kiribati}).json()["results"] == []


@pytest.mark.parametrize("param", ["owner", "team", "campaign"])
@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999", "-3"])
def test_an_id_filter_that_is_not_an_id_is_a_400_naming_it(people, client_for, param, value):
    body = assert_problem(client_for(people["admin"]).get("/api/v1/leads/", {param: value}), 400, "invalid")
    assert list(body["errors"]) == [param]


@pytest.mark.parametrize("path", ["/api/v1/leads/", "/api/v1/handoffs/", "/api/v1/notifications/"])
@pytest.mark.parametrize(
    "cursor",
    # p=notadate, p=-1, not base64, p=99999999999999999999 (past bigint)
    ["cD1ub3RhZGF0ZQ==", "cD0tMQ==", "not base64 at all", "cD05OTk5OTk5OTk5OTk5OTk5OTk5OTk5"],
)
def test_a_cursor_that_decodes_to_nonsense_is_a_400_naming_it(people, client_for, path, cursor):
    body = assert_problem(client_for(people["admin"]).get(path, {"cursor": cursor}), 400, "invalid")
    assert list(body["errors"]) == ["cursor"]


def test_a_cursor_the_api_gave_out_still_works(people, client_for, make_lead):
    for _ in range(3):
        make_lead()
    client = client_for(people["admin"])
    first = client.get("/api/v1/leads/", {"page_size": 2}).json()
    assert len(client.get(first["next"]).json()["results"]) == 1


def test_json_nested_5000_deep_is_a_400_not_a_recursion_error(people, client_for):
    client = client_for(people["admin"])
    for body in ("[" * 5000 + "]" * 5000, '{"last_name": ' + "[" * 5000 + "]" * 5000 + "}"):
        response = client.post("/api/v1/leads/", body, content_type="application/json")
        assert_problem(response, 400, "parse_error")
        assert "nested deeper than 32 levels" in str(response.json())
    assert not Lead.objects.exists()


def test_a_number_of_thousands_of_digits_is_refused_in_words_for_people(people, client_for):
    response = client_for(people["admin"]).post(
        "/api/v1/leads/", '{"last_name": "A", "score": ' + "9" * 5000 + "}", content_type="application/json"
    )
    assert_problem(response, 400, "parse_error")
    assert response.json()["detail"] == "JSON parse error - a number has more than 4300 digits."
    assert not Lead.objects.exists()


def test_json_nested_just_too_deep_names_the_field(people, client_for):
    body = '{"criteria": ' + "[" * 40 + "]" * 40 + "}"
    definition = LeadDefinition.objects.get(code="MQL")
    response = client_for(people["marketer"]).post(
        f"/api/v1/lead-definitions/{definition.pk}/propose/", body, content_type="application/json"
    )
    assert list(assert_problem(response, 400, "invalid")["errors"]) == ["criteria"]


@pytest.mark.parametrize(
    "criteria",
    [
        {"conditions": [{"field": "segment", "op": "eq", "value": "smb\u0000"}]},
        {"conditions": [{"field": "segment", "op": "eq", "value": "smb", "label\u0000": "x"}]},
    ],
)
def test_a_nul_character_inside_criteria_is_a_400_naming_the_place(people, client_for, criteria):
    definition = LeadDefinition.objects.get(code="MQL")
    response = client_for(people["marketer"]).post(
        f"/api/v1/lead-definitions/{definition.pk}/propose/", {"criteria": criteria}, format="json"
    )
    body = assert_problem(response, 400, "invalid")
    assert "criteria.conditions[0]" in body["errors"]["criteria"][0]
    assert "NUL" in body["errors"]["criteria"][0]
    assert not LeadDefinitionVersion.objects.exists()


@pytest.mark.parametrize("field", ["last_name", "value", "a.b", "document"])
def test_a_nul_character_is_filed_under_the_top_level_field_it_was_sent_in(people, client_for, field):
    response = client_for(people["admin"]).post("/api/v1/leads/", {field: "x\u0000", "notes": "ok"}, format="json")
    errors = assert_problem(response, 400, "invalid")["errors"]
    assert list(errors) == [field]
    assert "NUL" in errors[field][0]
    assert not Lead.objects.exists()


def test_json_problems_are_listed_in_document_order(people, client_for):
    body = {"first_name": "a\u0000", "last_name": ["b\u0000", "c\u0000"]}
    response = client_for(people["admin"]).post("/api/v1/leads/", body, format="json")
    errors = assert_problem(response, 400, "invalid")["errors"]
    assert list(errors) == ["first_name", "last_name"]
    assert [e.split(":")[0] for e in errors["last_name"]] == ["last_name[0]", "last_name[1]"]


def test_a_number_json_reads_as_infinity_is_a_400(people, client_for):
    definition = LeadDefinition.objects.get(code="MQL")
    body = '{"criteria": {"conditions": [{"field": "score", "op": "gte", "value": 1e999}]}}'
    response = client_for(people["marketer"]).post(
        f"/api/v1/lead-definitions/{definition.pk}/propose/", body, content_type="application/json"
    )
    assert "out of range" in assert_problem(response, 400, "invalid")["errors"]["criteria"][0]


def test_a_body_over_the_upload_limit_is_a_413_problem_and_writes_nothing(people, client_for):
    body = '{"last_name": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'
    assert_problem(
        client_for(people["admin"]).post("/api/v1/leads/", body, content_type="application/json"), 413, "too_large"
    )
    assert not Lead.objects.exists()


def test_an_accept_header_no_renderer_satisfies_is_a_documented_406_problem(people, client_for):
    client = client_for(people["admin"])
    response = client.post("/api/v1/leads/", {"last_name": "Ngata"}, format="json", HTTP_ACCEPT="item")
    assert_problem(response, 406, "not_acceptable")
    assert not Lead.objects.exists()
    schema = client.get("/api/schema/?format=json").json()
    assert "406" in schema["paths"]["/api/v1/lead-definitions/{id}/propose/"]["post"]["responses"]


@pytest.mark.parametrize("debug", [False, True])
def test_an_unmatched_api_url_is_a_problem_in_every_debug_setting(people, client_for, debug):
    with override_settings(DEBUG=debug):
        client = client_for(people["rep"])
        assert_problem(client.get("/api/v1/no-such-thing/"), 404, "not_found")
        assert_problem(APIClient().post("/api/v1/no-such-thing/", {}, format="json"), 404, "not_found")
        missing_slash = assert_problem(client.get("/api/v1/leads"), 404, "not_found")
        assert "did you mean /api/v1/leads/" in missing_slash["detail"]
        for nowhere in ("/api/v1/nonsense", "/api/v1/leads/1/nope"):  # a slash would not find these either
            assert assert_problem(client.get(nowhere), 404, "not_found")["detail"] == "No such resource."


@pytest.mark.parametrize("debug", [False, True])
def test_an_exception_escaping_an_api_view_is_a_500_problem_in_every_debug_setting(
    people, client_for, monkeypatch, caplog, debug
):
    from funnel.api import lead_views

    def explode(*args, **kwargs):
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr(lead_views.lead_selectors, "lead_list", explode)
    client = client_for(people["admin"])
    client.raise_request_exception = False
    with override_settings(DEBUG=debug):
        response = client.get("/api/v1/leads/")
    body = assert_problem(response, 500, "error")
    assert "boom" not in response.content.decode()
    assert body["detail"] == "The server failed; it has been logged."
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]
    assert len(logged) == 1  # once, with the traceback
    assert logged[0].exc_info[0] is RuntimeError


def test_answering_an_answered_handoff_is_a_409_whose_status_is_409(people, client_for, make_lead, rule):
    from tests.funnel.conftest import move

    rule("To SDRs", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    handoff = move(lead, "consideration", people["marketer"]).handoff
    client = client_for(people["sdr"])
    assert client.post(f"/api/v1/handoffs/{handoff.pk}/accept/").status_code == 200
    body = assert_problem(client.post(f"/api/v1/handoffs/{handoff.pk}/accept/"), 409, "not_pending")
    assert body["handoff_status"] == "accepted"


def test_a_domain_error_cannot_redefine_a_problem_member():
    with pytest.raises(TypeError, match="status"):
        DomainError("x", status="accepted")
    assert problem_body(status_code=409, detail="d", code="c", status="accepted")["status"] == 409


def test_resources_keyed_by_a_code_or_key_are_still_found(people, client_for):
    client = client_for(people["rep"])
    assert client.get("/api/v1/rejection-reasons/no_budget/").json()["label"] == "No budget"
    assert client.get("/api/v1/stages/intent/").json()["owning_function"] == "sales"
    assert_problem(client.get("/api/v1/stages/INTENT/"), 404, "not_found")
