import pytest


@pytest.fixture
def api(client_for):
    """client_for, speaking JSON without saying format="json" on every call."""

    def make(user):
        client = client_for(user)
        client.default_format = "json"
        return client

    return make
