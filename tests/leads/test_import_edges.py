"""Bulk import at its edges: what fuzzing the running product sent, each refused by name (a 400 naming the
field, or one row's error naming the column) instead of a 500, a failed job or data silently lost."""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from leads.imports.services import import_job_create, import_job_run, import_source_save
from leads.models import Lead

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


def _imported(actor, content: str, dry_run: bool = False):
    job = import_job_create(actor=actor, content=content.encode(), filename="f.csv", mapping=None, dry_run=dry_run)
    return import_job_run(job_id=job.pk)


@pytest.mark.parametrize("employees", ["²", "٣", "9" * 5000])
def test_an_employee_count_that_is_not_ascii_digits_refuses_its_row_only(people, employees):
    content = (
        f"email,last_name,company.domain,company.employees\na@x.example,A,acme.example,{employees}\nb@x.example,B,,\n"
    )
    job = _imported(people["marketer"], content)
    assert (job.status, job.error, job.counts) == ("done", "", {"refused": 1, "created": 1})
    assert job.rows.get(number=1).errors == {"company.employees": "A whole number of people."}


@pytest.mark.parametrize("campaign", ["²", "9" * 5000])
def test_a_source_campaign_that_is_not_ascii_digits_refuses_its_row_only(people, campaign):
    content = f"email,last_name,lead.source_campaign\na@x.example,A,{campaign}\nb@x.example,B,\n"
    job = _imported(people["marketer"], content)
    assert (job.status, job.error, job.counts) == ("done", "", {"refused": 1, "created": 1})
    assert job.rows.get(number=1).errors == {
        "lead.source_campaign": f"No campaign {campaign[:80]!r} (a name or an id)."
    }


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_a_csv_header_naming_a_column_twice_is_refused_naming_it(people, api, dry_run):
    content = "email,email,last_name,last_name,owner\nA@x.example,B@x.example,First,Second,mark\n"
    response = api(people["marketer"]).post("/api/v1/imports/", {"content": content, "dry_run": dry_run})
    assert response.status_code == 400, response.content
    assert response.data["errors"]["file"] == ["The first line names these columns twice: email, last_name."]
    assert not Lead.objects.exists()


def test_a_json_key_with_a_nul_or_over_long_is_refused_naming_it(people):
    long_key = "k" * 5001
    lines = [
        {"email": "a@x.example", "last_name": "A", "ti\x00tle": "CFO"},
        {"email": "b@x.example", "last_name": "B", long_key: "x"},
        {"email": "c@x.example", "last_name": "C"},
    ]
    content = "\n".join(json.dumps(line) for line in lines).encode()
    job = import_job_create(actor=people["marketer"], content=content, filename="f.jsonl", dry_run=False)
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.counts) == ("done", {"refused": 2, "created": 1})
    errors = dict(job.rows.values_list("number", "errors"))
    assert errors[1] == {"(row)": "The key 'ti\\x00tle' contains a NUL character."}
    assert errors[2] == {"(row)": f"The key {'k' * 60!r}… is longer than 5,000 characters."}


@pytest.mark.parametrize("start", ["\uff1d", "\uff0b", "\uff0d", "\uff20"])  # full-width = + - @
def test_the_errors_file_quotes_a_full_width_formula_start(people, api, start):
    content = f"email,last_name,{start}owner\na@x.example,A,{start}cmd\n"
    mapping = {"email": "lead.email", "last_name": "lead.last_name", f"{start}owner": "lead.owner"}
    job = import_job_create(actor=people["marketer"], content=content.encode(), mapping=mapping, dry_run=False)
    job = import_job_run(job_id=job.pk)
    response = api(people["marketer"]).get(f"/api/v1/imports/{job.pk}/errors.csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[1][:2] == ["1", f"'{start}owner"] and lines[1][4] == f"'{start}cmd"
