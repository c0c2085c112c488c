"""Idempotency-Key on the API's POSTs, against the real Redis: a repeated request gets the first answer back, once."""

import threading
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.client import encode_multipart
from django.utils import timezone
from rest_framework.test import APIClient

from config.idempotency import IdempotencyMiddleware
from crm.models import Touch
from funnel.services import intake
from leads.models import Lead

LEADS = "/api/v1/leads/"


@pytest.fixture(autouse=True)
def _real_redis(redis_url, settings):
    settings.REDIS_URL = redis_url


def post(client, path, body, key, **extra):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


def test_the_same_key_and_body_replays_the_first_answer_and_creates_one_lead(people, api):
    client = api(people["marketer"])
    body = {"last_name": "Ngata", "email": "aroha@kauri.example"}
    first = post(client, LEADS, body, "capture-1")
    again = post(client, LEADS, body, "capture-1")
    assert first.status_code == 201 and again.status_code == 201
    assert again.content == first.content and again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Lead.objects.filter(email="aroha@kauri.example").count() == 1


def test_the_same_key_with_another_body_is_refused_with_422(people, api):
    client = api(people["marketer"])
    post(client, LEADS, {"last_name": "Ngata", "email": "a@kauri.example"}, "k")
    reused = post(client, LEADS, {"last_name": "Other", "email": "b@kauri.example"}, "k")
    assert reused.status_code == 422 and reused["Content-Type"] == "application/problem+json"
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Lead.objects.count() == 1


def test_a_key_that_is_not_printable_ascii_is_a_400_naming_the_header(people, api):
    client = api(people["marketer"])
    for bad in ["", "x" * 256, "tab\there", " padded "]:
        response = post(client, LEADS, {"last_name": "Ngata"}, bad)
        assert response.status_code == 400, bad
        assert "Idempotency-Key" in response.json()["detail"]
    assert post(client, LEADS, {"last_name": "Ngata"}, "x" * 255).status_code == 201
    assert Lead.objects.count() == 1


def test_a_400_is_the_answer_and_is_replayed_too(people, api):
    client = api(people["marketer"])
    first = post(client, LEADS, {"email": "not an address"}, "bad-input")
    again = post(client, LEADS, {"email": "not an address"}, "bad-input")
    assert first.status_code == again.status_code == 400
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"


def test_a_500_is_not_kept_so_the_retry_runs(people, api, monkeypatch):
    real = intake.lead_create
    calls = []

    def fails_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(intake, "lead_create", fails_once)
    client = api(people["marketer"])
    client.raise_request_exception = False
    body = {"last_name": "Ngata", "email": "aroha@kauri.example"}
    assert post(client, LEADS, body, "retry-me").status_code == 500
    retried = post(client, LEADS, body, "retry-me")
    assert retried.status_code == 201 and not retried.has_header("Idempotent-Replayed")
    assert len(calls) == 2 and Lead.objects.count() == 1


def test_a_forged_token_is_refused_each_time_not_replayed(people):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer crm_bogus_x")
    first, again = (post(client, LEADS, {"last_name": "Ngata"}, "forged") for _ in "ab")
    assert first.status_code == again.status_code == 401
    assert not again.has_header("Idempotent-Replayed")
    assert not Lead.objects.exists()


def test_a_403_is_not_kept_so_the_retry_after_the_scope_is_granted_runs(people, token_client_for):
    from accounts.models import ApiToken

    client = token_client_for(people["integration"], scopes=["leads:read"])
    body = {"last_name": "Ngata", "email": "aroha@kauri.example", "owner": people["marketer"].pk}
    assert post(client, LEADS, body, "scoped").status_code == 403
    ApiToken.objects.update(scopes=["leads:read", "leads:write"])
    retried = post(client, LEADS, body, "scoped")
    assert retried.status_code == 201 and not retried.has_header("Idempotent-Replayed")
    assert Lead.objects.filter(email="aroha@kauri.example").count() == 1


