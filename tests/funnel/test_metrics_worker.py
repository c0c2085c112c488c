"""A real Celery worker on the `metrics` queue, killed (SIGKILL) in the middle of a snapshot: the previous
snapshot's values stay intact, and a rerun of the job leaves the correct ones."""

import os
import subprocess
import time
from datetime import date

import psycopg
import pytest
from celery import Celery
from django.db import connection
from kombu import Exchange, Queue

from funnel.metrics.choices import JobStatus
from funnel.metrics.compute import snapshot_compute
from funnel.metrics.families import FAMILIES
from funnel.metrics.models import MetricJob, MetricValue
from funnel.metrics.periods import period_of
from funnel.metrics.services import metric_job_run
from funnel.services.intake import lead_create
from tests.config.test_background_jobs import CELERY, ROOT, database_url_of_test_db
from tests.funnel.conftest import move
from tests.funnel.metrics_scenario import feb

FEBRUARY = period_of(kind="month", day=date(2026, 2, 1))


def entered(stage: str) -> int:
    row = MetricValue.objects.get(
        snapshot__period_kind="month", snapshot__period_start=FEBRUARY.start, metric="entered", stage=stage,
        dimension="all",
    )  # fmt: skip
    return int(row.value)


def start_metrics_worker(data_dir) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        DEBUG="true",
        CRM_DATA_DIR=str(data_dir),
        CELERY_TASK_ALWAYS_EAGER="false",
    )
    command = [CELERY, "-A", "config", "worker", "-Q", "metrics", "--pool", "solo", "-l", "WARNING"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def producer(data_dir) -> Celery:
    broker = data_dir / "broker"
    (broker / "control").mkdir(parents=True, exist_ok=True)
    folders = {"data_folder_in": str(broker), "data_folder_out": str(broker), "control_folder": str(broker / "control")}
    return Celery(broker="filesystem://", broker_transport_options=folders, set_as_current=False)


def wait_until_blocked(watcher, worker: subprocess.Popen, timeout: float = 60) -> int:
    """The backend of the worker's snapshot transaction, once it waits for the purchase table's lock. `watcher` is
    in autocommit: inside a transaction pg_stat_activity would answer from its first snapshot every time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        blocked = watcher.execute(
            "SELECT pid FROM pg_locks WHERE NOT granted AND relation = 'funnel_purchase'::regclass"
        ).fetchone()
        if blocked:
            return blocked[0]
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early:\n{worker.stdout.read()}")
        time.sleep(0.2)
    activity = watcher.execute(
        "SELECT pid, state, wait_event_type, left(query, 200) FROM pg_stat_activity WHERE datname = current_database()"
    ).fetchall()
    worker.kill()
    pytest.fail(f"the worker never reached the purchase table ({activity}):\n{worker.stdout.read()}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_snapshot_leaves_the_previous_values_and_a_rerun_the_right_ones(
    funnel_defaults, people, tmp_path
):
    leads = [
        lead_create(actor=people["admin"], data={"last_name": f"L{n}"}, owner=people["marketer"], at=feb(2))
        for n in range(3)
    ]
    move(leads[0], "interest", people["admin"], at=feb(3))
    snapshot_compute(period=FEBRUARY, families=FAMILIES)
    assert (entered("awareness"), entered("interest")) == (3, 1)
    move(leads[1], "interest", people["admin"], at=feb(4))
    job = MetricJob.objects.create(period_kind="month", period_starts=[FEBRUARY.start.isoformat()])

    worker = start_metrics_worker(tmp_path)
    try:
        url = database_url_of_test_db()
        with psycopg.connect(url, autocommit=False) as locker, psycopg.connect(url, autocommit=True) as watcher:
            locker.execute("LOCK TABLE funnel_purchase IN ACCESS EXCLUSIVE MODE")
            # The queue spelled out: sent before the worker has bound it, a bare name would bind the wrong key.
            queue = Queue("metrics", Exchange("metrics"), routing_key="metrics")
            producer(tmp_path).send_task("funnel.tasks.metrics_job_run", args=[job.pk], queue=queue)
            wait_until_blocked(watcher, worker)
            # By now the worker's transaction has deleted February's old values (uncommitted): they are locked.
            with pytest.raises(psycopg.errors.LockNotAvailable), locker.transaction():
                locker.execute("SELECT id FROM funnel_metricvalue WHERE metric = 'entered' FOR UPDATE NOWAIT")
            worker.kill()  # SIGKILL: no cleanup, no rollback from the worker's side
            worker.wait(timeout=30)
            assert worker.returncode == -9
            assert (entered("awareness"), entered("interest")) == (3, 1)  # the previous snapshot, intact
            locker.rollback()  # the lock goes; the orphaned backend finds its client gone and rolls back
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)

    assert (entered("awareness"), entered("interest")) == (3, 1)
    assert MetricJob.objects.get(pk=job.pk).status == JobStatus.RUNNING  # what a dead worker leaves behind
    connection.close()  # the rerun waits for the orphan's row lock on the snapshot, then recomputes
    assert metric_job_run(job_id=job.pk).status == JobStatus.DONE
    assert (entered("awareness"), entered("interest")) == (3, 2)
    assert MetricJob.objects.get(pk=job.pk).progress == 100
