"""Every API error is an RFC 9457 problem document."""

import pytest

pytestmark = pytest.mark.django_db


def assert_problem(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"] and body["detail"]
    return body


def test_unauthenticated_request_gets_401_problem(anonymous_client):
    body = assert_problem(anonymous_client.get("/api/v1/me/"), 401, "not_authenticated")
    assert "credentials were not provided" in body["detail"]


def test_unknown_api_path_gets_404_problem(client_for, people):
    assert_problem(client_for(people["rep"]).get("/api/v1/no-such-thing/"), 404, "not_found")


def test_validation_error_names_the_bad_field(client_for, people):
    body = {"name": "x", "user": people["integration"].pk, "scopes": ["admin"]}
    response = client_for(people["admin"]).post("/api/v1/tokens/", body, format="json")
    body = assert_problem(response, 400, "invalid")
    assert "scopes" in body["errors"]
    assert "scopes" in body["detail"]


def test_web_404_stays_html(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
