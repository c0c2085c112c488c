from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from accounts.exceptions import TokenRefused
from accounts.models import ApiToken
from accounts.scopes import ALL_SCOPES, SCOPES
from accounts.services import api_token_authenticate, api_token_create, api_token_issue, api_token_revoke
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/api/v1/tokens/"


def bearer(client, plaintext):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


# The secret, authentication and refusals ---------------------------------------------------------------------------


def test_token_secret_is_stored_only_as_a_hash(people):
    token, plaintext = api_token_create(user=people["integration"], name="sync", scopes=["leads:read"])
    stored = ApiToken.objects.get(pk=token.pk)
    secret = plaintext.rsplit("_", 1)[1]
    assert secret not in stored.key_hash
    assert len(stored.key_hash) == 64
    assert plaintext.startswith(f"crm_{stored.prefix}_")


def test_bearer_token_authenticates_as_its_user(token_client_for, people):
    response = token_client_for(people["integration"], scopes=["users:read"]).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "integration"
    assert response.json()["role"] == "integration"


def test_a_revoked_token_is_a_401_saying_it_was_revoked_and_revoking_twice_keeps_the_first_time(
    people, anonymous_client
):
    token, plaintext = api_token_create(user=people["integration"], name="sync", scopes=["users:read"])
    first = api_token_revoke(token=token).revoked_at
    assert api_token_revoke(token=token).revoked_at == first
    response = bearer(anonymous_client, plaintext).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == f"This API token was revoked at {first:%Y-%m-%d %H:%M} UTC."
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_expired_token_is_a_401_saying_when_it_expired(people, anonymous_client):
    token, plaintext = api_token_create(
        user=people["integration"], name="sync", scopes=["users:read"], expires_at=timezone.now() + timedelta(1)
    )
    assert api_token_authenticate(raw=plaintext) == token
    expired = timezone.now() - timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=expired)
    response = bearer(anonymous_client, plaintext).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == f"This API token expired at {expired:%Y-%m-%d %H:%M} UTC."


def test_a_tampered_or_unknown_token_is_invalid(people):
    _, plaintext = api_token_create(user=people["integration"], name="sync", scopes=["users:read"])
    for raw in (
        plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B"),
        "crm_nope_nope",
        "not-ours",
        "crm_",
        f"crm_{chr(0) * 12}_x",
    ):
        with pytest.raises(TokenRefused, match=r"^Invalid API token\.$"):
            api_token_authenticate(raw=raw)


def test_token_of_deactivated_user_is_refused_saying_so(people):
    _, plaintext = api_token_create(user=people["integration"], name="sync", scopes=["users:read"])
    people["integration"].is_active = False
    people["integration"].save()
    with pytest.raises(TokenRefused, match="deactivated"):
        api_token_authenticate(raw=plaintext)


