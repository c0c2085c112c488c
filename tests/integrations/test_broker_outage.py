"""The broker stopped while leads move through the API: every move succeeds, and once the broker is back every
notification and webhook is delivered exactly once — by the real relay and a real worker, not mocks."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

from accounts.models import Notification
from config.celery import app as celery_app
from integrations.models import OutboxMessage, WebhookDelivery
from integrations.webhooks.events import listened_types_forget
from integrations.webhooks.subscriptions import webhook_subscription_create
from tests.config.test_background_jobs import CELERY, ROOT, database_url_of_test_db
from tests.conftest import IN_CI
from tests.integrations.receiver import start_receiver

MOVES = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Broker:
    """A private redis-server the test can stop and start again on the same port."""

    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            message = "redis-server is not installed"
            pytest.fail(message) if IN_CI else pytest.skip(message)
        self.binary, self.port, self.process = binary, free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def start(command: list[str], broker: Broker) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url_of_test_db(),
        REDIS_URL=broker.url,
        DEBUG="true",
        CELERY_TASK_ALWAYS_EAGER="false",
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.1/32",
    )
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_until(condition, processes, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"a process exited early while waiting for {what}:\n{process.stdout.read()}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_moves_made_while_the_broker_is_down_are_delivered_once_when_it_returns(
    funnel_defaults, people, make_lead, rule, client_for
):
    receiver, server = start_receiver()
    listened_types_forget()
    with override_settings(WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        from accounts.services import api_token_create

        token, _ = api_token_create(
            user=people["integration"], name="automation", scopes=["leads:read", "handoffs:read"]
        )
        webhook_subscription_create(
            owner=people["admin"], token=token, url=receiver.url, event_types=["lead.transitioned"]
        )
    rule("To SDRs", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    leads = [make_lead() for _ in range(MOVES)]
    for lead in leads:
        lead.refresh_from_db()
    broker = Broker()
    broker.start()
    worker = start([CELERY, "-A", "config", "worker", "--pool", "solo", "-l", "WARNING", "--without-mingle",
                    "--without-gossip", "--without-heartbeat"], broker)  # fmt: skip
    relay = start([sys.executable, str(Path(ROOT) / "manage.py"), "outbox_relay", "--idle-seconds", "1"], broker)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # this process now behaves as the web server does
    try:
        OutboxMessage.objects.all().delete()  # what the set-up left (captures) is not this test's concern
        broker.stop()
        client = client_for(people["marketer"])
        started = time.monotonic()
        for lead in leads:
            answer = client.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "interest"}, format="json")
            assert answer.status_code == 201, answer.json()
            answer = client.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "consideration"}, format="json")
            assert answer.status_code == 201, answer.json()
        assert time.monotonic() - started < 30  # no request waited for the broker
        wait_until(
            lambda: OutboxMessage.objects.filter(published_at__isnull=True, attempts__gt=0).exists(),
            [relay],
            30,
            "the relay to find the broker down",
        )
        assert Notification.objects.filter(recipient=people["sdr"]).count() == 0
        assert receiver.requests == []
        broker.start()
        wait_until(
            lambda: (
                Notification.objects.filter(recipient=people["sdr"], kind="handoff_received").count() == MOVES
                and WebhookDelivery.objects.filter(status="succeeded").count() == 2 * MOVES
            ),
            [relay, worker],
            90,
            "every notification and webhook after the broker returned",
        )
        time.sleep(2)  # anything delivered twice would arrive now
        assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 0
        assert Notification.objects.filter(recipient=people["sdr"], kind="handoff_received").count() == MOVES
        assert len(receiver.requests) == 2 * MOVES
        ids = [request.headers["webhook-id"] for request in receiver.requests]
        assert len(set(ids)) == 2 * MOVES
    finally:
        celery_app.conf.task_always_eager = eager
        for process in (relay, worker):
            process.terminate()
            process.wait(20)
        if broker.process.poll() is None:
            broker.stop()
        server.shutdown()
        listened_types_forget()
