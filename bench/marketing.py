"""Marketing benchmark: python3 bench/marketing.py (see bench/README.md).

On the 1M-lead bench database (bench/generate.py) it adds, once, a year of spend on the ~100 bench campaigns,
~5M touches (COPY), a purchase for every lead in the purchase stage with linear, first- and last-touch credits
(set-based SQL), and a signed scoring model. Then it measures, in one run, each against a floor written by hand:

- the full rescoring of every lead (leads.scoring.sql, one statement) against a single hand-written
  UPDATE … FROM (aggregate of touches with decay): at most twice the floor and under 60 s;
- one touch to an updated score, end to end through a Celery worker: ≤ 1 s;
- campaign performance for every campaign under one model against a hand-written SQL aggregate: at most twice it;
- 10,000 touches per bulk request through the API: ≥ 5,000 touches/s.

Writes its table between the marketing markers of bench/RESULTS.md.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.database import bench_database_url  # noqa: E402

BENCH_REDIS_URL = "redis://127.0.0.1:6379/9"
LOAD_AT_START = os.getloadavg()
HASH = "(hashtext({})::bigint & 2147483647)"  # a stable pseudo-random non-negative int (abs() overflows on int4 min)
TOUCHES_PER_LEAD = 5
KINDS = ["visit", "visit", "email_open", "email_click", "download", "form_fill", "webinar_attended", "ad_click"]
FIT_RULES = [
    {"when": {"field": "segment", "op": "eq", "value": "enterprise"}, "points": 30},
    {"when": {"field": "territory", "op": "in", "value": ["EMEA", "NA-East"]}, "points": 15},
    {"when": {"field": "has_budget", "op": "is_true"}, "points": 10},
]
ENGAGEMENT_RULES = [
    {"kind": "form_fill", "points": 25, "half_life_days": 30, "cap": 50},
    {"kind": "webinar_attended", "points": 15, "half_life_days": 30, "cap": 30},
    {"kind": "download", "points": 8, "half_life_days": 30, "cap": 24},
    {"kind": "email_click", "points": 3, "half_life_days": 14, "cap": 12},
    {"kind": "visit", "points": 1, "half_life_days": 14, "cap": 10},
]
# The floor: the same score, written by hand as the one UPDATE the issue names, with nothing else to keep
# (no score rows, no grade, no history).
FLOOR_SQL = """
UPDATE leads_lead l SET score = s.score
FROM (
    SELECT l2.id, round(least(100, least(100, greatest(0,
               CASE WHEN coalesce(nullif(l2.segment, ''), c.segment, '') = 'enterprise' THEN 30 ELSE 0 END
             + CASE WHEN coalesce(nullif(l2.territory, ''), c.territory, '') IN ('EMEA', 'NA-East') THEN 15 ELSE 0 END
             + CASE WHEN l2.has_budget THEN 10 ELSE 0 END))
           + least(100, greatest(0, coalesce(e.points, 0)))))::int AS score
    FROM leads_lead l2
    LEFT JOIN crm_company c ON c.id = l2.company_id
    LEFT JOIN (
        SELECT lead_id, sum(sign(points) * least(abs(points), cap)) AS points FROM (
            SELECT t.lead_id, r.cap, sum(round((r.points * t.weight * power(2::float8,
                       -extract(epoch FROM (%(as_of)s - t.occurred_at)) / 86400.0 / r.half_life))::numeric, 2))
                   AS points
            FROM crm_touch t
            JOIN (VALUES ('form_fill', 25, 30, 50), ('webinar_attended', 15, 30, 30), ('download', 8, 30, 24),
                         ('email_click', 3, 14, 12), ('visit', 1, 14, 10)) AS r(kind, points, half_life, cap)
              ON r.kind = t.kind
            WHERE t.occurred_at <= %(as_of)s
            GROUP BY t.lead_id, t.kind, r.cap
        ) per_kind GROUP BY lead_id
    ) e ON e.lead_id = l2.id
) s
WHERE s.id = l.id AND l.score IS DISTINCT FROM s.score
"""
# The floor for the performance report: the same columns from the same tables, one plain aggregate per part.
PERFORMANCE_FLOOR_SQL = """
SELECT c.id, t.leads, t.mqls, t.sqls, t.customers, s.amount, r.revenue, r.margin, r.sourced, i.revenue
FROM crm_campaign c
LEFT JOIN (
    SELECT ct.campaign_id, count(*) AS leads, count(*) FILTER (WHERE m.mql) AS mqls,
           count(*) FILTER (WHERE m.sql) AS sqls, count(*) FILTER (WHERE m.customer) AS customers
    FROM (SELECT DISTINCT campaign_id, lead_id FROM crm_touch) ct
    LEFT JOIN (SELECT lead_id, bool_or(definition_versions @> '[{"code": "MQL"}]') AS mql,
                      bool_or(definition_versions @> '[{"code": "SQL"}]') AS sql,
                      bool_or(to_stage = 'purchase') AS customer
               FROM funnel_transition GROUP BY lead_id) m ON m.lead_id = ct.lead_id
    GROUP BY ct.campaign_id
) t ON t.campaign_id = c.id
LEFT JOIN (SELECT campaign_id, sum(amount) AS amount FROM crm_campaignspend GROUP BY campaign_id) s
  ON s.campaign_id = c.id
