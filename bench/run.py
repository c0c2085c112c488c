"""One command for the HTTP benchmark: python3 bench/run.py (see bench/README.md).

Starts gunicorn with production settings (DEBUG=false) and the bench URLconf against DATABASE_URL (default
the local crm_bench), makes an admin API token, measures the bare DRF endpoints, the product's lead list
(first page, filtered, deep) and transitions through the API with wrk, and writes bench/RESULTS.md.
Only 127.0.0.1 is ever targeted; every run of wrk is bounded in time.
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report, wrk  # noqa: E402
from bench.database import bench_database_url  # noqa: E402

PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
BENCH_REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own: no other worker picks these messages up
WORKERS = 2


def machine_info(postgres: str) -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown",
    )
    kib = int(
        next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1]
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory": f"{kib / 1024 / 1024:.1f} GiB",
        "postgres": postgres.split(" on ")[0],
        "python": platform.python_version(),
    }


def redis_reachable(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def server_env(workdir: Path, database_url: str) -> tuple[dict, str]:
    # A developer's shell may run Celery eagerly (the tests do); the server must publish as production does.
    dropped = ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env |= {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "CRM_DATA_DIR": str(workdir / "data"),
        "PYTHONPATH": str(ROOT),
    }
    redis_url = os.environ.get("BENCH_REDIS_URL") or (BENCH_REDIS_URL if redis_reachable() else "")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env, (f"Redis ({redis_url})" if redis_url else "filesystem (no Redis on 127.0.0.1:6379)")


def migrate(env: dict) -> None:
    """The schema and static files are the product's as checked out now: apply whatever migrations the tree
    has gained, and collect the static files whose manifest the web pages (DEBUG=false) resolve names with."""
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput", "-v", "0"]):
        result = subprocess.run([str(PYTHON), "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"manage.py {command[0]} failed:\n{result.stdout[-2000:]}{result.stderr[-3000:]}")


_COUNT_LEADS = """
import os, psycopg, sys
from urllib.parse import urlsplit
url = os.environ["DATABASE_URL"]
parts = urlsplit(url)
admin = url.replace(parts.path, "/postgres", 1)
with psycopg.connect(admin, autocommit=True) as conn:
    name = parts.path.strip("/")
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
with psycopg.connect(url) as conn:
    exists = conn.execute("SELECT to_regclass('leads_lead')").fetchone()[0]
    print(conn.execute("SELECT count(*) FROM leads_lead").fetchone()[0] if exists else 0)
