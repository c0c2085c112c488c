"""Directory benchmark (issue 9): python3 bench/directory.py [--lookups 2000] [--leads 10000].

In its own database (DATABASE_URL, by default crm_bench_directory; bench/generate.py loads `--leads` leads
there when it holds fewer), it adds once: 1,000 of the 2,000 bench companies made key accounts, 40 product tags,
~2,000 directory lines (the blank line, segment, territory and segment-and-territory lines, product lines alone and
by segment and territory, a line per key account and some key-account-and-product lines, and lines for 60
territories no lead is in, so the index holds slices the lookup must skip), each naming two to four people,
and ~15,000 call reports on half the leads carrying a product tag each (bulk inserts: the loader is not what is
measured). Then it times, over `--lookups` distinct random leads:

- `funnel.directory.directory_for_lead(lead)` in-process, the lead already loaded (as the lead page has it):
  the one SQL statement, its round trip and building the answer. Goal: ≤ 5 ms.
- PostgreSQL's own planning + execution time of that statement (EXPLAIN ANALYZE EXECUTE), for
  the same leads.
- `GET /api/v1/directory/lookup/?lead=` in-process through Django's test client (authentication, the lead's
  visibility check, the lookup, JSON), for comparison.

Writes its table between the directory markers of bench/RESULTS.md.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.marketing import django_setup, ensure_schema_and_leads, setup_environment  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_directory"
LOAD_AT_START = os.getloadavg()
LINES = 2000
PRODUCTS = 40
KEY_ACCOUNTS = 1000
TERRITORIES = ["EMEA", "NA-East", "NA-West", "LATAM", "APAC"]
OTHER_TERRITORIES = [f"Region {n:02d}" for n in range(60)]
SEGMENTS = ["enterprise", "mid_market", "smb"]


def _slices(products: list[int], key_accounts: list[int]) -> list[dict]:
    """2,000 distinct slices, broadest first."""
    slices = [{}]
    slices += [{"segment": s} for s in SEGMENTS]
    slices += [{"territory": t} for t in TERRITORIES]
    slices += [{"segment": s, "territory": t} for s in SEGMENTS for t in TERRITORIES]
    slices += [{"product": p} for p in products]
    slices += [{"product": p, "segment": s} for p in products for s in SEGMENTS]
    slices += [{"product": p, "territory": t} for p in products for t in TERRITORIES]
    slices += [{"territory": t, "segment": s} for t in OTHER_TERRITORIES for s in ["", *SEGMENTS]]
    slices += [{"company": c} for c in key_accounts]
    slices += [{"company": c, "product": p} for c in key_accounts[:200] for p in products[:2]]
    return slices[:LINES]


def load_directory() -> dict:
    """The directory, key accounts, products and call reports, once. Returns what the database holds."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from crm.models import CallReport, CallReportTag, Company, Responsibility, Tag
    from leads.models import Lead

    if Responsibility.objects.count() >= LINES * 0.9:
        return _counts()
    rng = random.Random(9)
    with transaction.atomic():
        Responsibility.objects.all().delete()
        bench_companies = Company.objects.filter(domain__endswith=".bench.example").order_by("id")
        key_ids = list(bench_companies.values_list("id", flat=True)[:KEY_ACCOUNTS])
        Company.objects.filter(pk__in=key_ids).update(is_key_account=True, key_account_tier=2)
        for n in range(PRODUCTS):
            Tag.objects.get_or_create(kind="product", slug=f"bench_product_{n:02d}", defaults={"label": f"Product {n}"})
        products = list(Tag.objects.filter(kind="product").order_by("id").values_list("id", flat=True))[:PRODUCTS]
        people = {
            role: list(User.objects.filter(username__startswith="bench_", role=role).values_list("id", flat=True))
            for role in ("sales_rep", "marketer", "sdr")
        }
        managers = list(
            User.objects.filter(role__in=["sales_manager", "marketing_manager"]).values_list("id", flat=True)
        )
        leader = User.objects.get(username="bench_leader")
        now = timezone.now()
        lines = []
        for n, piece in enumerate(_slices(products, key_ids)):
            names = {
                "rep_id": rng.choice(people["sales_rep"]) if n == 0 or rng.random() < 0.8 else None,
                "marketer_id": rng.choice(people["marketer"]) if n == 0 or rng.random() < 0.6 else None,
                "liaison_id": rng.choice(people["sdr"]) if n == 0 or rng.random() < 0.4 else None,
                "manager_id": rng.choice(managers) if n == 0 or rng.random() < 0.3 else None,
            }
            if not any(names.values()):
                names["rep_id"] = rng.choice(people["sales_rep"])
            lines.append(
                Responsibility(
                    segment=piece.get("segment", ""),
                    territory=piece.get("territory", ""),
                    product_id=piece.get("product"),
                    company_id=piece.get("company"),
                    confirmed_at=now - timedelta(days=rng.randrange(400)),
                    confirmed_by=leader,
                    **names,
                )
            )
        Responsibility.objects.bulk_create(lines, batch_size=1000)
        lead_ids = list(Lead.objects.order_by("id").values_list("id", flat=True))
        reports = [
            CallReport(
                lead_id=lead_id,
                author_id=rng.choice(people["sales_rep"]),
                occurred_on=(now - timedelta(days=rng.randrange(365))).date(),
                channel="call",
                outcome="bench",
            )
            for lead_id in lead_ids[::2]
            for _ in range(3)
        ]
        CallReport.objects.bulk_create(reports, batch_size=2000)
        CallReportTag.objects.bulk_create(
            [CallReportTag(report_id=r.pk, tag_id=rng.choice(products)) for r in reports],
            batch_size=2000,
            ignore_conflicts=True,
        )
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("crm_responsibility", "crm_callreport", "crm_callreporttag", "crm_company"):
            cur.execute(f"ANALYZE {table}")
    return _counts()


