"""/healthz: is this process able to reach the database and the broker? For load balancers and compose."""

from celery import current_app
from django.db import connection
from django.http import JsonResponse


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy; the message says which
        return f"database: {exc.__class__.__name__}: {exc}"
    return None


def check_broker() -> str | None:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return f"broker: {exc.__class__.__name__}: {exc}"
    return None


def healthz(request):  # noqa: ARG001
    failures = [problem for problem in (check_database(), check_broker()) if problem]
    body = {"status": "fail" if failures else "ok", "checks": {"database": "ok", "broker": "ok"}}
    for failure in failures:
        name, _, message = failure.partition(": ")
        body["checks"][name] = message
    return JsonResponse(body, status=503 if failures else 200)