"""


def ensure_data(env: dict, leads: int) -> None:
    """Creates the bench database if missing and loads `leads` leads when it holds far fewer, so one command
    runs the whole benchmark on a fresh machine (the load takes ~3 minutes per million)."""
    result = subprocess.run([str(PYTHON), "-c", _COUNT_LEADS], env=env, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        sys.exit(f"cannot reach or create the bench database:\n{result.stderr[-2000:]}")
    have = int(result.stdout.strip() or 0)
    if have >= leads * 0.9:
        return
    print(f"The bench database holds {have:,} leads; generating {leads:,} (bench/generate.py --reset) …", flush=True)
    migrate(env)
    generate = [str(PYTHON), "bench/generate.py", "--reset", "--leads", str(leads)]
    if subprocess.run(generate, cwd=ROOT, env=env).returncode != 0:
        sys.exit("bench/generate.py failed (see above).")


def prepare(env: dict, movable: int) -> dict:
    result = subprocess.run(
        [str(PYTHON), "-m", "bench.prepare", "--movable", str(movable)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        sys.exit(f"bench/prepare.py failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    command = [str(GUNICORN), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(WORKERS), "--threads", "1"]
    with log.open("w") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def request(url: str, token: str | None = None, data: bytes | None = None, cookie: str = "") -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if cookie:
        headers["Cookie"] = cookie
    if data is not None:
        headers["Content-Type"] = "application/json"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_healthy(base: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if request(f"{base}/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"/healthz did not answer 200 within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def probe(base: str, path: str, auth: dict) -> str:
    """'' when the endpoint answers 2xx; else why not (the row is then reported as not measured)."""
    status, body = request(base + path, auth.get("token"), cookie=auth.get("cookie", ""))
    return "" if 200 <= status < 300 else f"HTTP {status} {body[:200].decode(errors='replace')}"


def measure_all(base: str, targets: list[tuple[str, dict]], args: argparse.Namespace) -> list[tuple]:
    """(loaded, unqueued) summaries per (path, auth). Runs go round the endpoints (run 1 of each, then run 2 …)
    so a burst of other work on the shared machine lands on several endpoints instead of skewing one."""
    for path, auth in targets:  # warm-up: caches, connections
        wrk.run(base + path, seconds=2, connections=args.connections, threads=args.threads, **auth)
    loaded: list[list[wrk.Run]] = [[] for _ in targets]
    light: list[list[wrk.Run]] = [[] for _ in targets]
    for _ in range(args.runs):
        for index, (path, auth) in enumerate(targets):
            loaded[index].append(
                wrk.run(base + path, seconds=args.seconds, connections=args.connections, threads=args.threads, **auth)
            )
    for _ in range(args.runs):
        for index, (path, auth) in enumerate(targets):
            light[index].append(
                wrk.run(base + path, seconds=light_seconds(args), connections=WORKERS, threads=args.threads, **auth)
            )
    return [(wrk.Summary(loaded[i]), wrk.Summary(light[i])) for i in range(len(targets))]


def light_seconds(args: argparse.Namespace) -> int:
    return max(2, args.seconds // 2)


def read_rows(data: dict) -> list[tuple[str, str, str, dict]]:
    """(key, label, path, auth): the API as the admin's token, the web pages as signed-in browsers."""
    api = {"token": data["token"]}
    rep, manager = ({"cookie": f"sessionid={data['sessions'][who]}"} for who in ("rep", "manager"))
    return [
        ("hello", "Bare DRF hello", "/bench/hello/", api),
        ("bare", "Bare DRF list, 50 leads, 7 columns", "/bench/bare-leads/", api),
        ("page1", "Lead list, first page of 50", "/api/v1/leads/", api),
        ("stage", "Lead list, stage filter", "/api/v1/leads/?stage=consideration", api),
        ("owner", "Lead list, owner filter", f"/api/v1/leads/?owner={data['owner']}", api),
        (
            "deep",
            f"Lead list at position {data['deep_position']:,}",
            f"/api/v1/leads/?cursor={quote(data['deep_cursor'])}",
            api,
        ),
        ("web-list-rep", f"Web lead list, a rep ({data['owner_leads']:,} leads)", "/leads/?mine=true", rep),
        ("web-list-manager", "Web lead list, their sales manager", "/leads/", manager),
        ("web-list-score", "Web lead list by score, the manager", "/leads/?sort=score", manager),
        ("web-board-rep", "Board, the rep", "/board/", rep),
        ("web-board-manager", "Board, the manager's teams", "/board/?scope=team", manager),
        ("web-home-rep", "Home (My queue), the rep", "/", rep),
        ("web-home-manager", "Home (Dashboard), the manager", "/", manager),
    ]


def measure_reads(base: str, data: dict, args: argparse.Namespace) -> list[report.Measured]:
    rows, available, auths = [], [], []
    for key, label, path, auth in read_rows(data):
        unavailable = probe(base, path, auth)
        rows.append(report.Measured(key, label, path, None, None, unavailable))
        if unavailable:
            print(f"{label}: not measured ({unavailable})", flush=True)
        else:
            available.append(rows[-1])
            auths.append(auth)
    summaries = measure_all(base, [(row.path, auth) for row, auth in zip(available, auths, strict=True)], args)
    for row, (loaded, light) in zip(available, summaries, strict=True):
        row.loaded, row.light = loaded, light
        print(
            f"{row.label}: {loaded.rps:,.0f} req/s, p99 {loaded.p99:.1f} ms under load, {light.p99:.1f} ms unqueued, "
            f"{loaded.failed} failed",
            flush=True,
        )
    return rows


MOVES = [
    ("transition", "Transition awareness → interest", "POST /api/v1/leads/{id}/transition/", "/api/v1/leads/"),
    (
        "bare-transition",
        "Bare DRF move: the same writes, no rules",
        "POST /bench/bare-leads/{id}/transition/",
        "/bench/bare-leads/",
    ),
]