@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
def test_an_answer_a_retry_must_run_again_is_not_kept(people, status):
    answers = iter([HttpResponse(status=status), HttpResponse(b"made", status=201)])
    middleware = IdempotencyMiddleware(lambda _request: next(answers))
    requests = [RequestFactory().post(LEADS, b"{}", "application/json", HTTP_IDEMPOTENCY_KEY="again") for _ in "ab"]
    for request in requests:
        request.user = people["admin"]
    assert middleware(requests[0]).status_code == status
    retried = middleware(requests[1])
    assert (retried.status_code, retried.content) == (201, b"made") and not retried.has_header("Idempotent-Replayed")


def test_an_answer_to_a_caller_nobody_authenticated_is_not_kept(people):
    from django.contrib.auth.models import AnonymousUser

    answers = iter([HttpResponse(b"first", status=200), HttpResponse(b"second", status=200)])
    middleware = IdempotencyMiddleware(lambda _request: next(answers))
    forged = {"HTTP_IDEMPOTENCY_KEY": "anon", "HTTP_AUTHORIZATION": "Bearer crm_bogus_x"}
    requests = [RequestFactory().post(LEADS, b"{}", "application/json", **forged) for _ in "ab"]
    for request in requests:
        request.user = AnonymousUser()  # as DRF leaves it when it refuses the credential
    assert [middleware(request).content for request in requests] == [b"first", b"second"]


def test_keys_of_two_callers_do_not_collide(people, api, token_client_for):
    body = {"last_name": "Ngata", "email": "aroha@kauri.example"}
    marketer = post(api(people["marketer"]), LEADS, body, "same-key")
    # Same key and body from someone else is their own request: here the lead exists, so a duplicate.
    manager = post(api(people["marketing_manager"]), LEADS, body, "same-key")
    assert marketer.status_code == 201 and manager.status_code == 409
    assert not manager.has_header("Idempotent-Replayed")
    # Two tokens of the same person are two callers as well.
    tokens = [token_client_for(people["marketer"]) for _ in range(2)]
    first, second = (post(t, LEADS, {"last_name": "T", "email": "t@tok.example"}, "tok") for t in tokens)
    assert (first.status_code, second.status_code) == (201, 409)
    assert not second.has_header("Idempotent-Replayed")


def test_a_key_expires_after_its_ttl(people, api, settings):
    settings.IDEMPOTENCY_TTL_SECONDS = 1
    client = api(people["marketer"])
    post(client, LEADS, {"last_name": "Ngata"}, "short-lived")
    assert post(client, LEADS, {"last_name": "Ngata"}, "short-lived")["Idempotent-Replayed"] == "true"
    time.sleep(1.2)
    fresh = post(client, LEADS, {"last_name": "Ngata"}, "short-lived")
    assert fresh.status_code == 201 and not fresh.has_header("Idempotent-Replayed")
    assert Lead.objects.filter(last_name="Ngata").count() == 2


def test_bulk_touches_and_transitions_are_covered(people, api, make_lead):
    from crm.models import Campaign

    campaign = Campaign.objects.create(name="Webinar", channel="webinar", requires_sales_preview=False)
    lead = make_lead()
    client = api(people["admin"])
    when = (timezone.now() - timedelta(hours=1)).isoformat()
    touches = {"touches": [{"lead": lead.pk, "campaign": campaign.pk, "kind": "form_fill", "occurred_at": when}]}
    first = post(client, "/api/v1/touches/bulk/", touches, "batch-7")
    again = post(client, "/api/v1/touches/bulk/", touches, "batch-7")
    assert first.json()["created"] == 1 and again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Touch.objects.count() == 1
    move, moves_before = {"to_stage": "interest"}, lead.transitions.count()
    moved = post(client, f"/api/v1/leads/{lead.pk}/transition/", move, "move-1")
    replayed = post(client, f"/api/v1/leads/{lead.pk}/transition/", move, "move-1")
    assert moved.status_code == replayed.status_code == 201 and replayed.content == moved.content
    assert replayed["Idempotent-Replayed"] == "true"
    assert lead.transitions.count() == moves_before + 1