def _counts() -> dict:
    from django.db import connection

    counts = {}
    with connection.cursor() as cur:
        for table in ("leads_lead", "crm_responsibility", "crm_callreport", "crm_callreporttag"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM crm_company WHERE is_key_account")
        counts["key_accounts"] = cur.fetchone()[0]
    return counts


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(lookups: int) -> dict:
    from django.db import connection
    from rest_framework.test import APIClient

    from accounts.models import User
    from crm.directory import _sql
    from funnel.directory import directory_for_lead
    from leads.models import Lead

    rng = random.Random(5)
    ids = list(Lead.objects.values_list("id", flat=True))
    chosen = rng.sample(ids, min(lookups, len(ids)))
    leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=chosen).select_related("company")}
    for lead_id in chosen[:100]:  # warm the caches and the connection
        directory_for_lead(leads[lead_id])
    in_process, answered = [], 0
    for lead_id in chosen:
        started = time.perf_counter()
        answers = directory_for_lead(leads[lead_id])
        in_process.append((time.perf_counter() - started) * 1000)
        answered += sum(1 for a in answers if a.person is not None)
    database = []
    with connection.cursor() as cur:
        for lead_id in chosen:
            lead = leads[lead_id]
            company = lead.company
            params = {
                "segment": lead.segment or (company.segment if company else ""),
                "territory": lead.territory or (company.territory if company else ""),
                "company": lead.company_id,
                "products": [],
                "lead": lead.pk,
                "reported_company": None,
            }
            # The statement directory_for_lead runs, as PostgreSQL times it (planning included).
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + _sql(), params)
            plan = cur.fetchone()[0]
            plan = plan if isinstance(plan, list) else json.loads(plan)
            database.append(plan[0].get("Planning Time", 0) + plan[0]["Execution Time"])
    client = APIClient()
    client.force_authenticate(User.objects.get(username="bench_leader"))
    api = []
    for lead_id in chosen[:1000]:
        started = time.perf_counter()
        answer = client.get(f"/api/v1/directory/lookup/?lead={lead_id}")
        api.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.content[:300]
    reference = []  # an existing endpoint in the same harness, for scale
    for lead_id in chosen[:1000]:
        started = time.perf_counter()
        answer = client.get(f"/api/v1/leads/{lead_id}/")
        reference.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.content[:300]
    return {
        "reference": reference,
        "lookups": len(chosen),
        "answered_roles": answered / len(chosen),
        "in_process": in_process,
        "database": database,
        "api": api,
    }


def write_results(counts: dict, figures: dict) -> None:
    def cell(values):
        return f"{statistics.median(values):.2f} ms (p95 {_percentile(values, 0.95):.2f})"

    median, p95 = statistics.median(figures["in_process"]), _percentile(figures["in_process"], 0.95)
    verdict = "met" if p95 <= 5 else ("met at the median" if median <= 5 else "**not met**")
    lines = [
        "<!-- directory:start -->",
        f"### Directory lookup (bench/directory.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Data: {counts['leads_lead']:,} leads, {counts['crm_responsibility']:,} directory lines, "
        f"{counts['key_accounts']:,} key accounts, {counts['crm_callreport']:,} call reports with "
        f"{counts['crm_callreporttag']:,} product tags. {figures['lookups']:,} lookups of distinct random leads "
        f"(on average {figures['answered_roles']:.1f} of 4 roles answered). 1-minute load average at the start: "
        f"{LOAD_AT_START[0]:.2f}.",
        "",
        "| Measure | Median (p95) | Goal | Met? |",
        "| --- | ---: | --- | --- |",
        f"| `directory_for_lead`, in-process (one statement + round trip) | {cell(figures['in_process'])} "
        f"| ≤ 5 ms | {verdict} |",
        "| The statement inside PostgreSQL (planning + execution, EXPLAIN ANALYZE) "
        f"| {cell(figures['database'])} | — | — |",
        f"| `GET /api/v1/directory/lookup/?lead=`, in-process ({len(figures['api']):,} requests) "
        f"| {cell(figures['api'])} | — | — |",
        f"| For scale: `GET /api/v1/leads/{{id}}/`, in-process, same leads | {cell(figures['reference'])} | — | — |",
        "<!-- directory:end -->",
    ]
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    start, end = text.find("<!-- directory:start -->"), text.find("<!-- directory:end -->")
    block = "\n".join(lines)
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len("<!-- directory:end -->") :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    print(block)


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--any-database", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the table without touching RESULTS.md")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    setup_environment(args.any_database)
    ensure_schema_and_leads(args.leads)
    django_setup()
    started = time.perf_counter()
    counts = load_directory()
    print(f"data ready in {time.perf_counter() - started:.1f} s: {counts}")
    figures = measure(args.lookups)
    if args.no_write:
        print(statistics.median(figures["in_process"]), _percentile(figures["in_process"], 0.95))
    else:
        write_results(counts, figures)


if __name__ == "__main__":
    main()