def measure_transitions(base: str, data: dict, args: argparse.Namespace, workdir: Path) -> list[report.Measured]:
    """The product's moves and the bare endpoint's, alternating run by run on disjoint leads, so both meet the
    same machine; each gets a 2 s warm-up first."""
    ids = list(data["movable"])
    share = len(ids) // (2 * (args.runs + 1))  # per kind: a warm-up slice, then one slice per run
    if share < 2:
        return [
            report.Measured(k, label, path, None, None, f"only {len(ids)} movable leads") for k, label, path, _ in MOVES
        ]
    body = json.dumps({"to_stage": "interest"}).encode()
    runs: dict[str, list] = {key: [] for key, *_ in MOVES}
    failures: dict[str, str] = {}
    for key, _, _, prefix in MOVES:
        status, reply = request(f"{base}{prefix}{ids.pop()}/transition/", data["token"], body)
        if not 200 <= status < 300:
            failures[key] = f"HTTP {status} {reply[:200].decode(errors='replace')}"
    for number in range(args.runs + 1):
        for kind, (key, _, _, prefix) in enumerate(MOVES):
            if key in failures:
                continue
            chunk = ids[(2 * number + kind) * share : (2 * number + kind + 1) * share]
            script = wrk.transition_script(
                workdir / f"{key}{number}.lua", token=data["token"], ids=chunk, to_stage="interest",
                threads=args.threads, prefix=prefix,
            )  # fmt: skip
            seconds = 2 if number == 0 else args.seconds
            result = wrk.run(
                f"{base}/", token=data["token"], seconds=seconds, connections=args.connections,
                threads=args.threads, script=script,
            )  # fmt: skip
            if number:
                runs[key].append(result)
    measured = []
    for key, label, path, _ in MOVES:
        if key in failures:
            measured.append(report.Measured(key, label, path, None, None, failures[key]))
            continue
        loaded = wrk.Summary(runs[key])
        print(f"{label}: {loaded.rps:,.0f} successful/s, p99 {loaded.p99:.1f} ms, {loaded.failed} failed", flush=True)
        if loaded.requests > share * args.runs:
            print(f"  note: more requests than prepared leads ({share:,} per run); raise --movable", flush=True)
        measured.append(report.Measured(key, label, path, loaded, None))
    return measured


def clear_broker_queue(env: dict) -> None:
    """The transition notifications queued during the run have no worker here; drop them from the bench db."""
    if "REDIS_URL" not in env:
        return
    code = "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL']).delete('celery')"
    subprocess.run([str(PYTHON), "-c", code], env=env, check=False, timeout=30)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--leads", type=int, default=1_000_000, help="generate this many leads if the database has fewer"
    )
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured wrk run")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per endpoint (the median is reported)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--movable", type=int, default=60_000, help="awareness leads prepared for transitions")
    parser.add_argument("--any-database", action="store_true", help="allow a database not named *bench*")
    parser.add_argument("--skip-transitions", action="store_true", help="leave the data unchanged")
    parser.add_argument("--transitions-only", action="store_true", help="measure only the moves (and the bare move)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    started = time.monotonic()
    load_before = Path("/proc/loadavg").read_text().split()[0]
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    env, broker = server_env(workdir, bench_database_url(any_database=args.any_database, tool="run.py"))
    ensure_data(env, args.leads)
    print("Migrating, then preparing (token, rules, cursor, leads to move) …", flush=True)
    migrate(env)
    data = prepare(env, 0 if args.skip_transitions else args.movable)
    port, log = free_port(), workdir / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port, log)
    try:
        wait_healthy(base, server, log)
        print(f"gunicorn up on {base} ({data['leads']:,} leads); measuring …", flush=True)
        rows = [] if args.transitions_only else measure_reads(base, data, args)
        if not args.skip_transitions:
            rows.extend(measure_transitions(base, data, args, workdir))
    finally:
        server.terminate()
        server.wait(timeout=30)
        clear_broker_queue(env)
        for script in workdir.glob("*.lua"):  # they hold the run's API token
            script.unlink()
    settings = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "workers": WORKERS,
        "broker": broker,
        "threads": args.threads,
        "connections": args.connections,
        "light_connections": WORKERS,
        "runs": args.runs,
        "seconds": args.seconds,
        "light_seconds": light_seconds(args),
        "load_before": load_before,
    }
    report.write(args.output, rows=rows, machine=machine_info(data["postgres"]), data=data, settings=settings)
    print(f"Wrote {args.output} in {time.monotonic() - started:.0f} s (server log: {log}).")


if __name__ == "__main__":
    main()
