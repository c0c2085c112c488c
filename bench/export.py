"""Export benchmark (issue 12): python3 bench/export.py [--leads 1000000] [--runs 3] [--keep].

Uses its own database, `crm_bench_export` unless DATABASE_URL names another *bench* database, loaded with
`--leads` leads by bench/generate.py when it holds fewer. It then measures, alternately and `--runs` times:

- the lead export as CSV through the real view (`GET /api/v1/exports/leads/?format=csv` with Django's test
  client, as an administrator, the streaming response drained chunk by chunk and its bytes counted), each in a
  fresh process that reports its peak resident memory above what it held just before the request;
- the floor: `COPY (<the export's own SELECT, with its joins>) TO STDOUT WITH CSV HEADER` read to the end
  through psycopg in another fresh process — PostgreSQL formats the CSV, Python only receives it.

Memory flat means the export's growth does not depend on the rows: the same export filtered to the newest
~100,000 leads (`created_after`) is measured too. Goal: export at most twice the COPY floor, memory growth at 1M leads
about that at 100k. Writes its table between the `export` markers of bench/RESULTS.md, then drops the database
(the cluster must stay small: another test copies all of it) unless `--keep`.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.marketing import django_setup, ensure_schema_and_leads, phase, setup_environment  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_export"
LOAD_AT_START = os.getloadavg()
SMALL = 100_000
ADMIN = "bench_export_admin"


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _child_setup():
    django_setup()
    from accounts.choices import Role
    from accounts.models import User

    admin, _ = User.objects.get_or_create(
        username=ADMIN, defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    return admin


def child_export(query: dict) -> dict:
    """In a fresh process: one export through the view, drained; its time, bytes and peak memory growth."""
    from django.test import Client

    client = Client()
    client.force_login(_child_setup())
    # Warm-up: the code paths, the session, the connection; an owner nobody is: the header only.
    b"".join(client.get("/api/v1/exports/leads/", {"format": "csv", "owner": "999999999"}).streaming_content)
    before = _rss_kib()
    started = time.perf_counter()
    response = client.get("/api/v1/exports/leads/", {"format": "csv", **query})
    assert response.status_code == 200, response.status_code
    size = rows = 0
    for part in response.streaming_content:
        size += len(part)
        rows += part.count(b"\n")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"seconds": seconds, "bytes": size, "rows": rows - 1, "before_kib": before, "growth_kib": peak - before}


def _export_sql(query: dict) -> str:
    """The export's own query (visibility, filters, joins) selecting the same columns, plain (no cell made
    safe, timestamps as PostgreSQL writes them), its parameters inlined for COPY."""
    import psycopg

    admin = _child_setup()
    from django.db import connection
    from django.http import QueryDict

    from funnel.exports.resources import RESOURCES, export_rows

    leads = RESOURCES["leads"]
    params = QueryDict(mutable=True)
    params.update(query)
    rows = export_rows(resource=leads, user=admin, params=params)
    sql, values = rows.values_list(*(column.key for column in leads.columns)).query.sql_with_params()
    connection.ensure_connection()
    return psycopg.ClientCursor(connection.connection).mogrify(sql, values)


def child_copy(query: dict) -> dict:
    """In a fresh process: COPY of the same SELECT to STDOUT as CSV, read to the end."""
    from django.db import connection

    select = _export_sql(query)
    before = _rss_kib()
    started = time.perf_counter()
    size = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({select}) TO STDOUT WITH CSV HEADER") as copy:
        for part in copy:
            size += len(part)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "bytes": size, "before_kib": before, "growth_kib": peak - before}


def run_child(kind: str, query: dict) -> dict:
    command = [sys.executable, __file__, "--child", kind, json.dumps(query)]
    result = subprocess.run(command, env=os.environ.copy(), capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        sys.exit(f"{kind} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def small_query() -> tuple[dict, int]:
    """created_after at the newest SMALL leads, and how many leads that is."""
    django_setup()
    from leads.models import Lead

    wanted = min(SMALL, Lead.objects.count() // 10)
    moment = Lead.objects.order_by("-created_at").values_list("created_at", flat=True)[wanted - 1]
    return {"created_after": moment.isoformat()}, Lead.objects.filter(created_at__gte=moment).count()


def measure(runs: int) -> dict:
    small, small_rows = small_query()
    result: dict = {"runs": runs, "small_rows": small_rows, "export": [], "copy": [], "small": []}
    with phase("Warm-up (one export, one COPY)"):
        run_child("export", {})
        run_child("copy", {})
    for n in range(runs):
        with phase(f"Run {n + 1}: export, COPY, export of ~{SMALL:,}"):
            result["export"].append(run_child("export", {}))
            result["copy"].append(run_child("copy", {}))
            result["small"].append(run_child("export", small))
    return result


def _median(samples: list[dict], key: str) -> float:
    return statistics.median(sample[key] for sample in samples)


def write_results(result: dict) -> None:
    export, floor = _median(result["export"], "seconds"), _median(result["copy"], "seconds")
    ratio = export / floor
    rows = result["export"][0]["rows"]
    big_mib, small_mib = (_median(result[k], "growth_kib") / 1024 for k in ("export", "small"))
    speed = f"met: {ratio:.2f}× COPY" if ratio <= 2 else f"**not met**: {ratio:.2f}× COPY"
    flat = small_mib * 1.5 + 16 >= big_mib
    memory = f"met: +{big_mib:.0f} MiB at {rows:,} rows, +{small_mib:.0f} MiB at {result['small_rows']:,}"
    lines = [
        "<!-- export:start -->",
        f"### Issue 12 — export (bench/export.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Data (own database, dropped afterwards): {rows:,} leads from generate.py. The lead export as CSV through "
        "the real view (Django's test client, as an administrator, the streamed response drained chunk by chunk), "
        "against `COPY (<the export's own SELECT with its joins>) TO STDOUT WITH CSV HEADER` read through psycopg; "
        "each measurement in a fresh process, its peak resident memory (ru_maxrss) above what it held just before "
        f"the request. Medians of {result['runs']} alternating runs after a warm-up of each. Load average at the "
        f"start: {LOAD_AT_START[0]:.2f}.",
        "",
        "| Measure | Export (ours) | COPY floor | Goal | Met? |",
        "| --- | ---: | ---: | --- | --- |",
        f"| Lead export, CSV, {rows:,} rows ({result['export'][0]['bytes'] / 2**20:,.0f} MiB) "
        f"| {export:.2f} s ({rows / export:,.0f} rows/s) | {floor:.2f} s | ≤ 2× COPY | {speed} |",
        f"| Peak memory growth of the exporting process | +{big_mib:.1f} MiB at {rows:,} rows; "
        f"+{small_mib:.1f} MiB at {result['small_rows']:,} rows | {_median(result['copy'], 'growth_kib') / 1024:+.1f}"
        f" MiB | flat (does not grow with rows) | {memory if flat else '**not met**: ' + memory[5:]} |",
        "<!-- export:end -->",
    ]
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    start, end = text.find("<!-- export:start -->"), text.find("<!-- export:end -->")
    block = "\n".join(lines)
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len("<!-- export:end -->") :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    print(block)


def drop_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"Dropped {name}.", flush=True)


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--any-database", action="store_true")
    parser.add_argument("--keep", action="store_true", help="leave the database in place afterwards")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "QUERY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    setup_environment(args.any_database)
    if args.child:
        kind, query = args.child
        print(json.dumps((child_export if kind == "export" else child_copy)(json.loads(query))))
        return
    ensure_schema_and_leads(args.leads)
    try:
        result = measure(args.runs)
        if args.no_write:
            print(json.dumps(result, indent=1))
        else:
            write_results(result)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
