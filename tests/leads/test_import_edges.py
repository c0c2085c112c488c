"""Bulk import at its edges: what fuzzing the running product sent, each refused by name (a 400 naming the
field, or one row's error naming the column) instead of a 500, a failed job or data silently lost."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.imports.services import import_source_save

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


def _upload(client, **fields):
    upload = SimpleUploadedFile("f.csv", b"email,last_name\na@x.example,A\n", content_type="text/csv")
    return client.post("/api/v1/imports/", {"file": upload, **fields}, format="multipart")


def test_a_multipart_mapping_nested_thousands_deep_is_refused_naming_mapping(people, api):
    response = _upload(api(people["marketer"]), mapping="[" * 5000 + "]" * 5000)
    assert response.status_code == 400, response.content
    assert response.data["errors"]["mapping"] == ["The JSON is nested deeper than 32 levels."]


def test_a_multipart_default_of_infinity_is_refused_naming_defaults(people, api):
    response = _upload(api(people["marketer"]), defaults='{"lead.title": 1e999}')
    assert response.status_code == 400, response.content
    assert response.data["errors"]["defaults"] == ["lead.title: the number is out of range."]


def test_a_default_that_is_not_a_finite_number_is_refused_by_the_service(people):
    mapping, defaults = {"E-mail": "lead.email"}, {"lead.title": float("inf")}
    with pytest.raises(ValidationError) as info:
        import_source_save(actor=people["marketer"], name="inf", mapping=mapping, defaults=defaults)
    assert info.value.message_dict == {"defaults.lead.title": ["A text or finite number of at most 500 characters."]}
