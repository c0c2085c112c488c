"""The outbox relay: publishes committed side effects as soon as PostgreSQL says a change committed.

One process (`manage.py outbox_relay`, started by run.py and compose). It LISTENs on its own connection, drains
the outbox, then sleeps until the next NOTIFY or `idle_seconds`. When the broker is down it backs off (1 s
doubling to 30 s) and tries again; the messages wait in the table meanwhile.
"""

import logging
import threading

import psycopg
from django.db import close_old_connections, connections

from integrations.outbox import BrokerUnavailable, outbox_publish

log = logging.getLogger(__name__)
CHANNEL = "crm_outbox"


def _listen() -> psycopg.Connection:
    params = connections["default"].get_connection_params()
    listener = psycopg.connect(**params, autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    return listener


def outbox_relay_run(*, stop: threading.Event, idle_seconds: float = 5.0, batch: int = 500) -> None:
    listener = _listen()
    backoff = 0.0
    try:
        while not stop.is_set():
            try:
                close_old_connections()
                while outbox_publish(limit=batch) == batch:
                    pass
                backoff = 0.0
            except BrokerUnavailable as error:
                backoff = min(30.0, max(1.0, backoff * 2))
                log.warning("outbox relay: broker unavailable (%s); retrying in %.0f s", error, backoff)
                stop.wait(backoff)
                continue
            # Any NOTIFY (or the idle timeout, a safety net) starts the next drain.
            for _ in listener.notifies(timeout=idle_seconds, stop_after=1):
                pass
    finally:
        listener.close()
