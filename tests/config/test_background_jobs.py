"""A real Celery worker process takes a task from a real broker and its effect lands in PostgreSQL."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection

from accounts.models import WorkerHeartbeat
from config.schedule import BEAT_SCHEDULE

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")


def database_url_of_test_db() -> str:
    s = connection.settings_dict
    auth = f"{quote(s['USER'])}:{quote(s['PASSWORD'] or '')}"
    if s["HOST"].startswith("/"):
        return f"postgresql://{auth}@/{s['NAME']}?host={s['HOST']}"
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(queue: str, **env_overrides) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=database_url_of_test_db(), DEBUG="true", **env_overrides)
    command = [CELERY, "-A", "config", "worker", "-Q", queue, "--pool", "solo", "-l", "WARNING"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for_heartbeat(name: str, worker: subprocess.Popen, timeout: float = 60) -> WorkerHeartbeat:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        beat = WorkerHeartbeat.objects.filter(name=name).first()
        if beat is not None:
            return beat
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early:\n{worker.stdout.read()}")
        time.sleep(0.2)
    pytest.fail(f"no heartbeat {name!r} within {timeout} s")


def run_task_through_worker(producer: Celery, worker: subprocess.Popen, queue: str) -> WorkerHeartbeat:
    name = f"test-{queue}"
    try:
        producer.send_task("accounts.tasks.heartbeat_record", kwargs={"name": name}, queue=queue)
        producer.send_task("accounts.tasks.heartbeat_record", kwargs={"name": name}, queue=queue)
        beat = wait_for_heartbeat(name, worker)
        deadline = time.monotonic() + 30
        while beat.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            beat.refresh_from_db()
        return beat
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_worker_runs_task_from_redis_and_writes_to_postgres(redis_url):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = start_worker(queue, REDIS_URL=redis_url)
    beat = run_task_through_worker(Celery(broker=redis_url, set_as_current=False), worker, queue)
    assert beat.runs == 2


@pytest.mark.django_db(transaction=True)
def test_worker_runs_task_from_filesystem_broker_when_no_redis(tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    broker = tmp_path / "broker"
    broker.mkdir()
    worker = start_worker(queue, CRM_DATA_DIR=str(tmp_path))
    producer = Celery(
        set_as_current=False,  # the app under test stays Celery's current one (the outbox publishes through it)
        broker="filesystem://",
        broker_transport_options={
            "data_folder_in": str(broker),
            "data_folder_out": str(broker),
            "control_folder": str(broker / "control"),
        },
    )
    beat = run_task_through_worker(producer, worker, queue)
    assert beat.runs == 2


def test_every_periodic_job_is_registered_and_expires():
    from config.celery import app

    app.loader.import_default_modules()
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert entry["options"]["expires"] > 0, name
