"""Waiting for PostgreSQL to show a lock wait, so a concurrency test exercises the race it names instead of
hoping a sleep was long enough."""

import time

from django.db import connection


def until_another_session_waits_on_a_lock(timeout: float = 10) -> None:
    """Holds the caller's transaction open until another session of this database is blocked on a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # Inside a transaction pg_stat_activity is read once and kept: drop that copy before each look.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                " AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("No other session waited on a lock within the timeout.")