LEFT JOIN (SELECT campaign_id, sum(revenue) FILTER (WHERE model = 'linear') AS revenue,
                  sum(gross_margin) FILTER (WHERE model = 'linear') AS margin,
                  sum(revenue) FILTER (WHERE model = 'first_touch') AS sourced
           FROM funnel_attributioncredit GROUP BY campaign_id) r ON r.campaign_id = c.id
LEFT JOIN (SELECT x.campaign_id, sum(p.revenue) AS revenue
           FROM (SELECT DISTINCT t.campaign_id, p.id FROM funnel_purchase p
                 JOIN crm_touch t ON t.lead_id = p.lead_id AND t.occurred_at <= coalesce(p.sql_at, p.purchased_at)) x
           JOIN funnel_purchase p ON p.id = x.id GROUP BY x.campaign_id) i ON i.campaign_id = c.id
"""


def ensure_schema_and_leads(leads: int) -> None:
    """One command on a fresh machine: the bench database created, 1M leads loaded if missing (bench/run.py's
    loader), and the schema migrated to what this checkout has."""
    from bench import run

    run.ensure_data(os.environ.copy(), leads)
    result = subprocess.run(
        [str(run.PYTHON), "manage.py", "migrate", "--noinput"], cwd=ROOT, env=os.environ.copy(), capture_output=True
    )
    if result.returncode != 0:
        sys.exit(f"manage.py migrate failed:\n{result.stderr.decode()[-3000:]}")


def setup_environment(any_database: bool) -> None:
    os.environ["DATABASE_URL"] = bench_database_url(any_database=any_database, tool="bench/marketing.py")
    os.environ.setdefault("REDIS_URL", BENCH_REDIS_URL)
    os.environ["DEBUG"] = "false"  # DEBUG keeps every query in memory: not what production runs
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SECURE_COOKIES", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def django_setup() -> None:
    import django

    django.setup()


def phase(name: str):
    class Phase:
        def __enter__(self):
            self.started = time.perf_counter()
            print(f"{name} …", end=" ", flush=True)

        def __exit__(self, *exc):
            print(f"{time.perf_counter() - self.started:.1f} s", flush=True)

    return Phase()


def load_marketing_data() -> dict:
    """Spend, touches, purchases and credits, once. Returns what the database holds."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM leads_lead")
        leads = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM crm_touch")
        if cur.fetchone()[0] < leads * TOUCHES_PER_LEAD * 0.9:
            _load(cur, leads)
        counts = {}
        for table in ("leads_lead", "crm_campaign", "crm_campaignspend", "crm_touch", "funnel_purchase"):
            cur.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM funnel_attributioncredit")
        counts["funnel_attributioncredit"] = cur.fetchone()[0]
    return counts


