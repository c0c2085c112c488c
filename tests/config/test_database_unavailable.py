"""A database out of reach is a 503 with Retry-After (code `database_unavailable` for the API, the "We are
reconnecting…" page for a person), whichever layer met it: a DRF view, a middleware loading the session before
the view, or another view. Errors about the statement (a lock not available, a cancelled query) keep their answers.

The faults here are real (a terminated backend, a port nobody listens on) but the server stays up; the restart of
a real PostgreSQL under load is tests/config/test_database_restart.py."""

import socket
from contextlib import contextmanager

import psycopg
import pytest
from django.db import DataError, InterfaceError, OperationalError, close_old_connections, connection
from django.test import RequestFactory
from psycopg import errors as pg_errors

from config.middleware import ApiErrorMiddleware
from config.problems import database_unavailable, problem_exception_handler
from tests.config.test_problems import assert_problem


def wrapped(django_error: type[Exception], cause: Exception) -> Exception:
    """The exception as Django's DatabaseErrorWrapper raises it: Django's class, psycopg's error as the cause."""
    try:
        raise django_error(str(cause)) from cause
    except django_error as exc:
        return exc


@pytest.mark.parametrize(
    "error",
    [
        wrapped(OperationalError, psycopg.OperationalError("connection failed: Connection refused")),
        wrapped(OperationalError, psycopg.OperationalError("server closed the connection unexpectedly")),
        wrapped(OperationalError, psycopg.OperationalError("the connection is closed")),
        wrapped(OperationalError, pg_errors.ConnectionTimeout("connection timeout expired")),
        wrapped(OperationalError, pg_errors.AdminShutdown("terminating connection due to administrator command")),
        wrapped(OperationalError, pg_errors.CrashShutdown("terminating connection because of crash")),
        wrapped(OperationalError, pg_errors.CannotConnectNow("the database system is starting up")),
        wrapped(OperationalError, pg_errors.ConnectionFailure("connection failure")),
        wrapped(OperationalError, pg_errors.TooManyConnections("sorry, too many clients already")),
        wrapped(InterfaceError, psycopg.InterfaceError("cannot execute operations: the connection is in status 2")),
        pg_errors.AdminShutdown("a bare psycopg error, raised outside Django's wrapper"),
    ],
    ids=lambda error: type(error.__cause__ or error).__name__ + ":" + str(error)[:30],
)
def test_connection_level_errors_mean_the_database_is_unavailable(error):
    assert database_unavailable(error)


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        # None: DRF's handler leaves it alone and re-raises it, as before (the one door maps a lock to 409 itself).
        (wrapped(OperationalError, pg_errors.LockNotAvailable("could not obtain lock on row in relation")), None),
        (wrapped(OperationalError, pg_errors.QueryCanceled("canceling statement due to statement timeout")), None),
        (wrapped(OperationalError, pg_errors.DiskFull("could not extend file")), None),
        (wrapped(OperationalError, pg_errors.CancellationTimeout("cancellation timeout expired")), None),
        (wrapped(InterfaceError, psycopg.InterfaceError("the cursor is closed")), None),
        (wrapped(DataError, pg_errors.NumericValueOutOfRange("integer out of range")), 400),
        (OperationalError("no cause at all"), None),
        (RuntimeError("the connection is closed"), None),
    ],
    ids=lambda case: type(case.__cause__ or case).__name__ if isinstance(case, Exception) else str(case),
)
def test_statement_level_errors_keep_their_answer(error, answer):
    assert not database_unavailable(error)
    response = problem_exception_handler(error, {"request": RequestFactory().get("/api/v1/leads/"), "view": None})
    assert (response and response.status_code) == answer


def test_the_drf_handler_answers_503_with_retry_after():
    request = RequestFactory().get("/api/v1/leads/")
    error = wrapped(OperationalError, pg_errors.AdminShutdown("terminating connection due to administrator command"))
    response = problem_exception_handler(error, {"request": request, "view": None})
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.data["code"] == "database_unavailable" and "Retry-After" in response.data["detail"]


def test_a_web_view_losing_its_connection_answers_the_503_page():
    request = RequestFactory().get("/leads/")
    error = wrapped(OperationalError, psycopg.OperationalError("server closed the connection unexpectedly"))
    response = ApiErrorMiddleware(lambda _request: None).process_exception(request, error)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    html = response.content.decode()
    assert "We are reconnecting…" in html and 'href="/"' in html and "Traceback" not in html


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def database_out_of_reach():
    """Every new connection of this thread goes to a port nobody listens on: a real `connection refused`."""
    settings_dict = connection.settings_dict
    saved = {key: settings_dict[key] for key in ("HOST", "PORT")}
    connection.close()
    settings_dict.update(HOST="127.0.0.1", PORT=str(_free_port()))
    try:
        yield
    finally:
        connection.close()
        settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_a_session_loaded_before_the_view_gives_the_same_503(client, people, funnel_defaults):
    """The session and the user are loaded by middleware (the team's time zone for pages, the audit context for
    writes) before any view runs: Django's 500 handler must still answer 503, page or problem."""
    client.force_login(people["rep"])
    client.raise_request_exception = False
    with database_out_of_reach():
        page = client.get("/leads/")
        api_write = client.post("/api/v1/leads/", {"last_name": "Ngata"}, content_type="application/json")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert page["Content-Type"].startswith("text/html")
    assert "<h1>We are reconnecting…</h1>" in page.content.decode()
    assert "Traceback" not in page.content.decode()
    assert_problem(api_write, 503, "database_unavailable")
    assert api_write["Retry-After"] == "5"
    assert client.get("/leads/").status_code == 200  # the real port again: the same session works


@pytest.mark.django_db(transaction=True)
def test_a_terminated_connection_is_a_503_problem_and_the_next_request_reconnects(people, token_client_for):
    client = token_client_for(people["rep"])
    client.raise_request_exception = False
    assert client.get("/api/v1/leads/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with _admin_connection() as admin:  # what a fast shutdown does to each backend
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    try:
        body = assert_problem(client.get("/api/v1/leads/"), 503, "database_unavailable")
        assert "Retry-After" in body["detail"]
        assert connection.errors_occurred
        # At the end of a real request Django closes the unusable connection (the test client skips it).
        close_old_connections()
        assert client.get("/api/v1/leads/").status_code == 200
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_row_lock_held_elsewhere_is_still_a_409_conflict(people, funnel_defaults, make_lead, api):
    """LockNotAvailable is an OperationalError too: the one door's conflict, never database_unavailable."""
    lead = make_lead(owner=people["marketer"])
    with _admin_connection(autocommit=False) as holder:
        holder.execute("SELECT 1 FROM leads_lead WHERE id = %s FOR UPDATE", [lead.pk])
        response = api(people["marketer"]).post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "interest"})
        holder.rollback()
    assert_problem(response, 409, "conflict")


@contextmanager
def _admin_connection(*, autocommit: bool = True):
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=autocommit,
    ) as other:
        yield other
