"""Insight digest benchmark (issue 9): python3 bench/insight.py [--reports 1000000] [--runs 5].

Uses its own database, `crm_bench_insight` unless DATABASE_URL names another *bench* database: the leads come
from bench/generate.py (run first when the database holds fewer than --leads), then, once, ~--reports call
reports over the last 13 months (one INSERT … SELECT in PostgreSQL: a lead's segment, stage and campaign
snapshotted, a note on one in three) with 2 to 4 tags each — one product, the rest skewed towards a few objections,
competitors, needs and feedback, some of them suggested tags that must not count.

It then times, alternately and `--runs` times, the month digest of the last complete month over all of them
(funnel.insight.services.digest_compute: replace the period's rows by INSERT … SELECT … GROUP BY, report counts,
quotes, in one transaction) against a hand-written floor: one plain SELECT … GROUP BY over the same tables giving
the same counts (every dimension, this month and the one before), nothing written. Goal: digest at most twice the floor.
Writes its table between the insight markers of bench/RESULTS.md.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.marketing import HASH, django_setup, ensure_schema_and_leads, phase, setup_environment  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_insight"
LOAD_AT_START = os.getloadavg()
DAYS = 396  # 13 months
COMPETITORS = ["Acme CRM", "Globex", "Initech", "Umbrella", "Hooli", "Stark Sales"]
SUGGESTED = ["Data residency", "Procurement freeze"]
CHANNELS = ["call", "call", "call", "video", "visit", "email", "event"]
NOTES = [
    "They think we are too expensive for what they use.",
    "Budget is frozen until the next fiscal year.",
    "Already evaluating a competitor; wants a comparison.",
    "Asked for SSO and an API to their ERP.",
    "Liked the dashboards, found the mobile app slow.",
    "The decision maker was not in the room.",
]
# The same counts as the digest, written the plain way: each report's slices from a VALUES list (the product
# slices from its product tags), one GROUP BY, read back. Nothing is written, no quotes, no transaction.
FLOOR_SQL = """
SELECT d.dimension, d.value, rt.tag_id,
       count(*) FILTER (WHERE r.occurred_on >= %(start)s), count(*) FILTER (WHERE r.occurred_on < %(start)s)
FROM crm_callreport r
JOIN crm_callreporttag rt ON rt.report_id = r.id
JOIN crm_tag t ON t.id = rt.tag_id AND t.status = 'accepted' AND t.kind <> 'product'
CROSS JOIN LATERAL (VALUES ('all', ''), ('segment', r.segment), ('stage', r.lead_stage),
                           ('campaign', r.campaign_id::text)) AS d(dimension, value)
WHERE r.occurred_on >= %(previous)s AND r.occurred_on < %(end)s
  AND (d.dimension = 'all' OR coalesce(d.value, '') <> '')
GROUP BY 1, 2, 3
UNION ALL
SELECT 'product', p.tag_id::text, rt.tag_id,
       count(*) FILTER (WHERE r.occurred_on >= %(start)s), count(*) FILTER (WHERE r.occurred_on < %(start)s)