def _load(cur, leads: int) -> None:
    cur.execute("TRUNCATE crm_touch, crm_campaignspend, funnel_purchase, funnel_attributioncredit CASCADE")
    cur.execute("SELECT id FROM accounts_user WHERE username = 'bench_leader'")
    recorder = cur.fetchone()[0]
    with phase("Spend: a line a month per campaign for a year"):
        cur.execute(
            "INSERT INTO crm_campaignspend (campaign_id, spent_on, amount, currency, note, recorded_by_id, "
            "recorded_at) SELECT c.id, current_date - 30 * m, 1000 + (c.id * 37 + m * 11) %% 9000, 'USD', "
            "'bench', %s, now() FROM crm_campaign c CROSS JOIN generate_series(0, 11) m",
            [recorder],
        )
    with phase(f"COPY ~{leads * TOUCHES_PER_LEAD:,} touches"):
        # Touches spread over the year, a random campaign and kind each; built in SQL, streamed as one insert.
        cur.execute(
            f"""
            INSERT INTO crm_touch (lead_id, campaign_id, kind, occurred_at, weight, client_key, recorded_by_id,
                                   recorded_at)
            SELECT l.id, c.ids[1 + ({HASH.format("l.id::text || n::text")} %% array_length(c.ids, 1))],
                   (ARRAY{KINDS!r})[1 + ({HASH.format("n::text || l.id::text")} %% {len(KINDS)})],
                   now() - make_interval(secs => {HASH.format("l.id::text || '-' || n::text")} %% (365 * 86400)),
                   1, NULL, %s, now()
            FROM leads_lead l
            CROSS JOIN generate_series(1, {TOUCHES_PER_LEAD}) n
            CROSS JOIN (SELECT array_agg(id) AS ids FROM crm_campaign) c
            """,
            [recorder],
        )
    with phase("Purchases for every lead in the purchase stage"):
        cur.execute(
            """
            INSERT INTO funnel_purchase (lead_id, transition_id, revenue, gross_margin, currency, lead_created_at,
                                         mql_at, sql_at, purchased_at)
            SELECT DISTINCT ON (t.lead_id) t.lead_id, t.id, coalesce(l.expected_value, 50000),
                   coalesce(l.expected_value, 50000) * 0.6, l.currency, l.created_at, NULL, NULL, t.occurred_at
            FROM funnel_transition t JOIN leads_lead l ON l.id = t.lead_id
            WHERE t.to_stage = 'purchase' ORDER BY t.lead_id, t.occurred_at
            """
        )
    with phase("Credits: linear, first and last touch (set-based)"):
        for model, condition in (("linear", "true"), ("first_touch", "n = 1"), ("last_touch", "n = total")):
            cur.execute(
                f"""
                INSERT INTO funnel_attributioncredit (purchase_id, model, touch_id, campaign_id, share, revenue,
                                                      gross_margin)
                SELECT purchase_id, %s, id, campaign_id, share, round(revenue * share, 2), round(margin * share, 2)
                FROM (
                    SELECT p.id AS purchase_id, t.id, t.campaign_id, p.revenue, p.gross_margin AS margin,
                           row_number() OVER w AS n, count(*) OVER (PARTITION BY p.id) AS total,
                           CASE WHEN %s = 'linear' THEN 1.0 / count(*) OVER (PARTITION BY p.id) ELSE 1 END AS share
                    FROM funnel_purchase p JOIN crm_touch t ON t.lead_id = p.lead_id AND t.occurred_at <= p.purchased_at
                    WINDOW w AS (PARTITION BY p.id ORDER BY t.occurred_at, t.id)
                ) x WHERE {condition}
                """,
                [model, model],
            )
    with phase("VACUUM ANALYZE"):
        for table in ("crm_touch", "crm_campaignspend", "funnel_purchase", "funnel_attributioncredit"):
            cur.execute(f"VACUUM (ANALYZE) {table}")


def signed_version():
    from accounts.models import User
    from leads.scoring.services import scoring_version_active, scoring_version_propose, scoring_version_sign_off

    active = scoring_version_active()
    if active is not None and active.fit_rules == FIT_RULES and active.engagement_rules == ENGAGEMENT_RULES:
        return active
    proposer = User.objects.filter(role="marketer").first() or User.objects.get(username="bench_leader")
    marketing = User.objects.filter(role="marketing_manager").first()
    sales = User.objects.filter(role="sales_manager").first()
    version = scoring_version_propose(user=proposer, fit_rules=FIT_RULES, engagement_rules=ENGAGEMENT_RULES)
    scoring_version_sign_off(version_id=version.pk, user=marketing)
    return scoring_version_sign_off(version_id=version.pk, user=sales)  # its recompute goes to the broker


