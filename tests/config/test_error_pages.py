"""A person's error pages: the product's layout, a way home, no internals; and `python3 run.py` serves them
because it runs production-like (DEBUG off) unless asked for development mode."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.funnel.conftest import move

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def assert_error_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert 'href="/"' in html  # a way home
    assert "Traceback" not in html and "settings" not in html.lower()
    return html


def test_an_unknown_page_is_the_products_404(client, people):
    client.force_login(people["rep"])
    html = assert_error_page(client.get("/no-such-page/"), 404, "Nothing here")
    assert "Log out" in html and "My queue" in html  # the product's layout, the role's navigation included


def test_a_crash_is_the_products_500_without_internals(client, people, monkeypatch):
    from funnel.views import leads

    def explode(*args, **kwargs):
        raise RuntimeError("boom: DATABASE_URL=postgres://secret")

    monkeypatch.setattr(leads.lead_selectors, "lead_list", explode)
    client.force_login(people["rep"])
    client.raise_request_exception = False
    html = assert_error_page(client.get(reverse("lead-list")), 500, "Something went wrong on our side")
    assert "boom" not in html and "secret" not in html


def test_changing_a_lead_one_sees_only_in_part_is_the_products_403(client, people, make_lead):
    lead = make_lead(owner=people["rep"])
    for stage in ("interest", "consideration", "intent"):
        move(lead, stage, people["rep"])
    client.force_login(people["marketer"])
    response = client.post(reverse("lead-edit", kwargs={"lead_id": lead.pk}), {"title": "CFO"})
    assert "its owner&#x27;s side changes it" in assert_error_page(response, 403, "Not yours to change")


def test_an_expired_form_is_the_products_403_and_an_api_call_stays_a_problem(people):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(people["rep"])
    assert_error_page(client.post(reverse("notifications-read")), 403, "This form has expired")
    api = client.post("/api/v1/notifications/mark-read/", {}, content_type="application/json")
    assert (api.status_code, api["Content-Type"]) == (403, "application/problem+json")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_form_over_the_size_limit_is_the_products_413(client, people, make_lead):
    lead = make_lead(owner=people["rep"])
    client.force_login(people["rep"])
    response = client.post(reverse("lead-call-report", kwargs={"lead_id": lead.pk}), {"notes": "x" * 2000})
    assert_error_page(response, 413, "That was too much at once")


def _serve_env(tmp_path, dev: bool = False, dotenv: str = "", **environ) -> dict:
    """The environment `python3 run.py` gives the servers (after reading `dotenv` as its .env), computed by
    run.py itself."""
    spec = importlib.util.spec_from_file_location("run_py", ROOT / "run.py")
    run_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_py)
    run_py.DATA_DIR = tmp_path
    (tmp_path / ".env").write_text(dotenv)
    run_py.ROOT = tmp_path
    ours = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_COOKIES"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(clean, **environ)
        run_py.load_dotenv()
        run_py.serve_env("127.0.0.1", dev=dev)
        return dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _settings_under(env: dict) -> list[str]:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.STORAGES['staticfiles']['BACKEND'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_run_py_serves_production_like_with_a_secret_key_made_once(tmp_path):
    env = _serve_env(tmp_path)
    assert env["DEBUG"] == "false"
    assert len(env["SECRET_KEY"]) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert _serve_env(tmp_path)["SECRET_KEY"] == env["SECRET_KEY"]  # the same key on the next start
    assert env["ALLOWED_HOSTS"] == "localhost,127.0.0.1,[::1]"
    debug, secure_cookies, ssl_redirect, storage = _settings_under(env)
    assert (debug, secure_cookies, ssl_redirect) == ("False", "False", "False")  # plain HTTP on this machine
    assert storage == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_run_py_serves_with_a_dotenv_copied_from_the_example_unchanged(tmp_path):
    """.env.example leaves SECRET_KEY and the SECURE_* settings blank: blank means "the default", so run.py
    still generates the key and serves plain HTTP."""
    env = _serve_env(tmp_path, dotenv=(ROOT / ".env.example").read_text())
    assert env["DEBUG"] == "false"
    assert len(env["SECRET_KEY"]) >= 50
    assert (env["SECURE_SSL_REDIRECT"], env["SECURE_HSTS_SECONDS"], env["SECURE_COOKIES"]) == ("false", "0", "false")
    assert env["ALLOWED_HOSTS"] == "localhost,127.0.0.1"  # the example's own value wins over run.py's
    debug, secure_cookies, ssl_redirect, _ = _settings_under(env)
    assert (debug, secure_cookies, ssl_redirect) == ("False", "False", "False")


def test_run_py_replaces_an_empty_secret_key_file_left_by_an_interrupted_start(tmp_path):
    (tmp_path / "secret_key").write_text("")
    key = _serve_env(tmp_path)["SECRET_KEY"]
    assert len(key) >= 50
    assert (tmp_path / "secret_key").read_text() == key


def test_run_py_dev_mode_and_debug_true_give_tracebacks(tmp_path):
    assert _serve_env(tmp_path, DEBUG="true")["DEBUG"] == "true"
    assert _serve_env(tmp_path, dev=True, DEBUG="false")["DEBUG"] == "true"  # --dev wins over the environment
    assert not (tmp_path / "secret_key").exists()  # development mode needs no generated key
