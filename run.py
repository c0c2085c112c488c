#!/usr/bin/env python3
"""The project's two commands, runnable with nothing but Python 3.11:

    python3 run.py          set up and run the product: venv, install, migrate, demo data, web + worker + beat
    python3 run.py --dev    the same in development mode (DEBUG on: tracebacks in the browser)
    python3 run.py test     run every quality gate and the whole test suite

The product runs production-like by default: DEBUG off, a secret key generated once into the data folder,
static files served by whitenoise, the product's own error pages.

With no DATABASE_URL an embedded PostgreSQL is started (data in .data/pg); with no REDIS_URL Celery uses a
filesystem broker in .data/broker, so worker and beat still run as real processes. See README.md.
"""

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
DATA_DIR = Path(os.environ.get("CRM_DATA_DIR", ROOT / ".data"))
REQUIREMENTS = ["requirements.txt", "requirements-dev.txt", "constraints.txt"]


def fail(message: str) -> NoReturn:
    print(f"run.py: {message}", file=sys.stderr)
    sys.exit(2)


def ensure_venv() -> None:
    """Creates .venv and installs the pinned requirements when they changed, then re-runs inside it."""
    if sys.version_info < (3, 11):
        fail(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    stamp = VENV / ".requirements-sha256"
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in REQUIREMENTS)).hexdigest()
    if not VENV_PYTHON.exists():
        print("Creating the virtual environment in .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    if not stamp.exists() or stamp.read_text() != digest:
        print("Installing pinned requirements (first run takes a minute) …", flush=True)
        pip = [str(VENV_PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        result = subprocess.run([*pip, "-r", "requirements-dev.txt", "-c", "constraints.txt"], cwd=ROOT)
        if result.returncode != 0:
            fail("installing requirements failed (see pip's message above).")
        stamp.write_text(digest)
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])


def load_dotenv() -> None:
    """Reads KEY=VALUE lines from .env without overriding what the environment already says."""
    path = ROOT / ".env"
    if not path.exists():
        return
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            fail(f".env line {number} is not KEY=VALUE: {line!r}")
        value = value.strip().strip("'\"")
        if value:  # KEY= means "the default", as config/env.py reads it: leave it to serve_env and settings
            os.environ.setdefault(key.strip(), value)


def ensure_database() -> bool:
    """Returns True when this run started the embedded PostgreSQL (and so must stop it)."""
    if os.environ.get("DATABASE_URL"):
        return False
    sys.path.insert(0, str(ROOT))
    from django.core.exceptions import ImproperlyConfigured

    from config.embedded_db import ensure_running

    was_running = (DATA_DIR / "pg" / "postmaster.pid").exists()
    try:
        os.environ["DATABASE_URL"] = ensure_running(DATA_DIR / "pg")
    except ImproperlyConfigured as exc:
        fail(str(exc))
    print(f"Using the embedded PostgreSQL in {DATA_DIR / 'pg'} (set DATABASE_URL to use another).", flush=True)
    return not was_running


def stop_database() -> None:
    from config.embedded_db import stop

    stop(DATA_DIR / "pg")


def manage(*args: str, env: dict | None = None, check: bool = True) -> int:
    code = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env).returncode
    if check and code != 0:
        fail(f"`manage.py {' '.join(args)}` failed with exit code {code}.")
    return code


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_data_dir() -> None:
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create the data folder {DATA_DIR}: {exc.strerror}.")
    if not os.access(DATA_DIR, os.W_OK):
        fail(f"the data folder {DATA_DIR} is not writable; fix its permissions or set CRM_DATA_DIR.")


def start_processes(host: str, port: int) -> list[subprocess.Popen]:
    bin_dir = VENV / "bin"
    commands = {
        "web": [str(bin_dir / "gunicorn"), "config.wsgi", "-b", f"{host}:{port}", "-w", "2", "--threads", "4"],
        "worker": [str(bin_dir / "celery"), "-A", "config", "worker", "-l", "INFO", "--concurrency", "2"],
        # Metric recomputes have their own queue and worker, so they never hold up transitions' side effects.
        "metrics-worker": [
            *(str(bin_dir / "celery"), "-A", "config", "worker", "-Q", "metrics", "-n", "metrics@%h"),
            *("-l", "INFO", "--concurrency", "1"),
        ],
        "beat": [str(bin_dir / "celery"), "-A", "config", "beat", "-l", "INFO"],
        # Hands committed side effects (notifications, webhooks, rescoring) to Celery: requests never touch it.
        "outbox-relay": [str(bin_dir / "python"), "manage.py", "outbox_relay"],
    }
    return [subprocess.Popen(command, cwd=ROOT) for command in commands.values()]