def measure_rescoring(version, runs: int) -> dict:
    """Ours and the floor alternately, each at a later moment than the last, so both find decayed scores."""
    from django.db import connection, transaction

    from leads.scoring.sql import scores_write

    ours, floor = [], []
    as_of = datetime.now(UTC)
    for run in range(runs):
        as_of += timedelta(hours=6)
        with transaction.atomic():
            started = time.perf_counter()
            scored, _ = scores_write(version=version, as_of=as_of, lead_ids=None, cause="recompute")
            ours.append(time.perf_counter() - started)
        with transaction.atomic(), connection.cursor() as cur:
            started = time.perf_counter()
            cur.execute(FLOOR_SQL, {"as_of": as_of + timedelta(hours=3)})
            floor.append(time.perf_counter() - started)
        print(f"  rescoring run {run + 1}: ours {ours[-1]:.1f} s, floor {floor[-1]:.1f} s ({scored:,} leads)")
    return {"ours": statistics.median(ours), "floor": statistics.median(floor), "leads": scored}


def measure_touch_to_score(samples: int) -> dict:
    """One touch through the bulk API's service, committed; a Celery worker rescores its lead; we poll."""
    from django.db import transaction

    from accounts.models import User
    from crm.models import Campaign
    from leads.models import LeadScore
    from leads.touches import touches_record

    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "--concurrency", "1", "-l", "WARNING", "-P", "solo"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _purge_and_wait_for_worker()
        bot = User.objects.get(username="bench_leader")
        campaign = Campaign.objects.order_by("id").first()
        # Leads whose engagement is well under every cap: a form fill must change the score the worker writes.
        leads = list(
            LeadScore.objects.filter(engagement__lt=40).order_by("?").values_list("lead_id", flat=True)[: samples + 1]
        )
        latencies = []
        for lead_id in leads:
            before = LeadScore.objects.filter(lead_id=lead_id).values_list("scored_at", flat=True).first()
            item = {"lead": lead_id, "campaign": campaign.pk, "kind": "form_fill"}
            item["occurred_at"] = datetime.now(UTC).isoformat()
            started = time.perf_counter()
            with transaction.atomic():
                touches_record(user=bot, items=[item])
            while time.perf_counter() - started < 10:
                now = LeadScore.objects.filter(lead_id=lead_id).values_list("scored_at", flat=True).first()
                if now is not None and now != before:
                    break
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
        latencies = latencies[1:]  # the first warms the worker's connection and imports
        return {"median": statistics.median(latencies), "max": max(latencies), "samples": len(latencies)}
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _purge_and_wait_for_worker() -> None:
    from config.celery import app

    app.control.purge()  # the activation's full recompute and earlier runs' leftovers: not this measurement
    for _ in range(100):
        if app.control.ping(timeout=0.5):
            return
    raise SystemExit("bench/marketing.py: the Celery worker did not start")


def measure_performance(runs: int) -> dict:
    from django.db import connection

    from funnel.attribution.selectors import campaign_performance

    ours, floor = [], []
    for _ in range(runs):
        started = time.perf_counter()
        rows = campaign_performance(model="linear")
        ours.append(time.perf_counter() - started)
        with connection.cursor() as cur:
            started = time.perf_counter()
            cur.execute(PERFORMANCE_FLOOR_SQL)
            cur.fetchall()
            floor.append(time.perf_counter() - started)
    return {"ours": statistics.median(ours), "floor": statistics.median(floor), "campaigns": len(rows)}


def measure_bulk(runs: int, size: int = 10_000) -> dict:
    from django.utils import timezone
    from rest_framework.test import APIClient

    from accounts.models import User
    from crm.models import Campaign, Touch
    from leads.models import Lead

    client = APIClient()
    client.force_authenticate(User.objects.get(username="bench_leader"))
    campaigns = list(Campaign.objects.values_list("pk", flat=True))
    lead_ids = list(Lead.objects.order_by("?").values_list("pk", flat=True)[:size])
    rates = []
    for run in range(runs):
        when = (timezone.now() - timedelta(minutes=run + 1)).isoformat()
        items = [
            {
                "key": f"bench-{time.time_ns()}-{n}",
                "lead": lead_id,
                "campaign": campaigns[n % len(campaigns)],
                "kind": KINDS[n % len(KINDS)],
                "occurred_at": when,
            }
            for n, lead_id in enumerate(lead_ids)
        ]
        started = time.perf_counter()
        response = client.post("/api/v1/touches/bulk/", {"touches": items}, format="json")
        elapsed = time.perf_counter() - started
        if response.status_code != 200 or response.json()["created"] != size:
            raise SystemExit(f"bench/marketing.py: the bulk request failed: {response.status_code}")
        rates.append(size / elapsed)
    Touch.objects.filter(client_key__startswith="bench-").delete()
    return {"median": statistics.median(rates), "size": size}


