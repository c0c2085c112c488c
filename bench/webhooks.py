"""Webhook delivery benchmark (issue 12): python3 bench/webhooks.py [--deliveries 1000] [--concurrency 4].

"1,000 webhook deliveries to a local receiver ≥ 200/s." In its own small database (DATABASE_URL, by default
crm_bench_webhooks, created and migrated when missing), with a threaded HTTP receiver on 127.0.0.1 in this
process that answers 200 at once:

(a) end to end: `--deliveries` events written in one transaction (one outbox message); the clock starts at
    commit and stops when the receiver holds every request and every delivery is marked succeeded. The real
    relay (`manage.py outbox_relay`) publishes, a real Celery worker (`--pool`, `--concurrency`) fans out
    and sends, against Redis (BENCH_REDIS_URL or redis://127.0.0.1:6379/11);
(b) the floor of the code path: the same number of deliveries sent one after another in this process
    (`webhook_delivery_attempt`: claim, sign, POST, log), no broker.

Each signature is checked by the receiver for a sample (every 50th) with the `standardwebhooks` package.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import bench_database_url  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_webhooks"
PYTHON = ROOT / ".venv" / "bin" / "python"
CELERY = ROOT / ".venv" / "bin" / "celery"


class Counter:
    def __init__(self):
        self.lock, self.count, self.bodies = threading.Lock(), 0, []


def start_receiver(counter: Counter) -> tuple[str, ThreadingHTTPServer]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with counter.lock:
                counter.count += 1
                if counter.count % 50 == 0:
                    counter.bodies.append((body, dict(self.headers)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook", server


def ensure_database(env: dict) -> None:
    import psycopg

    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    result = subprocess.run(
        [str(PYTHON), "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"migrate failed:\n{result.stderr[-3000:]}")


def setup(receiver_url: str):
    from accounts.choices import Role
    from accounts.models import User
    from accounts.services import api_token_create
    from integrations.models import WebhookSubscription
    from integrations.webhooks.subscriptions import webhook_subscription_create

    WebhookSubscription.objects.all().delete()
    user, _ = User.objects.get_or_create(
        username="bench-integration", defaults={"role": Role.INTEGRATION, "last_name": "Bench"}
    )
    token, _ = api_token_create(user=user, name="bench webhooks", scopes=["leads:read", "webhooks:manage"])
    subscription, secret = webhook_subscription_create(
        owner=user, token=token, url=receiver_url, event_types=["lead.created"]
    )
    return subscription, secret


def emit(count: int) -> list[int]:
    from django.db import transaction

    from integrations.webhooks.events import listened_types_forget, webhook_events_emit

    listened_types_forget()
    with transaction.atomic():
        events = webhook_events_emit(
            type="lead.created", datas=[{"lead": {"id": n, "name": f"Bench {n}"}} for n in range(count)]
        )
    return [event.pk for event in events]


def end_to_end(args, env: dict, counter: Counter) -> float:
    from integrations.models import WebhookDelivery

    relay = subprocess.Popen([str(PYTHON), "manage.py", "outbox_relay", "--idle-seconds", "1"], cwd=ROOT, env=env)
    worker = subprocess.Popen(
        [str(CELERY), "-A", "config", "worker", "--pool", args.pool, "--concurrency", str(args.concurrency),
         "-l", "WARNING", "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        time.sleep(6)  # both connected and idle before the clock starts
        counter.count = 0
        started = time.monotonic()
        emit(args.deliveries)
        deadline = started + 600
        while time.monotonic() < deadline:
            if counter.count >= args.deliveries and not WebhookDelivery.objects.exclude(status="succeeded").exists():
                break
            time.sleep(0.02)
        return time.monotonic() - started
    finally:
        for process in (relay, worker):
            process.terminate()
            process.wait(30)


def in_process(args, counter: Counter) -> float:
    from django.test.utils import override_settings

    from integrations.models import WebhookDelivery
    from integrations.webhooks.delivery import webhook_delivery_attempt
    from integrations.webhooks.events import webhook_fanout

    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        ids = emit(args.deliveries)
    deliveries = webhook_fanout(event_ids=ids)
    counter.count = 0
    started = time.monotonic()
    for delivery_id in deliveries:
        webhook_delivery_attempt(delivery_id=delivery_id)
    elapsed = time.monotonic() - started
    assert WebhookDelivery.objects.filter(pk__in=deliveries, status="succeeded").count() == len(deliveries)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--pool", choices=["threads", "prefork"], default="prefork")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    url = bench_database_url(any_database=False, tool="webhooks.py")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE")}
    env |= {"DATABASE_URL": url, "REDIS_URL": redis_url, "DEBUG": "false", "SECRET_KEY": "bench-" * 10,
            "ALLOWED_HOSTS": "127.0.0.1", "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32", "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT)}  # fmt: skip
    ensure_database(env)
    os.environ.update(env, DJANGO_SETTINGS_MODULE="config.settings", CELERY_TASK_ALWAYS_EAGER="false")
    import django

    django.setup()
    from standardwebhooks import Webhook

    counter = Counter()
    receiver_url, server = start_receiver(counter)
    _, secret = setup(receiver_url)
    load = os.getloadavg()[0]
    end, floor = [], []
    for _ in range(args.runs):
        end.append(end_to_end(args, env, counter))
        floor.append(in_process(args, counter))
    for body, headers in counter.bodies:
        Webhook(secret).verify(body, headers)
    server.shutdown()
    median = sorted(end)[len(end) // 2]
    median_floor = sorted(floor)[len(floor) // 2]
    checked = len(counter.bodies)
    print(f"load average at start {load:.2f}; {args.deliveries} deliveries per run, {checked} signatures checked")
    runs = " / ".join(f"{s:.2f}" for s in end)
    rate = args.deliveries / median
    print(f"end to end (relay + worker, {args.pool} x{args.concurrency}): {runs} s → median {rate:.0f} deliveries/s")
    runs = " / ".join(f"{s:.2f}" for s in floor)
    print(f"in process, one after another: {runs} s → median {args.deliveries / median_floor:.0f} deliveries/s")


if __name__ == "__main__":
    main()
