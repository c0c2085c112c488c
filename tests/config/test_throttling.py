"""Rate limits per person, per token and per address, counted in the real Redis every process shares."""

import logging
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from rest_framework.request import Request

from config import shared_store, throttling
from leads.models import Lead

pytestmark = pytest.mark.django_db
LEADS = "/api/v1/leads/"


@pytest.fixture(autouse=True)
def _real_redis(redis_url, settings, monkeypatch):
    settings.REDIS_URL = redis_url
    monkeypatch.setattr(throttling, "_store_down_until", 0.0)


def test_every_counted_answer_says_the_limit_and_what_is_left(people, api, settings):
    settings.API_RATE_LIMIT_USER = "3/min"
    client = api(people["rep"])
    answers = [client.get(LEADS) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a["RateLimit-Limit"] for a in answers} == {"3"} and answers[0]["RateLimit-Policy"] == "3;w=60"
    assert 1 <= int(answers[0]["RateLimit-Reset"]) <= 60
    over = answers[3]
    assert over["Content-Type"] == "application/problem+json" and over.json()["code"] == "throttled"
    assert 1 <= int(over["Retry-After"]) <= 60 and over["Retry-After"] == over["RateLimit-Reset"]


def test_another_person_has_a_window_of_their_own(people, api, settings):
    settings.API_RATE_LIMIT_USER = "1/min"
    assert api(people["rep"]).get(LEADS).status_code == 200
    assert api(people["rep"]).get(LEADS).status_code == 429
    assert api(people["rep2"]).get(LEADS).status_code == 200


def test_a_token_counts_against_its_own_limit_not_its_persons(people, api, token_client_for, settings):
    settings.API_RATE_LIMIT_TOKEN, settings.API_RATE_LIMIT_USER = "2/min", "5/min"
    token = token_client_for(people["integration"])
    assert [token.get(LEADS).status_code for _ in range(3)] == [200, 200, 429]
    assert token.get(LEADS)["RateLimit-Limit"] == "2"
    # The same person logged in, and their second token, are counted apart.
    assert api(people["integration"]).get(LEADS)["RateLimit-Remaining"] == "4"
    assert token_client_for(people["integration"]).get(LEADS).status_code == 200


def test_writes_over_the_limit_are_refused_before_they_run(people, api, settings):
    settings.API_RATE_LIMIT_USER = "1/min"
    client = api(people["marketer"])
    assert client.post(LEADS, {"last_name": "One"}).status_code == 201
    assert client.post(LEADS, {"last_name": "Two"}).status_code == 429
    assert Lead.objects.count() == 1


def test_a_429_is_not_kept_under_an_idempotency_key(people, api, settings):
    settings.API_RATE_LIMIT_USER = "1/min"
    client = api(people["marketer"])
    client.get(LEADS)
    throttled = client.post(LEADS, {"last_name": "Later"}, HTTP_IDEMPOTENCY_KEY="later")
    settings.API_RATE_LIMIT_USER = "100/min"
    retried = client.post(LEADS, {"last_name": "Later"}, HTTP_IDEMPOTENCY_KEY="later")
    assert (throttled.status_code, retried.status_code) == (429, 201)


def test_the_window_is_shared_with_other_processes(people, api, settings, redis_url):
    """Another process (a second gunicorn worker) spends two of the three requests through the same store."""
    settings.API_RATE_LIMIT_USER = "3/min"
    name = shared_store.key("rate", "user", str(people["rep"].pk))
    script = (
        "import sys; from config.shared_store import RedisStore; store = RedisStore(sys.argv[1]); "
        "[store.hit(sys.argv[2], 60_000) for _ in range(2)]"
    )
    subprocess.run([sys.executable, "-c", script, redis_url, name], check=True, cwd=django_settings.BASE_DIR)
    client = api(people["rep"])
    assert client.get(LEADS)["RateLimit-Remaining"] == "0"
    assert client.get(LEADS).status_code == 429


def test_anonymous_callers_are_counted_per_address(settings):
    settings.API_RATE_LIMIT_ANON = "2/min"
    throttle = throttling.AnonRateThrottle()

    def allowed(address):
        request = Request(RequestFactory().get("/api/v1/", REMOTE_ADDR=address))
        return throttle.allow_request(request, None)

    assert [allowed("203.0.113.5") for _ in range(3)] == [True, True, False]
    assert allowed("203.0.113.6") is True


def test_the_client_address_trusts_only_the_proxies_it_is_told_of(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert throttling.client_address(request) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    assert throttling.client_address(request) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 5
    assert throttling.client_address(request) == "6.6.6.6"


def test_an_unreachable_redis_lets_requests_through_with_a_warning(people, api, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.API_RATE_LIMIT_USER = "1/min"
    client = api(people["rep"])
    with caplog.at_level(logging.WARNING, logger="config.throttling"):
        answers = [client.get(LEADS) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert not answers[0].has_header("RateLimit-Limit")
    warnings = [r for r in caplog.records if "Rate-limit store unreachable" in r.getMessage()]
    assert len(warnings) == 1  # then it stands aside for a few seconds instead of retrying each request


def test_without_redis_the_limits_and_keys_hold_within_the_process(people, api, settings):
    settings.REDIS_URL, settings.API_RATE_LIMIT_USER = None, "2/min"
    client = api(people["marketer"])
    body = {"last_name": "Local"}
    first = client.post(LEADS, body, HTTP_IDEMPOTENCY_KEY="local")
    again = client.post(LEADS, body, HTTP_IDEMPOTENCY_KEY="local")
    assert (first.status_code, again["Idempotent-Replayed"], Lead.objects.count()) == (201, "true", 1)
    assert [client.get(LEADS).status_code for _ in range(2)] == [200, 429]
