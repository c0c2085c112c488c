"""Bulk import at its edges: what fuzzing the running product sent, each refused by name (a 400 naming the
field, or one row's error naming the column) instead of a 500, a failed job or data silently lost."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("mapping", ["x", [], 5])
def test_a_saved_source_whose_mapping_is_not_an_object_is_refused_naming_mapping(people, api, mapping):
    response = api(people["marketer"]).post("/api/v1/import-sources/", {"name": "srcm", "mapping": mapping})
    assert response.status_code == 400, response.content
    assert "An object of file column → target" in response.data["errors"]["mapping"][0]


@pytest.mark.parametrize("defaults", ["x", [], 5])
def test_a_saved_source_whose_defaults_are_not_an_object_is_refused_naming_defaults(people, api, defaults):
    body = {"name": "srcd", "mapping": {"E-mail": "lead.email"}, "defaults": defaults}
    response = api(people["marketer"]).post("/api/v1/import-sources/", body)
    assert response.status_code == 400, response.content
    assert "An object of target → value" in response.data["errors"]["defaults"][0]
