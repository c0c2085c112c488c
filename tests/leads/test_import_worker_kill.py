"""A real Celery worker process killed (SIGKILL) in the middle of an import job: the committed chunks stay, and
the rerun finishes with every row imported exactly once."""

import os
import signal
import subprocess
import time

import pytest
from celery import Celery

from config.celery import app as celery_app
from funnel.metrics.models import StageSpan
from funnel.models import Transition
from leads.imports.models import ImportJob, ImportRow
from leads.imports.services import import_job_create, import_job_run
from leads.models import Lead
from tests.config.test_background_jobs import CELERY, ROOT, database_url_of_test_db

ROWS = 6_000  # six chunks of 1,000: the kill lands after the first commits and well before the last


def start_worker(data_dir) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # a filesystem broker of the test's own
    env.update(DATABASE_URL=database_url_of_test_db(), DEBUG="true", CRM_DATA_DIR=str(data_dir))
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    command = [CELERY, "-A", "config", "worker", "--pool", "solo", "-l", "WARNING"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def producer(data_dir) -> Celery:
    broker = data_dir / "broker"
    (broker / "control").mkdir(parents=True, exist_ok=True)
    folders = {"data_folder_in": str(broker), "data_folder_out": str(broker), "control_folder": str(broker / "control")}
    return Celery(broker="filesystem://", broker_transport_options=folders, set_as_current=False)


def wait_for_first_chunk(job_id: int, worker: subprocess.Popen, timeout: float = 120) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ImportJob.objects.defer("content").get(pk=job_id)
        if job.last_chunk >= 0:
            return job
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early:\n{worker.stdout.read()}")
        time.sleep(0.02)
    worker.kill()
    pytest.fail(f"no chunk committed within {timeout} s:\n{worker.stdout.read()}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_whole_chunks_and_the_rerun_imports_each_row_once(
    funnel_defaults, people, tmp_path
):
    content = (
        "Last name,E-mail\n" + "".join(f"Kill {n},kill{n}@import{n % 50}.example\n" for n in range(ROWS))
    ).encode()
    mapping = {"Last name": "lead.last_name", "E-mail": "lead.email"}
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # queued for the worker below, not run here on commit
    try:
        job = import_job_create(actor=people["marketer"], content=content, mapping=mapping, dry_run=False)
    finally:
        celery_app.conf.task_always_eager = eager
    worker = start_worker(tmp_path)
    try:
        producer(tmp_path).send_task("leads.imports.tasks.import_job_run", kwargs={"job_id": job.pk})
        job = wait_for_first_chunk(job.pk, worker)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    job.refresh_from_db()
    committed = ImportRow.objects.filter(job=job).count()
    assert job.status == "running" and 0 <= job.last_chunk < ROWS // 1000 - 1
    assert committed == (job.last_chunk + 1) * 1000  # whole chunks only: what the kill interrupted left nothing
    assert Lead.objects.filter(email__startswith="kill").count() == committed

    job = import_job_run(job_id=job.pk)  # the rerun (a redelivered task runs exactly this)
    leads = Lead.objects.filter(email__startswith="kill")
    assert (job.status, job.counts, job.rows_done) == ("done", {"created": ROWS}, ROWS)
    assert ImportRow.objects.filter(job=job).values("number").distinct().count() == ROWS
    assert leads.count() == ROWS
    assert Transition.objects.filter(lead__in=leads).count() == ROWS  # one capture each, none twice
    assert StageSpan.objects.filter(lead__in=leads).count() == ROWS
