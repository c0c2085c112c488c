import signal
import threading

from django.core.management.base import BaseCommand

from integrations.relay import outbox_relay_run


class Command(BaseCommand):
    help = "Hands the outbox's committed side effects to Celery as they commit (one relay per deployment)."

    def add_arguments(self, parser):
        parser.add_argument("--idle-seconds", type=float, default=5.0, help="Longest sleep without a NOTIFY.")

    def handle(self, *args, idle_seconds: float, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("outbox relay: listening")
        outbox_relay_run(stop=stop, idle_seconds=idle_seconds)
