"""The SQL behind each measured list request, with PostgreSQL's plan and timing (EXPLAIN ANALYZE).

    .venv/bin/python -m bench.explain [--plans]          (DATABASE_URL as for generate.py; DEBUG=true)

Requests go through the Django test client as `bench_admin`, or --as another user (authenticated directly,
so the token lookup is not among the queries); each SELECT they run is then explained. Nothing is written.
"""

import argparse
import os
import re
import time

from bench.database import bench_database_url

os.environ["DATABASE_URL"] = bench_database_url(any_database=False, tool="explain.py")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.bench_settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.prepare import deep_cursor  # noqa: E402
from leads.models import Lead  # noqa: E402

EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")


def requests(owner: int, cursor: str) -> list[str]:
    return [
        "/bench/bare-leads/",
        "/api/v1/leads/",
        "/api/v1/leads/?stage=consideration",
        f"/api/v1/leads/?owner={owner}",
        f"/api/v1/leads/?cursor={cursor}",
    ]


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plans", action="store_true", help="print every plan, not only the timings")
    parser.add_argument("--as", dest="username", default="bench_admin", help="whose visibility rules apply")
    args = parser.parse_args()
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.force_authenticate(User.objects.get(username=args.username))
    owner = Lead.objects.order_by("-id").values_list("owner_id", flat=True).first()
    _, cursor = deep_cursor(Lead.objects.count())
    for path in requests(owner, cursor):
        client.get(path)  # warm: caches, connection
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - started) * 1000
        print(f"\n=== GET {path}: HTTP {response.status_code}, {len(queries)} queries, {elapsed:.1f} ms in Django")
        for query in queries.captured_queries:
            sql = query["sql"]
            shown = " ".join(sql.split())
            shown = shown[:300] + (" …" if len(shown) > 300 else "")
            if not shown.upper().startswith(("SELECT", "WITH")):
                print(f"--- (not explained) {shown}")
                continue
            plan = explain(sql)
            execution = EXECUTION.search(plan)
            print(f"--- {execution.group(1) if execution else '?'} ms: {shown}")
            if args.plans:
                print(plan)


if __name__ == "__main__":
    main()