def verdict(ok: bool, text: str) -> str:
    return f"met: {text}" if ok else f"**not met**: {text}"


def _rows(rescoring: dict, touch: dict, performance: dict, bulk: dict) -> list[str]:
    ratio = rescoring["ours"] / rescoring["floor"]
    perf_ratio = performance["ours"] / performance["floor"]
    max_ms, rate = touch["max"] * 1000, bulk["median"]
    rescoring_ok = ratio <= 2 and rescoring["ours"] < 60
    return [
        f"| Full rescoring of {rescoring['leads']:,} leads | {rescoring['ours']:.1f} s | {rescoring['floor']:.1f} s "
        f"| ≤ 2× floor, < 60 s | {verdict(rescoring_ok, f'{ratio:.2f}× floor')} |",
        f"| One touch to an updated score, through the worker ({touch['samples']} touches) "
        f"| {touch['median'] * 1000:.0f} ms (max {max_ms:.0f}) | — | ≤ 1 s "
        f"| {verdict(max_ms <= 1000, f'max {max_ms:.0f} ms')} |",
        f"| Campaign performance, {performance['campaigns']} campaigns, linear | {performance['ours'] * 1000:.0f} ms "
        f"| {performance['floor'] * 1000:.0f} ms | ≤ 2× floor "
        f"| {verdict(perf_ratio <= 2, f'{perf_ratio:.2f}× floor')} |",
        f"| {bulk['size']:,} touches per bulk request (API, in-process) | {rate:,.0f} touches/s | — "
        f"| ≥ 5,000/s | {verdict(rate >= 5000, f'{rate:,.0f}/s')} |",
    ]


def write_results(counts: dict, rescoring: dict, touch: dict, performance: dict, bulk: dict) -> None:
    lines = [
        "<!-- marketing:start -->",
        f"### Marketing (bench/marketing.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Data: {counts['leads_lead']:,} leads, {counts['crm_campaign']:,} campaigns, "
        f"{counts['crm_campaignspend']:,} spend lines, {counts['crm_touch']:,} touches, "
        f"{counts['funnel_purchase']:,} purchases, {counts['funnel_attributioncredit']:,} credits. "
        f"Load average at the start: {LOAD_AT_START[0]:.2f}. Medians of the runs.",
        "",
        "| Measure | Ours | Floor (by hand) | Goal | Met? |",
        "| --- | ---: | ---: | --- | --- |",
        *_rows(rescoring, touch, performance, bulk),
        "<!-- marketing:end -->",
    ]
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    start, end = text.find("<!-- marketing:start -->"), text.find("<!-- marketing:end -->")
    block = "\n".join(lines)
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len("<!-- marketing:end -->") :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)
    print(block)


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():  # `python3 bench/marketing.py` runs in the product's venv
        python = venv / "bin" / "python"
        if not python.exists():
            sys.exit("bench/marketing.py: run `python3 run.py test` once to create .venv first.")
        os.execv(python, [str(python), __file__, *sys.argv[1:]])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=10, help="touches timed end to end through the worker")
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads to load first if the database has fewer")
    parser.add_argument("--any-database", action="store_true")
    args = parser.parse_args()
    setup_environment(args.any_database)
    ensure_schema_and_leads(args.leads)
    django_setup()
    with phase("Marketing data"):
        counts = load_marketing_data()
    print(counts)
    version = signed_version()
    rescoring = measure_rescoring(version, args.runs)
    touch = measure_touch_to_score(args.samples)
    performance = measure_performance(args.runs)
    bulk = measure_bulk(args.runs)
    write_results(counts, rescoring, touch, performance, bulk)


if __name__ == "__main__":
    main()