def stop_processes(processes: list[subprocess.Popen], grace: float = 15) -> None:
    """SIGTERM to each, then SIGKILL to whatever has not exited within the grace period."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"run.py: {process.args[0]} did not stop in {grace:.0f} s; killing it.", file=sys.stderr)
            process.kill()
            process.wait()


def print_welcome(host: str, port: int, demo_report: str) -> None:
    url = f"http://{host}:{port}/"
    mode = "development mode: DEBUG on" if debug_on() else "production-like: DEBUG off"
    print(f"\n{demo_report.strip()}", flush=True)
    print(f"\nThe CRM is running at {url}  ({mode}; API docs: {url}api/docs/, admin: {url}admin/)", flush=True)
    print("Press Ctrl+C to stop.\n", flush=True)


def _interrupt(signum, frame) -> NoReturn:  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def debug_on() -> bool:
    return os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def secret_key() -> str:
    """The key in DATA_DIR/secret_key, generated on first use: sessions survive restarts, no key is committed."""
    path = DATA_DIR / "secret_key"
    if not path.exists() or not path.read_text().strip():
        # Written aside and renamed: a start interrupted halfway never leaves an empty key behind.
        partial = path.with_suffix(".partial")
        partial.touch(mode=0o600)
        partial.write_text(secrets.token_urlsafe(50))
        partial.replace(path)
    return path.read_text().strip()


def serve_env(host: str, dev: bool) -> None:
    """Production settings for serving on this machine over plain HTTP; `dev` (or DEBUG=true) for tracebacks.
    The real environment and .env win over every default set here."""
    if dev:
        os.environ["DEBUG"] = "true"
    _default("DEBUG", "false")
    if debug_on():
        return
    _default("SECRET_KEY", secret_key())
    local = ["localhost", "127.0.0.1", "[::1]"] + ([host] if host not in ("0.0.0.0", "::", "127.0.0.1") else [])
    _default("ALLOWED_HOSTS", ",".join(local))
    # Plain HTTP here: no TLS to redirect to, and cookies marked Secure would not be sent back.
    _default("SECURE_SSL_REDIRECT", "false")
    _default("SECURE_HSTS_SECONDS", "0")
    _default("SECURE_COOKIES", "false")


def _default(name: str, value: str) -> None:
    """Sets `name` unless the environment gives it a value; blank counts as unset, as in config/env.py."""
    if not os.environ.get(name, "").strip():
        os.environ[name] = value


def up(dev: bool = False) -> int:
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    check_data_dir()
    serve_env(host, dev)
    if not port_is_free(host, port):
        fail(f"port {port} on {host} is already in use; stop what uses it or set PORT, e.g. PORT=8001.")
    started_db = ensure_database()
    processes: list[subprocess.Popen] = []
    try:
        manage("migrate", "--noinput", "-v", "0")
        demo = subprocess.run([sys.executable, "manage.py", "demo_data"], cwd=ROOT, capture_output=True, text=True)
        if demo.returncode != 0:
            fail(f"loading demo data failed:\n{demo.stderr}")
        manage("collectstatic", "--noinput", "-v", "0")
        processes = start_processes(host, port)
        print_welcome(host, port, demo.stdout)
        signal.signal(signal.SIGTERM, _interrupt)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("run.py: a process stopped; shutting the others down.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        try:
            stop_processes(processes)
        finally:
            if started_db:
                stop_database()


def deploy_check_env() -> dict:
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="crm.example.com",
        SECURE_SSL_REDIRECT="true",
    )
    return env


# The whole suite runs in one worker per core (at most four), each with its own test database: 11 minutes
# instead of 19 on 2 cores. Arguments given to `run.py test` replace this, so `-k tokens` runs in one process.
PARALLEL = ["-n", "auto", "--maxprocesses", "4"]


def test(pytest_args: list[str]) -> int:
    """Quality gates first (cheap, and they name the problem), then the suite; every gate runs even if one fails."""
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Tasks scheduled by the code under test run in-process, never onto a broker another worker reads.
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    check_data_dir()
    started_db = ensure_database()
    bin_dir = VENV / "bin"
    gates = [
        ("ruff check", [str(bin_dir / "ruff"), "check", "."], None),
        ("ruff format", [str(bin_dir / "ruff"), "format", "--check", "."], None),
        ("import direction", [str(bin_dir / "lint-imports")], None),
        ("manage.py check", [sys.executable, "manage.py", "check", "--fail-level", "WARNING"], None),
        ("migrations", [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], None),
        (
            "check --deploy",
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            deploy_check_env(),
        ),
        ("pytest", [sys.executable, "-m", "pytest", *(pytest_args or PARALLEL)], None),
    ]
    failed = []
    try:
        for name, command, env in gates:
            print(f"== {name}", flush=True)
            if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:
                failed.append(name)
    finally:
        if started_db:
            stop_database()
    if failed:
        print(f"run.py test: FAILED gates: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("run.py test: every gate passed.")
    return 0


def main() -> int:
    ensure_venv()
    load_dotenv()
    args = sys.argv[1:]
    if not args or args[0] in ("up", "--dev"):
        return up(dev="--dev" in args)
    if args[0] == "test":
        return test(args[1:])
    fail(f"unknown command {args[0]!r}; use `python3 run.py [--dev]` or `python3 run.py test [pytest args]`.")


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
