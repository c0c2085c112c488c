import pytest
from django.test import override_settings

from accounts.services import api_token_create
from integrations.webhooks.events import listened_types_forget
from tests.integrations.receiver import start_receiver


@pytest.fixture
def receiver():
    """A live receiver on loopback, which the administrator allowed for the test (WEBHOOK_ALLOWED_NETWORKS)."""
    receiver, server = start_receiver()
    listened_types_forget()
    with override_settings(WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        yield receiver
    server.shutdown()
    listened_types_forget()


@pytest.fixture
def integration_token(people):
    """The integration user's token with every read scope and webhooks:manage; returns (token, plaintext)."""
    scopes = ["leads:read", "handoffs:read", "definitions:read", "metrics:read", "webhooks:manage", "leads:write"]
    return api_token_create(user=people["integration"], name="automation", scopes=scopes)