FROM crm_callreport r
JOIN crm_callreporttag p ON p.report_id = r.id
JOIN crm_tag pt ON pt.id = p.tag_id AND pt.kind = 'product' AND pt.status = 'accepted'
JOIN crm_callreporttag rt ON rt.report_id = r.id
JOIN crm_tag t ON t.id = rt.tag_id AND t.status = 'accepted' AND t.kind <> 'product'
WHERE r.occurred_on >= %(previous)s AND r.occurred_on < %(end)s
GROUP BY 1, 2, 3
"""


def ensure_tags(cur) -> tuple[list[int], list[int]]:
    """The seeded taxonomy plus bench competitors and suggested objections. Returns (product ids, the other
    tags' ids weighted so a few dominate, as the digest's top lists expect)."""
    for n, label in enumerate(COMPETITORS):
        cur.execute(
            "INSERT INTO crm_tag (kind, slug, label, synonyms, status, created_at) "
            "VALUES ('competitor', %s, %s, '{}', 'accepted', now()) ON CONFLICT (kind, slug) DO NOTHING",
            [f"bench_{n}", label],
        )
    for n, label in enumerate(SUGGESTED):
        cur.execute(
            "INSERT INTO crm_tag (kind, slug, label, synonyms, status, created_at) "
            "VALUES ('objection', %s, %s, '{}', 'suggested', now()) ON CONFLICT (kind, slug) DO NOTHING",
            [f"bench_suggested_{n}", label],
        )
    cur.execute("SELECT id FROM crm_tag WHERE kind = 'product' AND status = 'accepted' ORDER BY id")
    products = [row[0] for row in cur.fetchall()]
    cur.execute("SELECT id FROM crm_tag WHERE kind <> 'product' AND status <> 'rejected' ORDER BY kind, id")
    others = [row[0] for row in cur.fetchall()]
    weighted = [tag for rank, tag in enumerate(others) for _ in range(max(1, 6 - rank % 6))]
    return products, weighted


def load_reports(reports: int) -> dict:
    """The call reports and their tags, once (reloaded when the database holds far fewer than asked)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM crm_callreport")
        if cur.fetchone()[0] < reports * 0.9:
            _load(cur, reports)
        counts = {}
        for table in ("leads_lead", "crm_callreport", "crm_callreporttag", "crm_tag"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
    return counts


def _load(cur, reports: int) -> None:
    cur.execute("TRUNCATE crm_callreporttag, crm_callreport, funnel_digestcount, funnel_digest CASCADE")
    products, weighted = ensure_tags(cur)
    cur.execute("SELECT count(*) FROM leads_lead")
    rounds = max(1, -(-reports // cur.fetchone()[0]))
    with phase(f"~{reports:,} call reports over {DAYS} days (INSERT … SELECT)"):
        cur.execute(
            f"""
            INSERT INTO crm_callreport (lead_id, company_id, author_id, occurred_on, channel, outcome, notes,
                                        next_step, interest_level, sentiment, lead_stage, segment, campaign_id,
                                        created_at)
            SELECT l.id, l.company_id, a.ids[1 + ({HASH.format("l.id::text || 'a' || g.round::text")} %% a.size)],
                   current_date - ({HASH.format("l.id::text || 'd' || g.round::text")} %% {DAYS})::int,
                   (ARRAY{CHANNELS!r})[1 + ({HASH.format("l.id::text || 'c' || g.round::text")} %% {len(CHANNELS)})],
                   'bench',
                   CASE WHEN {HASH.format("l.id::text || 'n' || g.round::text")} %% 3 = 0
                        THEN (ARRAY{NOTES!r})[1 + ({HASH.format("l.id::text || 'm' || g.round::text")} %% {len(NOTES)})]
                        ELSE '' END,
                   '', '', '', l.stage, coalesce(nullif(l.segment, ''), c.segment, ''), l.source_campaign_id, now()
            FROM leads_lead l
            LEFT JOIN crm_company c ON c.id = l.company_id
            CROSS JOIN generate_series(1, {rounds}) AS g(round)
            CROSS JOIN (SELECT array_agg(id) AS ids, count(*) AS size FROM accounts_user
                        WHERE role = 'sales_rep' AND is_active) a
            LIMIT %s
            """,
            [reports],
        )
    with phase("2–4 tags per report: a product and 1–3 others, skewed (INSERT … SELECT)"):
        cur.execute(
            f"""
            INSERT INTO crm_callreporttag (report_id, tag_id)
            SELECT r.id, (%(products)s::bigint[])[1 + {HASH.format("r.id::text || 'p'")} %% %(np)s]
            FROM crm_callreport r
            UNION
            SELECT r.id, (%(others)s::bigint[])[1 + {HASH.format("r.id::text || 't' || k::text")} %% %(no)s]
            FROM crm_callreport r CROSS JOIN generate_series(1, 3) k
            WHERE k <= 1 + {HASH.format("r.id::text || 'k'")} %% 3
            """,
            {"products": products, "np": len(products), "others": weighted, "no": len(weighted)},
        )
    with phase("VACUUM ANALYZE"):
        for table in ("crm_callreport", "crm_callreporttag", "crm_tag"):
            cur.execute(f"VACUUM (ANALYZE) {table}")


def last_complete_month(today: date) -> date:
    first = today.replace(day=1)
    return first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1)


def measure(runs: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from funnel.insight import periods
    from funnel.insight.services import digest_compute

    start = last_complete_month(timezone.localdate())
    params = {
        "start": start,
        "previous": periods.previous_start(period_kind="month", period_start=start),
        "end": periods.next_start(period_kind="month", period_start=start),
    }
    ours, floor = [], []
    digest_compute(period_kind="month", period_start=start)  # warm both: the first run reads from disk
    with connection.cursor() as cur:
        cur.execute(FLOOR_SQL, params)
        cur.fetchall()
    for run in range(runs):
        started = time.perf_counter()
        digest = digest_compute(period_kind="month", period_start=start)
        ours.append(time.perf_counter() - started)
        with connection.cursor() as cur:
            started = time.perf_counter()
            cur.execute(FLOOR_SQL, params)
            floor_rows = cur.fetchall()
            floor.append(time.perf_counter() - started)
        print(f"  run {run + 1}: digest {ours[-1] * 1000:.0f} ms, floor {floor[-1] * 1000:.0f} ms", flush=True)
    counts = digest.counts.count()
    assert counts == len(floor_rows), (counts, len(floor_rows))  # the floor computes the same rows
    return {
        "ours": statistics.median(ours),
        "floor": statistics.median(floor),
        "max": max(ours),
        "month": start,
        "reports": digest.report_count + digest.previous_report_count,
        "rows": counts,
        "runs": runs,
    }


def write_results(counts: dict, result: dict) -> None:
    ratio = result["ours"] / result["floor"]
    verdict = f"met: {ratio:.2f}× floor" if ratio <= 2 else f"**not met**: {ratio:.2f}× floor"
    lines = [
        "<!-- insight:start -->",
        f"### Insight digest (bench/insight.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Data (own database): {counts['leads_lead']:,} leads, {counts['crm_callreport']:,} call reports over "
        f"13 months with {counts['crm_callreporttag']:,} tags ({counts['crm_tag']} taxonomy terms, two of them "
        f"suggested). The month digest of {result['month']:%B %Y} reads the {result['reports']:,} reports of it "
        f"and the month before and writes {result['rows']:,} count rows. Load average at the start: "
        f"{LOAD_AT_START[0]:.2f}. Medians of {result['runs']} alternating runs after one warm-up of each.",
        "",
        "| Measure | Ours | Floor (by hand) | Goal | Met? |",
        "| --- | ---: | ---: | --- | --- |",
        f"| Month digest over all call reports (replace rows, report counts, quotes; one transaction) "
        f"| {result['ours'] * 1000:.0f} ms (max {result['max'] * 1000:.0f}) | {result['floor'] * 1000:.0f} ms "
        f"| ≤ 2× floor | {verdict} |",
        "<!-- insight:end -->",
    ]
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    start, end = text.find("<!-- insight:start -->"), text.find("<!-- insight:end -->")
    block = "\n".join(lines)
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len("<!-- insight:end -->") :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    print(block)


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads to load first if the database has fewer")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--any-database", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    setup_environment(args.any_database)
    ensure_schema_and_leads(args.leads)
    django_setup()
    with phase("Call reports"):
        counts = load_reports(args.reports)
    print(counts, flush=True)
    result = measure(args.runs)
    if args.no_write:
        print(result)
    else:
        write_results(counts, result)


if __name__ == "__main__":
    main()
