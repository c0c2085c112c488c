from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import TokenScope
from accounts.models import ApiToken
from accounts.services import api_token_authenticate, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def test_token_secret_is_stored_only_as_a_hash(people):
    token, plaintext = api_token_create(user=people["integration"], name="sync", scopes=[TokenScope.READ])
    stored = ApiToken.objects.get(pk=token.pk)
    secret = plaintext.rsplit("_", 1)[1]
    assert secret not in stored.key_hash
    assert len(stored.key_hash) == 64
    assert plaintext.startswith(f"crm_{stored.prefix}_")


def test_bearer_token_authenticates_as_its_user(token_client_for, people):
    response = token_client_for(people["integration"]).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "integration"
    assert response.json()["role"] == "integration"


def test_revoked_token_is_refused_and_revoking_twice_keeps_first_time(people, anonymous_client):
    token, plaintext = api_token_create(user=people["integration"], name="sync", scopes=[TokenScope.READ])
    first = api_token_revoke(token=token).revoked_at
    assert api_token_revoke(token=token).revoked_at == first
    anonymous_client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = anonymous_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid, expired or revoked API token."


def test_expired_and_tampered_tokens_are_refused(people):
    token, plaintext = api_token_create(
        user=people["integration"], name="sync", scopes=[TokenScope.READ], expires_at=timezone.now() + timedelta(1)
    )
    assert api_token_authenticate(raw=plaintext) == token
    assert api_token_authenticate(raw=plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_token_authenticate(raw=plaintext) is None


def test_token_of_deactivated_user_is_refused(people):
    _, plaintext = api_token_create(user=people["integration"], name="sync", scopes=[TokenScope.READ])
    people["integration"].is_active = False
    people["integration"].save()
    assert api_token_authenticate(raw=plaintext) is None


def test_read_scope_cannot_write(token_client_for, people):
    client = token_client_for(people["integration"], scopes=[TokenScope.READ])
    assert client.get("/api/v1/tokens/").status_code == 200
    response = client.post("/api/v1/tokens/", {"name": "more", "scopes": ["read"]}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token lacks the 'write' scope."


def test_write_scope_cannot_read_and_the_refusal_names_the_read_scope(token_client_for, people):
    client = token_client_for(people["integration"], scopes=[TokenScope.WRITE])
    response = client.get("/api/v1/tokens/")
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token lacks the 'read' scope."


def test_create_through_api_shows_secret_once_then_revoke(client_for, people):
    client = client_for(people["integration"])
    created = client.post("/api/v1/tokens/", {"name": "crm sync", "scopes": ["read", "write"]}, format="json")
    assert created.status_code == 201
    secret = created.json()["token"]
    token_id = created.json()["id"]
    listed = client.get(f"/api/v1/tokens/{token_id}/").json()
    assert "token" not in listed
    assert api_token_authenticate(raw=secret).pk == token_id
    assert client.post(f"/api/v1/tokens/{token_id}/revoke/").json()["revoked_at"] is not None
    assert api_token_authenticate(raw=secret) is None


def test_users_see_only_their_own_tokens_and_admins_all(client_for, people):
    api_token_create(user=people["rep"], name="rep's", scopes=[TokenScope.READ])
    api_token_create(user=people["integration"], name="bot's", scopes=[TokenScope.READ])
    names = lambda user: {t["name"] for t in client_for(user).get("/api/v1/tokens/").json()["results"]}  # noqa: E731
    assert names(people["rep"]) == {"rep's"}
    assert names(people["admin"]) == {"rep's", "bot's"}


def test_other_users_token_is_404_not_403(client_for, people):
    token, _ = api_token_create(user=people["integration"], name="bot's", scopes=[TokenScope.READ])
    assert client_for(people["rep"]).post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("expires_at", "problem"),
    [
        ("2030-01-01T10:00:00+19:00", "out of range"),
        ("0001-01-01T00:00:00+05:00", "out of range"),
        ("2030-13-01T10:00:00Z", "wrong format"),
    ],
)
def test_a_token_expiry_with_an_offset_no_zone_has_is_a_400_naming_it(people, client_for, expires_at, problem):
    from accounts.models import ApiToken

    response = client_for(people["rep"]).post(
        "/api/v1/tokens/", {"name": "x", "scopes": ["read"], "expires_at": expires_at}, format="json"
    )
    assert response.status_code == 400
    assert problem in response.json()["errors"]["expires_at"][0]
    assert not ApiToken.objects.filter(name="x").exists()
