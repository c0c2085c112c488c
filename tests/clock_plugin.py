"""Runs tests with the clock moved, to see whether they hold on another day than today:

    CLOCK_AT=2027-01-01T00:30 .venv/bin/python -m pytest -p tests.clock_plugin tests/funnel/test_demo.py

CLOCK_AT is a UTC time; the clock starts there and ticks. Python's clock is moved by time-machine, and so is
PostgreSQL's now() (a few SQL reads use it, e.g. the SLA metrics' "clock came due"): a now() in a schema
searched before pg_catalog returns the database's own time shifted by the same offset. Not loaded by default:
the suite runs on today; the demo's date-sensitive planning is checked for many dates in
tests/funnel/test_demo_dates.py."""

import os
from datetime import UTC, datetime

import pytest
import time_machine

SCHEMA = "moved_clock"


def _move_database_clock(connection, offset_seconds: float) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {SCHEMA}.now() RETURNS timestamptz LANGUAGE sql STABLE AS "
            f"$$ SELECT pg_catalog.transaction_timestamp() + interval '{offset_seconds:.3f} seconds' $$"
        )
        cursor.execute(f'SET search_path = {SCHEMA}, pg_catalog, "$user", public')


@pytest.fixture(autouse=True)
def _moved_clock(request):
    at = os.environ.get("CLOCK_AT")
    if not at:
        yield
        return
    destination = datetime.fromisoformat(at).replace(tzinfo=UTC)
    if request.node.get_closest_marker("django_db"):
        from django.db import connections
        from django.db.backends.signals import connection_created

        offset = (destination - datetime.now(UTC)).total_seconds()
        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            for connection in connections.all():
                _move_database_clock(connection, offset)

        def on_connect(sender, connection, **kwargs):  # the live server's thread opens its own
            _move_database_clock(connection, offset)

        connection_created.connect(on_connect, weak=False)
        request.addfinalizer(lambda: connection_created.disconnect(on_connect))
    with time_machine.travel(destination, tick=True):
        yield
