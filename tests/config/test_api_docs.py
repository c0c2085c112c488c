import re

import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_openapi_3_with_bearer_auth(client_for, people):
    response = client_for(people["rep"]).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/tokens/{id}/revoke/" in schema["paths"]


def test_docs_page_loads_its_assets_from_our_own_static_files(client_for, people):
    html = client_for(people["rep"]).get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    # Nothing loads from another host (a CDN): every script and stylesheet is one of our static files.
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html


def test_schema_generation_emits_no_warnings(capsys):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    assert "Warning" not in capsys.readouterr().err
