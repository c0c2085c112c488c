"""Bulk import: a hand-made file whose every row has a known outcome, the dry run against the real run, a
rerun, the errors file, saved mappings, bad inputs and who may import."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import funnel.tasks  # noqa: F401  (the tasks the outbox names exist in this process, as in a worker)
from crm.models import Campaign, Company, Contact, Touch
from funnel.metrics.models import StageSpan
from funnel.models import Transition
from funnel.services.intake import lead_create
from integrations.models.outbox import OutboxMessage
from leads.imports import parse, report
from leads.imports.models import ImportJob, ImportRow, ImportSource
from leads.imports.services import import_job_create, import_job_run, import_source_save
from leads.models import Lead, OwnerStageCount

pytestmark = pytest.mark.django_db

HEADER = "First name,Last name,E-mail,Website,Company,Role,Touch,When,Stage,Reason,@owner"
ROWS = [
    # 1 created, with a company, a contact and a touch
    "Ada,Lovelace,ada@analytical.example,www.analytical.example,Analytical Engines,champion,webinar_attended,"
    "2026-01-10T10:00:00Z,,,",
    # 2 an existing lead, nothing new: duplicate
    ",Timer,existing@acme.example,,,,,,,,",
    # 3 an existing lead whose blank title... and a touch it lacks: updated
    "Bea,Known,known+news@acme.example,,,,visit,2026-01-11T09:00:00Z,,,",
    # 4 the same person as row 1 (another +tag, upper case): duplicate within the file
    "Ada,Lovelace,ADA+x@Analytical.example,,,,,,,,",
    # 5 a bad e-mail: refused naming the column
    "Bad,Address,not-an-email,,,,,,,,",
    # 6 asks for interest, which a rule refuses (score 0 < 50): refused with the failed check
    "Ivy,Interested,ivy@interest.example,,,,,,interest,,",
    # 7 asks for lost with a reason: created, through the one door
    "Lou,Lost,lou@lost.example,,,,,,lost,Bought elsewhere,",
    # 8 an unknown owner: refused naming the (formula-looking) column
    "Oz,Owner,oz@owner.example,,,,,,,,nobody-here",
    # 9 a touch in the future of a UTC offset no zone has: refused naming the column
    "Tim,Zone,tim@zone.example,,,,visit,2026-01-10T10:00:00+19:00,,,",
    # 10 a second lead of the company of row 1: linked to the same company
    "Alan,Turing,alan@analytical.example,analytical.example,,,,,,,",
]
# 11–20: plain new leads
ROWS += [f"P{n},Plain{n},plain{n}@plain{n % 3}.example,plain{n % 3}.example,,,,,,," for n in range(11, 21)]
MAPPING = {
    "First name": "lead.first_name",
    "Last name": "lead.last_name",
    "E-mail": "lead.email",
    "Website": "company.domain",
    "Company": "lead.company_name",
    "Role": "contact.buying_role",
    "Touch": "touch.kind",
    "When": "touch.occurred_at",
    "Stage": "lead.stage",
    "Reason": "lead.stage_reason",
    "@owner": "lead.owner",
}
EXPECTED = {"created": 13, "updated": 1, "duplicate": 2, "refused": 4}


def _csv(rows=ROWS, header=HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def world(people, rule):
    campaign = Campaign.objects.create(name="Spring webinar", channel="webinar", owner=people["marketer"])
    lead_create(
        actor=people["admin"], data={"last_name": "Timer", "email": "existing@acme.example"}, owner=people["marketer"]
    )
    lead_create(
        actor=people["admin"], data={"last_name": "Known", "email": "known@acme.example"}, owner=people["marketer"]
    )
    rule("Score before interest", to_stages=["interest"], preconditions=[{"kind": "min_score", "score": 50}])
    return {"campaign": campaign, "defaults": {"lead.source_campaign": "Spring webinar"}}


def _run(actor, content=None, dry_run=False, **kwargs):
    kwargs.setdefault("mapping", MAPPING)
    job = import_job_create(actor=actor, content=content or _csv(), filename="web.csv", dry_run=dry_run, **kwargs)
    return import_job_run(job_id=job.pk)


def _outcomes(job) -> dict[int, str]:
    return dict(job.rows.values_list("number", "outcome"))


def test_every_row_of_the_file_has_its_known_outcome(people, world):
    job = _run(people["marketer"], defaults=world["defaults"])
    assert job.status == "done" and job.rows_done == job.rows_total == 20
    assert job.counts == EXPECTED
    outcomes = _outcomes(job)
    assert [outcomes[n] for n in range(1, 11)] == [
        "created", "duplicate", "updated", "duplicate", "refused",
        "refused", "created", "refused", "refused", "created",
    ]  # fmt: skip
    rows = {row.number: row for row in job.rows.all()}
    assert rows[4].note == "Same e-mail as row 1."
    assert rows[5].errors == {"E-mail": "'not-an-email' is not an e-mail address."}
    assert set(rows[6].errors) == {"Stage"} and rows[6].note == "Score before interest: score ≥ 50 — score is 0"
    assert set(rows[8].errors) == {"@owner"}
    assert "UTC offset +1900 is out of range" in rows[9].errors["When"]
    assert not Lead.objects.filter(email_normalized__in=["ivy@interest.example", "oz@owner.example"]).exists()


def test_what_the_import_writes_keeps_what_capture_keeps(people, world):
    before_spans = StageSpan.objects.count()
    job = _run(people["marketer"], defaults=world["defaults"])
    created = Lead.objects.filter(pk__in=job.rows.filter(outcome="created").values("lead"))
    assert created.count() == 13
    ada = created.get(email_normalized="ada@analytical.example")
    alan = created.get(email_normalized="alan@analytical.example")
    assert ada.company_id == alan.company_id == Company.objects.get(domain="analytical.example").pk
    assert ada.owner == people["marketer"] and ada.source_campaign == world["campaign"] and ada.stage == "awareness"
    assert list(ada.contacts.values_list("email", "buying_role")) == [("ada@analytical.example", "champion")]
    assert Touch.objects.get(lead=ada).kind == "webinar_attended"
    first = Transition.objects.get(lead=ada)
    assert (first.from_stage, first.to_stage, first.reason, first.actor) == (
        None,
        "awareness",
        "Imported",
        people["marketer"],
    )
    assert first.context["lead"]["company"] == "Analytical Engines"
    lou = created.get(email_normalized="lou@lost.example")
    assert lou.stage == "lost" and lou.outcome_reason == "Bought elsewhere"
    assert list(Transition.objects.filter(lead=lou).order_by("id").values_list("to_stage", flat=True)) == [
        "awareness",
        "lost",
    ]
    # One span per pass: 13 opened at capture, Lou's closed by the move to lost which opened one more.
    assert StageSpan.objects.count() - before_spans == 14
    assert StageSpan.objects.get(lead=lou, stage="awareness").next_stage == "lost"
    counts = dict(OwnerStageCount.objects.filter(owner=people["marketer"]).values_list("stage", "n"))
    assert counts == {"awareness": 2 + 12, "lost": 1}
    known = Lead.objects.get(email_normalized="known@acme.example")
    assert known.first_name == "Bea" and Touch.objects.filter(lead=known).count() == 1
    # The touched leads' rescoring is written with the chunk, for the outbox to deliver after its commit.
    rescore = OutboxMessage.objects.get(task="leads.tasks.lead_scores_refresh")
    assert rescore.kwargs == {"lead_ids": sorted([ada.pk, known.pk])}


def test_the_dry_run_reports_what_the_real_run_then_does_and_writes_nothing(people, world):
    leads, companies = Lead.objects.count(), Company.objects.count()
    dry = _run(people["marketer"], dry_run=True, defaults=world["defaults"])
    assert (Lead.objects.count(), Company.objects.count(), Touch.objects.count()) == (leads, companies, 0)
    assert dry.counts == EXPECTED
    real = _run(people["marketer"], defaults=world["defaults"])
    assert real.counts == dry.counts and _outcomes(real) == _outcomes(dry)
    assert Lead.objects.count() == leads + EXPECTED["created"]


def test_a_rerun_of_the_same_file_creates_nothing_new(people, world):
    _run(people["marketer"], defaults=world["defaults"])
    snapshot = (
        Lead.objects.count(),
        Company.objects.count(),
        Contact.objects.count(),
        Touch.objects.count(),
        Transition.objects.count(),
    )
    again = _run(people["marketer"], defaults=world["defaults"])
    assert again.counts == {"duplicate": 16, "refused": 4}
    assert (
        Lead.objects.count(),
        Company.objects.count(),
        Contact.objects.count(),
        Touch.objects.count(),
        Transition.objects.count(),
    ) == snapshot


def test_a_killed_run_resumes_after_its_last_committed_chunk(people, world, monkeypatch):
    from leads.imports import services

    monkeypatch.setattr(services, "CHUNK", 7)
    job = import_job_create(
        actor=people["marketer"], content=_csv(), mapping=MAPPING, defaults=world["defaults"], dry_run=False
    )
    calls = {"n": 0}
    real = services.chunks.chunk_run

    def dies_on_the_second_chunk(work, plans):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(work, plans)

    monkeypatch.setattr(services.chunks, "chunk_run", dies_on_the_second_chunk)
    with pytest.raises(SystemExit):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.last_chunk, job.rows_done, job.rows.count()) == (0, 7, 7)
    job = import_job_run(job_id=job.pk)
    assert job.status == "done" and job.counts == EXPECTED and job.rows.count() == 20
    assert ImportRow.objects.filter(job=job).values("number").distinct().count() == 20


def test_the_errors_file_lists_each_problem_formula_safe(people, world, api):
    job = _run(people["marketer"], defaults=world["defaults"])
    response = api(people["marketer"]).get(f"/api/v1/imports/{job.pk}/errors.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == ["row", "column", "problem", "note", "value"]
    assert [line[:2] for line in lines[1:]] == [["5", "E-mail"], ["6", "Stage"], ["8", "'@owner"], ["9", "When"]]
    # What the file held in the refused cell, so a line can be corrected without the file beside it.
    assert [line[4] for line in lines[1:3]] == ["not-an-email", "interest"]
    assert report.cell_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and report.cell_safe("-2") == "'-2"
    assert report.cell_safe("plain") == "plain"


def test_a_saved_mapping_imports_the_next_file_of_its_source(people, world, api):
    source = import_source_save(actor=people["marketer"], name="Website", mapping=MAPPING, defaults=world["defaults"])
    job = _run(people["marketer"], source=source, mapping=None)
    assert job.mapping == MAPPING and job.defaults == world["defaults"] and job.counts == EXPECTED
    client = api(people["marketer"])
    upload = SimpleUploadedFile("next.csv", _csv([ROWS[0].replace("ada@", "ada2@")]), content_type="text/csv")
    response = client.post(
        "/api/v1/imports/", {"file": upload, "source": source.pk, "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert ImportJob.objects.get(pk=response.data["id"]).source == source


def test_a_header_named_like_the_targets_needs_no_mapping(people, world):
    content = b"last_name,email,company.domain\nGuess,guess@who.example,who.example\n"
    job = _run(people["marketer"], content=content, mapping=None)
    assert job.mapping == {"last_name": "lead.last_name", "email": "lead.email", "company.domain": "company.domain"}
    assert job.counts == {"created": 1}


def test_the_api_runs_a_dry_run_then_the_real_one_with_progress(people, world, api, django_capture_on_commit_callbacks):
    client = api(people["marketer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/", {"content": _csv().decode(), "mapping": MAPPING, "defaults": world["defaults"]}
        )
    assert response.status_code == 201, response.content
    dry = client.get(f"/api/v1/imports/{response.data['id']}/").data
    assert (dry["dry_run"], dry["status"], dry["progress"], dry["counts"]) == (True, "done", 100, EXPECTED)
    refused = client.get(f"/api/v1/imports/{dry['id']}/rows/?outcome=refused").data["results"]
    assert [row["number"] for row in refused] == [5, 6, 8, 9]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/imports/{dry['id']}/run/")
    assert response.status_code == 201
    real = client.get(f"/api/v1/imports/{response.data['id']}/").data
    assert (real["dry_run"], real["dry_run_of"], real["counts"]) == (False, dry["id"], EXPECTED)


def test_csv_dialect_bom_and_json_lines_and_arrays_are_read(people, world):
    semicolons = "\ufeffLast name;E-mail\nSemi;semi@colon.example\n".encode()
    mapping = {"Last name": "lead.last_name", "E-mail": "lead.email"}
    assert _run(people["marketer"], content=semicolons, mapping=mapping).counts == {"created": 1}
    lines = (
        b'{"Last name": "Line", "E-mail": "line@json.example"}\n{"Last name": "Two", "E-mail": "two@json.example"}\n'
    )
    job = import_job_create(actor=people["marketer"], content=lines, filename="x.jsonl", mapping=mapping, dry_run=False)
    assert import_job_run(job_id=job.pk).counts == {"created": 2}
    array = (
        b'[{"Last name": "Arr", "E-mail": "arr@json.example"},'
        b' {"Last name": {"nested": 1}, "E-mail": "n@json.example"}]'
    )
    job = import_job_create(actor=people["marketer"], content=array, mapping=mapping, dry_run=False)
    job = import_job_run(job_id=job.pk)
    assert job.counts == {"created": 1, "refused": 1}
    assert job.rows.get(number=2).errors == {"Last name": "A single value, not a list or an object."}


def test_nul_characters_and_over_long_cells_are_refused_per_row_naming_the_column(people, world):
    mapping = {"Last name": "lead.last_name", "E-mail": "lead.email", "Title": "lead.title"}
    content = (
        "Last name,E-mail,Title\nNul\x00l,nul@x.example,\nLong,long@x.example,"
        + "x" * 100_000
        + "\nFine,fine@x.example,CFO\nTitle,t@x.example,"
        + "y" * 101
        + "\n"
    )
    job = _run(people["marketer"], content=content.encode(), mapping=mapping)
    rows = {row.number: row.errors for row in job.rows.all()}
    assert rows == {
        1: {"Last name": "Contains a NUL character."},
        2: {"Title": "Longer than 5,000 characters."},
        3: {},
        4: {"Title": "At most 100 characters."},
    }


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfeL\x00", "not UTF-8"),
        (b"", "empty"),
        (b"[" * 5000 + b"]" * 5000, "nested too deep"),
        (b"[{]", "Not JSON"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(people, world, api, content, problem):
    response = api(people["marketer"]).post(
        "/api/v1/imports/",
        {"file": SimpleUploadedFile("f", content), "mapping": '{"a": "lead.email"}'},
        format="multipart",
    )
    assert response.status_code == 400
    assert problem in str(response.data), response.data


def test_bad_requests_get_problem_documents(people, world, api, monkeypatch):
    client = api(people["marketer"])
    assert client.get("/api/v1/imports/abc/").status_code == 404
    job = _run(people["marketer"], defaults=world["defaults"])
    assert client.get(f"/api/v1/imports/{job.pk}/rows/?cursor=nonsense").status_code == 400
    assert client.get(f"/api/v1/imports/{job.pk}/rows/?outcome=maybe").status_code == 400
    assert client.post("/api/v1/imports/", {"content": "a", "mapping": {"a": "lead.nope"}}).status_code == 400
    assert client.post("/api/v1/imports/", {"content": "a\x00"}).status_code == 400
    response = client.post(
        "/api/v1/imports/",
        '{"content": "a", "mapping": ' + "[" * 5000 + "]" * 5000 + "}",
        content_type="application/json",
    )
    assert response.status_code == 400
    monkeypatch.setattr(parse, "MAX_BYTES", 100)
    big = SimpleUploadedFile("big.csv", b"last_name,email\n" + b"x,x@x.example\n" * 20)
    response = client.post("/api/v1/imports/", {"file": big}, format="multipart")
    assert response.status_code == 413, response.content
    response = client.generic(
        "POST", "/api/v1/imports/", b"", content_type="application/json", CONTENT_LENGTH=str(60 * 1024 * 1024)
    )
    assert response.status_code == 413
    # Another person's job is not there for them.
    assert api(people["marketing_manager"]).get(f"/api/v1/imports/{job.pk}/").status_code == 404


def test_a_token_needs_the_imports_scope(people, world, token_client_for):
    body = {"content": "last_name,email\nTok,tok@x.example\n"}
    assert (
        token_client_for(people["integration"], scopes=["leads:read", "leads:write"])
        .post("/api/v1/imports/", body, format="json")
        .status_code
        == 403
    )
    client = token_client_for(people["integration"], scopes=["imports:write"])
    response = client.post("/api/v1/imports/", body, format="json")
    assert response.status_code == 201
    assert client.get(f"/api/v1/imports/{response.data['id']}/").status_code == 200


DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def _import_cells() -> list[tuple[str, str, str]]:
    section = DOC.read_text().split("## Importing leads\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header, _, *rows = ([cell.strip() for cell in line.strip("|").split("|")] for line in lines)
    return [(role, op, expected) for role, *cells in rows for op, expected in zip(header[1:], cells, strict=True)]


ROLE_KEYS = {
    "sales_rep": "rep", "sdr": "sdr", "marketer": "marketer", "sales_manager": "sales_manager",
    "marketing_manager": "marketing_manager", "revenue_leader": "leader", "admin": "admin",
    "integration": "integration", "anonymous": None,
}  # fmt: skip


@pytest.mark.parametrize(("role", "operation", "expected"), _import_cells())
def test_who_may_import_is_what_the_permissions_document_says(
    people, world, api, token_client_for, role, operation, expected
):
    from rest_framework.test import APIClient

    key = ROLE_KEYS[role]
    if key is None:
        client = APIClient()
    elif key == "integration":
        client = token_client_for(people[key], scopes=["imports:write"])
    else:
        client = api(people[key])
    content = "last_name,email\nPerm,perm@x.example\n"
    if operation == "import leads with touches":
        content = "last_name,email,touch.kind,touch.occurred_at\nPerm,perm@x.example,visit,2026-01-02T10:00:00Z\n"
    body = {"content": content, "defaults": world["defaults"]}
    response = client.post("/api/v1/imports/", body, format="json")
    assert response.status_code == int(expected), (role, operation, response.content[:300])


def test_the_import_page_maps_a_new_file_checks_it_and_imports_it(
    people, world, client, django_capture_on_commit_callbacks
):
    client.force_login(people["marketer"])
    assert client.get("/imports/").status_code == 200
    upload = SimpleUploadedFile("fair.csv", b"Surname,Mail,Met at\nFair,fair@booth.example,visit\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert job.status == "mapping" and job.columns == ["Surname", "Mail", "Met at"]
    page = client.get(f"/imports/{job.pk}/")
    assert b"Map the file" in page.content and b'name="target-1"' in page.content
    form = {"target-0": "lead.last_name", "target-1": "lead.email", "lead.source_campaign": world["campaign"].pk}
    form["save_as"] = "Trade fair"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/map/", form)
    job.refresh_from_db()
    assert response.status_code == 302 and job.status == "done" and job.counts == {"created": 1}
    assert ImportSource.objects.get(name="Trade fair").mapping == {"Surname": "lead.last_name", "Mail": "lead.email"}
    progress = client.get(f"/imports/{job.pk}/progress/?polling=1")
    assert progress["HX-Refresh"] == "true" and b'value="100"' in progress.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/run/")
    real = ImportJob.objects.get(dry_run_of=job)
    assert response["Location"] == f"/imports/{real.pk}/" and real.counts == {"created": 1}
    assert Lead.objects.get(email_normalized="fair@booth.example").source_campaign == world["campaign"]
    assert b"Import" in client.get("/leads/").content


def test_reps_do_not_see_the_import_page_nor_others_jobs(people, world, client):
    client.force_login(people["rep"])
    assert client.get("/imports/").status_code == 403
    assert b'href="/imports/"' not in client.get("/leads/").content
    job = _run(people["marketer"], defaults=world["defaults"])
    client.force_login(people["marketing_manager"])
    assert client.get(f"/imports/{job.pk}/").status_code == 404


def test_a_failing_job_says_so_and_a_rerun_resumes_it(people, world, monkeypatch):
    from django.db import OperationalError

    from leads.imports import services

    monkeypatch.setattr(services, "CHUNK", 10)
    job = import_job_create(actor=people["marketer"], content=_csv(), mapping=MAPPING, defaults=world["defaults"])
    real = services.chunks.chunk_run
    calls = {"n": 0}

    def database_lost_once(work, plans):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real(work, plans)

    monkeypatch.setattr(services.chunks, "chunk_run", database_lost_once)
    with pytest.raises(OperationalError):
        import_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("failed", 10)
    assert job.error == "OperationalError: server closed the connection unexpectedly"
    job = import_job_run(job_id=job.pk)
    assert (job.status, job.error, job.counts) == ("done", "", EXPECTED)


@pytest.mark.django_db(transaction=True)
def test_a_lead_captured_meanwhile_by_someone_else_makes_its_row_a_duplicate(funnel_defaults, people, monkeypatch):
    """A real concurrent transaction commits the same e-mail between the chunk's look-up and its write: the
    unique key refuses the chunk, which runs again and reports the row as a duplicate of that lead."""
    import psycopg
    from django.db import connection

    from leads.imports import chunk

    settings = connection.settings_dict
    real, raced = chunk.writes.companies_resolve, []

    def someone_captures_it_meanwhile(plans):
        if not raced:
            raced.append(True)
            # The embedded PostgreSQL of `run.py test` is a socket directory with no port: leave out what is empty.
            keys = {"host": "HOST", "port": "PORT", "dbname": "NAME", "user": "USER", "password": "PASSWORD"}
            params = {key: settings[name] for key, name in keys.items() if settings[name]}
            with psycopg.connect(**params, autocommit=True) as other:
                other.execute(
                    "INSERT INTO leads_lead (first_name, last_name, email, email_normalized, phone, title, "
                    "company_name, segment, territory, industry, stage, stage_entered_at, owning_function, "
                    "outcome_reason, currency, score, created_at, updated_at) VALUES ('', 'Other', "
                    "'race@x.example', 'race@x.example', '', '', '', '', '', '', 'awareness', now(), 'marketing', "
                    "'', 'USD', 0, now(), now())"
                )
        return real(plans)

    monkeypatch.setattr(chunk.writes, "companies_resolve", someone_captures_it_meanwhile)
    content = b"last_name,email\nRace,race@x.example\nCalm,calm@x.example\n"
    # Committed at once (a transactional test), so the eager task runs the job on commit, as a worker would.
    job = import_job_create(actor=people["marketer"], content=content, mapping=None, dry_run=False)
    job.refresh_from_db()
    assert _outcomes(job) == {1: "duplicate", 2: "created"}, (job.status, job.error)
    assert Lead.objects.filter(email_normalized="race@x.example").count() == 1
    assert job.rows.get(number=1).lead.last_name == "Other"


def test_imported_leads_raise_lead_created_for_webhook_subscribers(people, world):
    from accounts.services import api_token_create
    from integrations.models import WebhookEvent, WebhookSubscription
    from integrations.webhooks.events import listened_types_forget

    token, _ = api_token_create(user=people["integration"], name="hook", scopes=["leads:read"])
    WebhookSubscription.objects.create(
        owner=people["admin"], token=token, url="https://hooks.example/crm", event_types=["lead.created"]
    )
    listened_types_forget()
    try:
        _run(people["marketer"], defaults=world["defaults"])
    finally:
        listened_types_forget()
    emails = sorted(e.payload["lead"]["email"] for e in WebhookEvent.objects.filter(type="lead.created"))
    assert len(emails) == EXPECTED["created"] and "ada@analytical.example" in emails and "lou@lost.example" in emails
