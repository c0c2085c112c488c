"""The administrators' API tokens page, without a browser: who may open it, what issuing answers, revoking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db
PAGE = "/system/tokens/"


def _logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["rep", "sales_manager", "leader", "integration"])
def test_only_administrators_open_the_tokens_page(client, people, who):
    assert _logged_in(client, people[who]).get(PAGE).status_code == 403
    assert client.post(PAGE, {"name": "x"}).status_code == 403


def test_the_page_lists_every_token_with_its_scopes_grouped_last_use_and_state(client, people):
    live, _ = api_token_create(user=people["integration"], name="Website", scopes=["leads:read", "leads:write"])
    ApiToken.objects.filter(pk=live.pk).update(last_used_at=timezone.now(), last_used_ip="198.51.100.4")
    old, _ = api_token_create(user=people["integration"], name="Old", scopes=["audit:read"])
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    page = _logged_in(client, people["admin"]).get(PAGE).content.decode()
    assert "Leads: read, write" in page and "from 198.51.100.4" in page
    assert "Audit: read" in page and "Expired" in page
    assert page.count('name="scopes"') == 29  # one checkbox per scope, grouped by resource


def test_issuing_shows_the_secret_in_that_answer_only(client, people):
    _logged_in(client, people["admin"])
    form = {"name": "Website", "user": people["integration"].pk, "scopes": ["leads:read", "touches:write"]}
    answer = client.post(PAGE, form)
    assert answer.status_code == 201
    assert "no-store" in answer["Cache-Control"]
    token = ApiToken.objects.get(name="Website")
    secret = answer.context["issued"][1]
    assert secret in answer.content.decode()
    assert api_token_authenticate(raw=secret) == token
    assert token.scopes == ["leads:read", "touches:write"]
    assert secret not in client.get(PAGE).content.decode()


def test_issuing_to_a_person_an_unknown_scope_or_a_past_expiry_is_refused_on_the_form(client, people):
    _logged_in(client, people["admin"])
    person = client.post(PAGE, {"name": "x", "user": people["rep"].pk, "scopes": ["leads:read"]})
    assert person.status_code == 400 and "form" in person.context
    assert person.context["form"].errors["user"]
    unknown = client.post(PAGE, {"name": "x", "user": people["integration"].pk, "scopes": ["leads:delete"]})
    assert "leads:delete" in unknown.context["form"].errors["scopes"][0]
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    late = client.post(
        PAGE, {"name": "x", "user": people["integration"].pk, "scopes": ["leads:read"], "expires_at": past}
    )
    assert late.context["form"].errors["expires_at"] == ["The expiry must be in the future."]
    assert not ApiToken.objects.exists()


def test_revoking_from_the_page(client, people):
    token, _ = api_token_create(user=people["integration"], name="Website", scopes=["leads:read"])
    _logged_in(client, people["admin"])
    assert client.post(f"/system/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert _logged_in(client, people["rep"]).post(f"/system/tokens/{token.pk}/revoke/").status_code == 403