def test_an_unreachable_store_refuses_keyed_posts_with_503_and_creates_nothing(people, api, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client = api(people["marketer"])
    response = post(client, LEADS, {"last_name": "Ngata"}, "no-store")
    assert response.status_code == 503 and response.json()["code"] == "idempotency_unavailable"
    assert response["Retry-After"] == "5" and not Lead.objects.exists()
    # Without a key the request does not depend on the store.
    assert client.post(LEADS, {"last_name": "Ngata"}, format="json").status_code == 201


def test_an_upload_above_the_in_memory_limit_is_fingerprinted_and_still_reaches_the_view(people, settings):
    """As a large import file does: its endpoint takes more than DATA_UPLOAD_MAX_MEMORY_SIZE (API_UPLOAD_LIMITS)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64
    seen = []

    def upload_view(request):
        seen.append(request.read())
        return HttpResponse(f"{len(seen[-1])} bytes".encode(), status=201)

    middleware = IdempotencyMiddleware(upload_view)

    def send(content):
        request = RequestFactory().post(LEADS, content, "text/csv", HTTP_IDEMPOTENCY_KEY="big-file")
        request.user = people["admin"]
        return middleware(request)

    file = b"email,last_name\n" + b"a@b.example,Ngata\n" * 500
    first, again, other = send(file), send(file), send(file + b"x@y.example,Other\n")
    assert seen == [file] and (first.status_code, first.content) == (201, f"{len(file)} bytes".encode())
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422


@pytest.mark.parametrize("in_memory_limit", [None, 64], ids=["held in memory", "spooled to disk"])
def test_a_multipart_upload_retried_with_a_new_boundary_replays_the_first_answer(
    people, api, settings, in_memory_limit
):
    """As python requests retries: each send of the same fields and file draws a new boundary."""
    from leads.imports.models import ImportJob

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = in_memory_limit or settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    client, file = api(people["marketer"]), b"last_name,email\n" + b"Ngata,aroha@kauri.example\n" * 20

    def upload(boundary, content=file, name="leads.csv"):
        body = encode_multipart(boundary, {"file": SimpleUploadedFile(name, content), "dry_run": "true"})
        kind = f"multipart/form-data; boundary={boundary}"
        return client.generic("POST", "/api/v1/imports/", body, kind, HTTP_IDEMPOTENCY_KEY="upload-1")

    first, again = upload("first-a1b2c3"), upload("retry-d4e5f6")
    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert ImportJob.objects.count() == 1
    for other in (upload("x", file + b"Other,o@kauri.example\n"), upload("y", name="other.csv")):
        assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert ImportJob.objects.count() == 1


def test_the_location_header_is_replayed_with_the_body(people):
    answers = iter([HttpResponse(b"made", status=201, headers={"Location": "/api/v1/leads/7/"}), None])
    middleware = IdempotencyMiddleware(lambda _request: next(answers))
    requests = [RequestFactory().post(LEADS, b"{}", "application/json", HTTP_IDEMPOTENCY_KEY="loc") for _ in "ab"]
    for request in requests:
        request.user = people["admin"]
    middleware(requests[0])
    again = middleware(requests[1])
    assert (again.status_code, again.content, again["Location"]) == (201, b"made", "/api/v1/leads/7/")


@pytest.mark.django_db(transaction=True)
def test_the_same_key_while_the_first_runs_is_409_and_one_lead_is_made(funnel_defaults, token_client_for, redis_url):
    from tests.conftest import build_people, build_teams

    people = build_people(build_teams())
    entered, release = threading.Event(), threading.Event()
    real = intake.lead_create

    def slow(**kwargs):
        entered.set()
        release.wait(10)
        return real(**kwargs)

    client = token_client_for(people["marketer"])
    body = {"last_name": "Race", "email": "race@kauri.example"}
    answers = {}

    def first():
        from django.db import connection

        try:
            answers["first"] = post(client, LEADS, body, "race")
        finally:
            connection.close()

    original, intake.lead_create = intake.lead_create, slow
    try:
        thread = threading.Thread(target=first)
        thread.start()
        assert entered.wait(10), "the first request never reached the service"
        answers["second"] = post(client, LEADS, body, "race")
        release.set()
        thread.join(15)
    finally:
        intake.lead_create = original
        release.set()
    assert answers["first"].status_code == 201
    assert (answers["second"].status_code, answers["second"].json()["code"]) == (409, "idempotency_key_in_use")
    after = post(client, LEADS, body, "race")
    assert after["Idempotent-Replayed"] == "true" and after.content == answers["first"].content
    assert Lead.objects.filter(email="race@kauri.example").count() == 1
