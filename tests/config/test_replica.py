"""Reads that scale out: report reads inside the replica scope run on a real streaming replica of the test
database (built by tests/config/replica_cluster.py), while writes and the one door stay on the primary."""

import copy
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router, transaction
from django.test.utils import CaptureQueriesContext

from config.db_router import REPLICA, read_connection, replica_reads
from crm.models import Campaign
from leads.models import Lead
from leads.touches import touches_record
from tests.config.replica_cluster import Primary, ReplicaCluster, ReplicaUnavailable
from tests.conftest import IN_CI
from tests.funnel.conftest import move

ROOT = Path(__file__).resolve().parents[2]
REPLAY_TIMEOUT = 10
# Outside CI, a primary holding a benchmark database skips the test rather than copy gigabytes (~30 s a GB here).
LOCAL_COPY_LIMIT = 2 * 10**9


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup):
    """One replica per session (per xdist worker that runs a test needing it), built after the test database
    exists on the primary. Skipped with the reason outside CI; with CI=true a replica that cannot be built fails."""
    try:
        cluster = ReplicaCluster(Primary.from_django(connections[DEFAULT_DB_ALIAS].settings_dict))
        size = cluster.primary_bytes()
        if size > LOCAL_COPY_LIMIT and not IN_CI:
            cluster.stop()
            pytest.skip(f"the primary holds {size / 1e9:.1f} GB and pg_basebackup copies it all: minutes, not seconds")
        cluster.build()
    except (ReplicaUnavailable, OSError, KeyError, psycopg.Error, subprocess.TimeoutExpired) as exc:
        if "cluster" in locals():
            cluster.stop()
        message = f"cannot build a streaming replica: {exc}"
        if IN_CI:
            pytest.fail(f"{message}; CI must run the replica test.")
        pytest.skip(message)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def replica(streaming_replica):
    """The "replica" alias, as DATABASE_REPLICA_URL would make it, reading the test database on the replica:
    physical replication copies every database of the primary, so the replica holds pytest-django's
    test_<name> (test_<name>_gw<n> under xdist) under the very name the primary's connection now uses.

    Module-scoped so that it exists before pytest-django sets up the test, whose `databases` names it (a test
    may only connect to the aliases it declares). Its end-of-test flush of "replica" truncates nothing: the
    router allows no model to migrate there, so no table is Django's to flush."""
    alias = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    alias.update(HOST="127.0.0.1", PORT=str(streaming_replica.port), CONN_MAX_AGE=0)
    connections.settings[REPLICA] = settings.DATABASES[REPLICA] = alias
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        connections.settings.pop(REPLICA, None)
        settings.DATABASES.pop(REPLICA, None)


def wait_for_replay(replica) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        # The insert position, not the write position: the test database commits asynchronously
        # (synchronous_commit off), so a commit record may still sit in the WAL buffers, past what was written.
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + REPLAY_TIMEOUT
    with replica.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    pytest.fail(f"the replica did not replay the primary's WAL up to {lsn} within {REPLAY_TIMEOUT} s")


def tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
def test_report_reads_run_on_the_streaming_replica_while_writes_and_the_one_door_use_the_primary(
    replica, streaming_replica, funnel_defaults, people, make_lead, client_for
):
    campaign = Campaign.objects.create(name="Replica webinar", channel="webinar")
    lead = make_lead()
    occurred = datetime.now(UTC).isoformat()
    item = {"lead": lead.pk, "campaign": campaign.pk, "kind": "visit", "occurred_at": occurred}
    assert touches_record(user=people["marketer"], items=[item]).created == [0]
    wait_for_replay(replica)
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port(), current_database()")
        test_database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        assert cursor.fetchone() == (True, streaming_replica.port, test_database)

    client = client_for(people["marketing_manager"])
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_primary:
        report = client.get("/api/v1/campaign-performance/").json()
        page = client.get(f"/campaigns/{campaign.pk}/")
    assert [(row["name"], row["leads"]) for row in report["campaigns"]] == [("Replica webinar", 1)]
    assert page.status_code == 200
    assert "FROM crm_touch" in tables(on_replica)
    assert '"crm_campaign"' in tables(on_replica)
    # The primary only authenticated the requests: the session and the user, never a report table.
    assert "crm_" not in tables(on_primary)
    assert "accounts_user" in tables(on_primary)

    # A POST to a decorated view reads the primary (it goes on to call services).
    with CaptureQueriesContext(replica) as on_replica:
        assert client.post("/campaigns/new/", {"name": ""}).status_code == 400
    assert on_replica.captured_queries == []

    with replica_reads(), CaptureQueriesContext(replica) as on_replica:
        assert read_connection().alias == REPLICA
        transition = move(lead, "interest", people["marketer"])  # the one door: locks and writes on the primary
        assert read_connection().alias == DEFAULT_DB_ALIAS  # the scope wrote: it now reads its own writes
        second = make_lead()
        assert Lead.objects.filter(pk=second.pk).exists()
    assert "FOR UPDATE" not in tables(on_replica)
    assert Lead.objects.using(DEFAULT_DB_ALIAS).get(pk=lead.pk).stage == transition.to_stage == "interest"

    with replica_reads(), transaction.atomic():
        assert router.db_for_read(Lead) == DEFAULT_DB_ALIAS  # a transaction on the primary reads the primary
    with pytest.raises(DatabaseError, match="read-only transaction"), replica.cursor() as cursor:
        cursor.execute("DELETE FROM leads_lead")


def test_without_a_replica_the_scope_reads_the_primary_and_migrations_run_on_the_primary_only(monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA, raising=False)
    with replica_reads():
        assert router.db_for_read(Lead) == DEFAULT_DB_ALIAS
        assert router.db_for_write(Lead) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "leads") is True
    assert router.allow_migrate(REPLICA, "leads") is False


def test_database_replica_url_makes_the_replica_alias_and_a_bad_one_stops_start_up():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    show = "import django; django.setup(); from django.conf import settings as s; r = s.DATABASES['replica']; "
    show += "print(r['HOST'], r['PORT'], r['NAME'], r['USER'], r['CONN_HEALTH_CHECKS'], s.DATABASE_ROUTERS)"
    good = subprocess.run(
        [sys.executable, "-c", show],
        env={**env, "DATABASE_REPLICA_URL": "postgres://reader@replica.internal:5433/crm"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    router = "['config.db_router.ReplicaRouter']"
    assert good.stdout.split() == ["replica.internal", "5433", "crm", "reader", "True", router]
    bad = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**env, "DATABASE_REPLICA_URL": "mysql://replica/crm"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "DATABASE_REPLICA_URL must be a URL with scheme postgres, postgresql" in bad.stderr