def test_last_use_and_address_are_written_at_most_once_a_minute(people, anonymous_client):
    token, plaintext = api_token_create(user=people["integration"], name="sync", scopes=["users:read"])
    client = bearer(anonymous_client, plaintext)
    assert client.get("/api/v1/me/", REMOTE_ADDR="203.0.113.7").status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None and token.last_used_ip == "203.0.113.7"
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v1/me/", REMOTE_ADDR="198.51.100.1")
    assert not [q for q in captured if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert (token.last_used_at, token.last_used_ip) == (first, "203.0.113.7")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/me/", REMOTE_ADDR="2001:db8::1")
    token.refresh_from_db()
    assert token.last_used_at > first and token.last_used_ip == "2001:db8::1"


# Scopes per resource and access ------------------------------------------------------------------------------------


def test_a_read_scope_reads_its_resource_only(token_client_for, people):
    client = token_client_for(people["integration"], scopes=["leads:read"])
    assert client.get("/api/v1/leads/").status_code == 200
    refused = client.get("/api/v1/touches/")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This API token lacks the 'touches:read' scope."


def test_a_read_scope_cannot_write_and_the_refusal_names_the_write_scope(token_client_for, people):
    client = token_client_for(people["integration"], scopes=["leads:read"])
    response = client.post("/api/v1/leads/", {"last_name": "Nobody"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token lacks the 'leads:write' scope."
    assert response.json()["code"] == "permission_denied"


def test_a_write_scope_cannot_read(token_client_for, people):
    client = token_client_for(people["integration"], scopes=["leads:write"])
    response = client.get("/api/v1/leads/")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token lacks the 'leads:read' scope."


def test_a_leads_call_reports_are_call_reports_not_leads(token_client_for, people, make_lead):
    lead = make_lead(owner=people["rep"])
    report = {"occurred_on": timezone.localdate().isoformat(), "channel": "call", "outcome": "Spoke"}
    url = f"/api/v1/leads/{lead.pk}/call-reports/"
    leads_only = token_client_for(people["integration"], scopes=["leads:read", "leads:write"])
    refused = leads_only.post(url, report, format="json")
    assert refused.json()["detail"] == "This API token lacks the 'call_reports:write' scope."
    reports_only = token_client_for(people["integration"], scopes=["call_reports:write"])
    assert reports_only.post(url, report, format="json").status_code == 201


def test_a_session_user_is_not_limited_by_scopes(client_for, people):
    assert client_for(people["rep"]).get("/api/v1/touches/").status_code == 200


def test_a_view_that_names_no_resource_refuses_every_token(people):
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from accounts.authentication import TokenScopePermission

    token, _ = api_token_create(user=people["integration"], name="sync", scopes=list(ALL_SCOPES))
    request = APIRequestFactory().get("/api/v1/new/")
    request.auth = token
    permission = TokenScopePermission()
    assert permission.has_permission(request, APIView()) is False
    assert permission.message == "This endpoint declares no token scope, so no API token may use it."


# Issuing through the API -------------------------------------------------------------------------------------------


def test_an_administrator_issues_a_token_to_an_integration_user_and_sees_the_secret_once(client_for, people):
    admin = client_for(people["admin"])
    body = {"name": "crm sync", "user": people["integration"].pk, "scopes": ["touches:write", "leads:read"]}
    created = admin.post(TOKENS, body, format="json")
    assert created.status_code == 201, created.content
    answer = created.json()
    assert answer["user"] == "integration"
    assert answer["scopes"] == ["leads:read", "touches:write"]  # in the registry's order
    assert answer["last_used_at"] is None and answer["last_used_ip"] is None
    listed = admin.get(f"{TOKENS}{answer['id']}/").json()
    assert "token" not in listed
    assert all("token" not in row for row in admin.get(TOKENS).json()["results"])
    assert api_token_authenticate(raw=answer["token"]).pk == answer["id"]
    assert admin.post(f"{TOKENS}{answer['id']}/revoke/").json()["revoked_at"] is not None
    with pytest.raises(TokenRefused, match="revoked"):
        api_token_authenticate(raw=answer["token"])


@pytest.mark.parametrize("who", ["rep", "sales_manager", "leader", "integration"])
def test_only_administrators_issue_tokens(client_for, people, who):
    body = {"name": "mine", "user": people["integration"].pk, "scopes": ["leads:read"]}
    response = client_for(people[who]).post(TOKENS, body, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only administrators issue API tokens."
    assert not ApiToken.objects.exists()


def test_a_token_cannot_issue_tokens_even_an_administrators(token_client_for, people):
    body = {"name": "successor", "user": people["integration"].pk, "scopes": ["leads:read"]}
    response = token_client_for(people["admin"]).post(TOKENS, body, format="json")
    assert response.status_code == 403
    assert "A token cannot create tokens" in response.json()["detail"]
    assert ApiToken.objects.filter(name="successor").count() == 0


def test_a_token_is_issued_only_to_an_active_integration_user(client_for, people):
    admin = client_for(people["admin"])
    refused = admin.post(TOKENS, {"name": "x", "user": people["rep"].pk, "scopes": ["leads:read"]}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["user"] == ["rep is not an active integration user."]
    retired = UserFactory(username="old-bot", role=Role.INTEGRATION, is_active=False)
    gone = admin.post(TOKENS, {"name": "x", "user": retired.pk, "scopes": ["leads:read"]}, format="json")
    assert gone.status_code == 400
    assert gone.json()["errors"]["user"] == ["No active user has this id."]
    assert not ApiToken.objects.exists()


def test_an_unknown_scope_is_a_400_naming_it(client_for, people):
    body = {"name": "x", "user": people["integration"].pk, "scopes": ["leads:read", "leads:delete"]}
    response = client_for(people["admin"]).post(TOKENS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["scopes"] == {"1": ["Unknown scope 'leads:delete'."]}
    empty = client_for(people["admin"]).post(TOKENS, {**body, "scopes": []}, format="json")
    assert empty.status_code == 400 and "scopes" in empty.json()["errors"]


def test_an_expiry_in_the_past_is_a_400(client_for, people):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    body = {"name": "x", "user": people["integration"].pk, "scopes": ["leads:read"], "expires_at": past}
    response = client_for(people["admin"]).post(TOKENS, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["expires_at"] == ["The expiry must be in the future."]


@pytest.mark.parametrize(
    ("expires_at", "problem"),
    [
        ("2030-01-01T10:00:00+19:00", "out of range"),
        ("0001-01-01T00:00:00+05:00", "out of range"),
        ("2030-13-01T10:00:00Z", "wrong format"),
    ],
)
def test_a_token_expiry_with_an_offset_no_zone_has_is_a_400_naming_it(people, client_for, expires_at, problem):
    body = {"name": "x", "user": people["integration"].pk, "scopes": ["leads:read"], "expires_at": expires_at}
    response = client_for(people["admin"]).post(TOKENS, body, format="json")
    assert response.status_code == 400
    assert problem in response.json()["errors"]["expires_at"][0]
    assert not ApiToken.objects.filter(name="x").exists()


def test_the_issue_service_holds_the_rule_for_every_door(people):
    with pytest.raises(PermissionDenied):
        api_token_issue(actor=people["leader"], user=people["integration"], name="x", scopes=["leads:read"])
    with pytest.raises(ValidationError) as refused:
        api_token_issue(actor=people["admin"], user=people["marketer"], name="x", scopes=["leads:read"])
    assert "user" in refused.value.message_dict
    token, _ = api_token_issue(actor=people["admin"], user=people["integration"], name="x", scopes=["audit:read"])
    assert token.scopes == ["audit:read"]


def test_the_check_constraint_refuses_an_unknown_scope_in_the_database(people):
    from django.db import IntegrityError, transaction

    token, _ = api_token_create(user=people["integration"], name="sync", scopes=["leads:read"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(scopes=["leads:read", "write"])
    assert set(SCOPES) >= set(ApiToken.objects.get(pk=token.pk).scopes)


# Seeing and revoking -----------------------------------------------------------------------------------------------


def test_an_integration_sees_and_revokes_its_own_tokens_with_the_tokens_scopes(token_client_for, people):
    other, _ = api_token_create(user=people["integration"], name="old", scopes=["leads:read"])
    api_token_create(user=people["rep"], name="rep's", scopes=["leads:read"])
    client = token_client_for(people["integration"], scopes=["tokens:read", "tokens:write"])
    assert {t["name"] for t in client.get(TOKENS).json()["results"]} == {"old", "test"}
    assert client.post(f"{TOKENS}{other.pk}/revoke/").status_code == 200
    reader = token_client_for(people["integration"], scopes=["tokens:read"])
    refused = reader.post(f"{TOKENS}{other.pk}/revoke/")
    assert refused.json()["detail"] == "This API token lacks the 'tokens:write' scope."


def test_users_see_only_their_own_tokens_and_admins_all(client_for, people):
    api_token_create(user=people["rep"], name="rep's", scopes=["leads:read"])
    api_token_create(user=people["integration"], name="bot's", scopes=["leads:read"])
    names = lambda user: {t["name"] for t in client_for(user).get(TOKENS).json()["results"]}  # noqa: E731
    assert names(people["rep"]) == {"rep's"}
    assert names(people["admin"]) == {"rep's", "bot's"}


def test_other_users_token_is_404_not_403(client_for, people):
    token, _ = api_token_create(user=people["integration"], name="bot's", scopes=["leads:read"])
    assert client_for(people["rep"]).post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
