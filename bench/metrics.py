"""Metrics benchmark (issue 11): python3 bench/metrics.py [--leads 1000000] [--runs 3].

"At 1M leads / 5M transitions / 5M touches, measured in one run: the full recompute of all metrics for a year
≤ 2x the fastest hand-written SQL computing the same stage counts, conversions and medians over the history (the
floor) and under 60 s on 2 cores; the current day's recompute ≤ 2 s; the dashboard's API ≥ 0.5x the bare DRF
"hello" of the same run; the dashboard page's p99 ≤ 100 ms."

In its own database (DATABASE_URL, by default crm_bench_metrics): bench/generate.py's leads and history, then
once the spans, touches, spend, purchases and expenses (bench/metrics_data.py). In one process, alternately:
(a) every period of every kind in the year (the twelve months to today) through snapshots_compute with
    funnel.metrics.families.FAMILIES, in the batches a recompute job uses, each family timed apart, against the
    floor (bench/metrics_data.py);
(b) today's day period recomputed, and the busiest day of the last 90 days (a current day in full: the goal is
    judged on it);
then through gunicorn and wrk, (c) the dashboard's API against /bench/hello/ (the metrics list beside it) and
(d) the dashboard page's p99, each measured only when its path answers 2xx (see DASHBOARD_API, METRICS_API and
DASHBOARD_PAGE).
It writes its table between the metrics markers of bench/RESULTS.md.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.database import bench_database_url  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_metrics"
LOAD_AT_START = os.getloadavg()
# The dashboard's API (funnel.metrics.dashboard_api, what the goal is judged on), the metrics list (an extra line)
# and the managers' dashboard page. Each is measured when it answers 2xx as the bench admin (API token) and as a
# signed-in sales manager (the page); until then its row says why it was not measured.
DASHBOARD_API = "/api/v1/dashboard/?period_kind=month"
METRICS_API = "/api/v1/metrics/"
DASHBOARD_PAGE = "/metrics/"
KIND_ORDER = ("month", "quarter", "week", "day")
MARKERS = ("<!-- metrics:start -->", "<!-- metrics:end -->")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000, help="generate this many leads if there are fewer")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs of (a) (medians are reported)")
    parser.add_argument("--day-runs", type=int, default=5, help="runs of (b)")
    parser.add_argument(
        "--give-up", type=float, default=600, help="stop a full recompute after this many seconds (10x the goal)"
    )
    parser.add_argument("--seconds", type=int, default=10, help="seconds per wrk run of (c) and (d)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-http", action="store_true", help="skip (c) and (d)")
    parser.add_argument("--any-database", action="store_true", help="allow a database not named *bench*")
    parser.add_argument("--no-write", action="store_true", help="print the table without touching RESULTS.md")
    return parser.parse_args()


# ---- (a) and (b): recomputes ---------------------------------------------------------------------------------


def year_batches(today: date) -> list[list]:
    """Every period of every kind from the first of the month eleven months back to today, in the batches a
    recompute job computes together (funnel.metrics.services.period_batches): the months first (what the floor
    computes), then batches of quarters, weeks and days in turn, so a run that gives up has timed every kind."""
    from itertools import chain, zip_longest

    from funnel.metrics.periods import periods_between
    from funnel.metrics.services import period_batches

    first = date(today.year - (today.month <= 11), (today.month - 12) % 12 + 1, 1)
    months, *others = (period_batches(periods_between(kind=kind, first=first, last=today)) for kind in KIND_ORDER)
    return months + [batch for batch in chain.from_iterable(zip_longest(*others)) if batch is not None]


def family_name(family) -> str:
    """A metric group's name (funnel.metrics.measures.Group), else the function's."""
    return getattr(family, "name", None) or family.__name__


def timed_families(families: list, seconds: dict) -> list:
    """The families wrapped so each adds its time to seconds[(name, period kind)]."""

    def wrap(family):
        def timed(cursor, batch):
            started = time.perf_counter()
            family(cursor, batch)
            seconds[(family_name(family), batch.kind)] += time.perf_counter() - started

        return timed

    return [wrap(family) for family in families]


def recompute(batches: list[list], families: list, give_up: float = float("inf")) -> tuple[float, dict, int]:
    """Seconds through snapshots_compute, batch by batch, the seconds per (family, kind) and per kind (("", kind):
    each period's share of its batch, a list per period), and how many periods were done: the run stops at the
    first batch that ends past `give_up` seconds (a recompute that slow has missed its goal)."""
    from funnel.metrics.compute import snapshots_compute

    seconds: dict = defaultdict(float)
    wrapped = timed_families(families, seconds)
    started, done = time.perf_counter(), 0
    for batch in batches:
        began = time.perf_counter()
        snapshots_compute(periods=batch, families=wrapped)
        share = (time.perf_counter() - began) / len(batch)
        seconds.setdefault(("", batch[0].kind), []).extend([share] * len(batch))
        done += len(batch)
        if time.perf_counter() - started > give_up:
            break
    return time.perf_counter() - started, dict(seconds), done


def floor(periods: list) -> tuple[float, tuple[int, dict]]:
    from django.conf import settings

    from bench.metrics_data import floor_run

    months = [p for p in periods if p.kind == "month"]
    started = time.perf_counter()
    made = floor_run(start=months[0].starts_at, end=months[-1].end, tz=settings.TIME_ZONE)
    return time.perf_counter() - started, made


def entries_agree(floor_entered: dict) -> tuple[int, int]:
    """(agreeing, compared): the floor's whole-company entries per month and stage against ours, for the months
    ours computed (none when no family writes `entered`)."""
    from funnel.metrics.models import MetricValue

    ours = MetricValue.objects.filter(metric="entered", dimension="all", snapshot__period_kind="month")
    pairs = {
        (v["snapshot__period_start"], v["stage"]): v["value"]
        for v in ours.values("snapshot__period_start", "stage", "value")
    }
    compared = [key for key in floor_entered if key in pairs]
    return sum(floor_entered[key] == pairs[key] for key in compared), len(compared)


def measure_recomputes(args: argparse.Namespace, families: list) -> dict:
    from funnel.metrics.choices import PeriodKind
    from funnel.metrics.models import MetricValue
    from funnel.metrics.periods import period_of

    today = datetime.now(UTC).date()
    batches = year_batches(today)
    periods = [p for batch in batches for p in batch]
    result: dict = {"ours": [], "floor": [], "per_family": [], "done": [], "day": [], "periods": len(periods)}
    for number in range(args.runs):
        for who in ("floor", "ours") if number % 2 == 0 else ("ours", "floor"):
            if who == "floor":
                seconds, (result["floor_rows"], result["floor_entered"]) = floor(periods)
                result["floor"].append(seconds)
            else:
                seconds, per_family, done = recompute(batches, families, args.give_up)
                result["ours"].append(seconds)
                result["per_family"].append(per_family)
                result["done"].append(done)
                print(f"(a) run {number + 1}: ours did {done} of {len(periods)} periods", flush=True)
            print(f"(a) run {number + 1}: {who} {seconds:.1f} s", flush=True)
    result["values"] = MetricValue.objects.count()
    result["agree"] = entries_agree(result["floor_entered"])
    # Today holds the moves since midnight only, and generate.py's history thins out over its last weeks (each
    # lead's last move lies a gap before the load): the goal is judged on the busiest day of the last 90 days,
    # the size a current day has in full, today shown beside it.
    today_period = period_of(kind=PeriodKind.DAY, day=today)
    busiest, result["busiest_moves"] = busiest_recent_day()
    result["busiest"] = busiest
    result["today"] = []
    for _ in range(args.day_runs):
        result["today"].append(recompute([[today_period]], families)[0])
        result["day"].append(recompute([[period_of(kind=PeriodKind.DAY, day=busiest)]], families)[0])
    print(f"(b) today: {', '.join(f'{s:.2f}' for s in result['today'])} s", flush=True)
    print(f"(b) {busiest}: {', '.join(f'{s:.2f}' for s in result['day'])} s", flush=True)
    return result


def busiest_recent_day() -> tuple[date, int]:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT (entered_at AT TIME ZONE %s)::date, count(*) FROM funnel_stagespan "
            "WHERE entered_at >= now() - interval '90 days' GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
            [settings.TIME_ZONE],
        )
        return cur.fetchone()


# ---- (c) and (d): the dashboard over HTTP --------------------------------------------------------------------


def measure_http(env: dict, args: argparse.Namespace) -> dict:
    """/bench/hello/, the metrics API and the dashboard page through gunicorn (bench.bench_settings)."""
    from accounts.models import User
    from bench import prepare

    admin = prepare.ensure_admin()
    token = prepare.fresh_token(admin)
    manager = User.objects.get(username="bench_manager4")  # a sales manager (bench/generate.py)
    api, browser = {"token": token}, {"cookie": f"sessionid={prepare.signed_in(manager)}"}
    targets = [
        ("hello", "/bench/hello/", api),
        ("api", DASHBOARD_API, api),
        ("list", METRICS_API, api),
        ("page", DASHBOARD_PAGE, browser),
    ]
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-metrics-"))
    port = run.free_port()
    base, log = f"http://127.0.0.1:{port}", workdir / "gunicorn.log"
    server = run.start_server(env | {"CRM_DATA_DIR": str(workdir / "data")}, port, log)
    try:
        run.wait_healthy(base, server, log)
        missing = {key: run.probe(base, path, auth) for key, path, auth in targets}
        available = [(key, path, auth) for key, path, auth in targets if not missing[key]]
        summaries = run.measure_all(base, [(path, auth) for _, path, auth in available], args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    measured = {key: summary for (key, _, _), summary in zip(available, summaries, strict=True)}
    # "HTTP 404 <!doctype html>…": the status is the reason; the page's HTML would break the table.
    reasons = {key: why.split("<")[0].splitlines()[0].strip() for key, why in missing.items() if why}
    return {"measured": measured, "missing": reasons}


# ---- RESULTS.md ----------------------------------------------------------------------------------------------


def _verdict(ok: bool, text: str) -> str:
    return f"met: {text}" if ok else f"**not met**: {text}"


def _recompute_rows(a: dict, names: list[str]) -> list[str]:
    ours, floor_s = statistics.median(a["ours"]), statistics.median(a["floor"])
    ratio = ours / floor_s
    day = statistics.median(a["day"])
    done = min(a["done"])
    if done < a["periods"]:  # given up: the time is a lower bound
        ours_text, met = f"> {ours:.0f} s (gave up after {done} of {a['periods']} periods)", False
    else:
        ours_text, met = f"{ours:.1f} s", bool(names) and ratio <= 2 and ours < 60
    rows = [
        f"| (a) full recompute, {a['periods']} periods of the year (months, quarters, weeks, days), "
        f"{len(names)} families | {ours_text} | {floor_s:.1f} s (by month, {a['floor_rows']:,} rows) "
        f"| ≤ 2× floor and < 60 s | {_verdict(met, f'{ratio:.2f}×' + (' or more' if done < a['periods'] else ''))} |"
    ]
    rows += _by_kind_rows(a, floor_s)
    per_family: dict = defaultdict(list)
    for run_seconds in a["per_family"]:
        for key, seconds in run_seconds.items():
            if key[0]:  # ("", kind) holds whole periods (_by_kind_rows)
                per_family[key].append(seconds)
    for (name, kind), values in sorted(per_family.items(), key=lambda item: (KIND_ORDER.index(item[0][1]), item[0][0])):
        rows.append(f"| … `{name}`, {kind} periods | {statistics.median(values):.1f} s | — | — | — |")
    today = statistics.median(a["today"])
    rows.append(
        f"| (b) a whole day's recompute ({a['busiest']}, the busiest of the last 90 days: {a['busiest_moves']:,} "
        f"moves; today so far: {today:.2f} s) | {day:.2f} s | — | ≤ 2 s "
        f"| {_verdict(day <= 2, f'{day:.2f} s')} |"
    )
    return rows


def _by_kind_rows(a: dict, floor_s: float) -> list[str]:
    """The first run's whole periods by kind: the months against the floor (its own grain), and the year
    projected from each kind's mean period where the run gave up before the kind's end."""
    first = a["per_family"][0]
    periods = [p for batch in year_batches(datetime.now(UTC).date()) for p in batch]
    counts = {kind: sum(p.kind == kind for p in periods) for kind in KIND_ORDER}
    rows, projected, missing = [], 0.0, []
    for kind in KIND_ORDER:
        done = first.get(("", kind), [])
        if not done:
            missing.append(kind)
            continue
        projected += statistics.mean(done) * counts[kind]
        if kind == "month" and len(done) == counts[kind]:
            months = sum(done)
            rows.append(
                f"| … the {counts[kind]} months alone (the floor's grain), all families | {months:.1f} s "
                f"| {floor_s:.1f} s | — | {months / floor_s:.2f}× the floor |"
            )
        rows.append(
            f"| … {kind} periods: {len(done)} of {counts[kind]} done | mean {statistics.mean(done):.2f} s a period "
            f"| — | — | — |"
        )
    if not missing:
        rows.append(f"| … the year projected from each kind's mean period | {projected:.0f} s | — | < 60 s | — |")
    else:
        rows.append(f"| … the year projected | not possible: no {' or '.join(missing)} period done | — | — | — |")
    return rows


def _http_rows(http: dict | None) -> list[str]:
    if http is None:
        return ["| (c), (d) dashboard API and page | not run (--no-http) | — | — | — |"]
    measured, missing = http["measured"], http["missing"]
    hello = measured.get("hello")
    rows = []
    if hello is not None:
        rows.append(f"| Bare DRF hello `/bench/hello/` | {hello[0].rps:,.0f} req/s | — | reference | — |")
    page = measured.get("page")
    for key, label, path, goal in (
        ("api", "(c) dashboard API", DASHBOARD_API, True),
        ("list", "… metrics list API", METRICS_API, False),
    ):
        api = measured.get(key)
        if api is None or hello is None:
            rows.append(
                f"| {label} `{path}` | not measured ({missing.get(key, '')[:80]}) | — "
                f"| {'≥ 0.5× hello req/s' if goal else '—'} | — |"
            )
            continue
        ratio = api[0].rps / hello[0].rps
        verdict = _verdict(ratio >= 0.5, f"{ratio:.2f}×") if goal else f"{ratio:.2f}×"
        rows.append(
            f"| {label} `{path}` | {api[0].rps:,.0f} req/s | {hello[0].rps:,.0f} req/s "
            f"| {'≥ 0.5× hello req/s' if goal else '—'} | {verdict} |"
        )
    if page is None:
        rows.append(
            f"| (d) dashboard page `{DASHBOARD_PAGE}` | not measured ({missing.get('page', '')[:80]}) "
            "| — | p99 ≤ 100 ms | — |"
        )
    else:
        p99 = page[1].p99
        rows.append(
            f"| (d) dashboard page `{DASHBOARD_PAGE}` | p99 {p99:.1f} ms unqueued "
            f"({page[0].p99:.1f} ms under load) | — | p99 ≤ 100 ms | {_verdict(p99 <= 100, f'{p99:.1f} ms')} |"
        )
    return rows


def render(a: dict, http: dict | None, names: list[str], counts: dict, machine: dict) -> str:
    first, last = counts["history"]
    return "\n".join(
        [
            MARKERS[0],
            f"### Metrics (bench/metrics.py, {datetime.now(UTC):%Y-%m-%d %H:%M UTC})",
            "",
            f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory']} RAM, "
            f"{machine['postgres']}, Python {machine['python']}. Data (own database): "
            f"{counts['leads_lead']:,} leads, {counts['funnel_transition']:,} transitions from {first:%Y-%m-%d} to "
            f"{last:%Y-%m-%d}, {counts['funnel_stagespan']:,} spans, {counts['crm_touch']:,} touches, "
            f"{counts['funnel_handoff']:,} handoffs, {counts['funnel_purchase']:,} purchases, "
            f"{counts['crm_campaignspend']:,} spend lines, {counts['funnel_salesexpense']:,} expense lines. "
            f"Families: {', '.join(f'`{n}`' for n in names) or 'none yet'}. 1-minute load average at the start: "
            f"{LOAD_AT_START[0]:.2f}, at the end: {os.getloadavg()[0]:.2f}. (a) ran {len(a['ours'])} times "
            f"alternating with the floor, (b) {len(a['day'])} times; medians; {a['values']:,} metric values stored. "
            f"The floor's whole-company entries per month and stage equal ours on {a['agree'][0]} of the "
            f"{a['agree'][1]} compared.",
            "",
            "| Measure | Ours | Floor / baseline | Goal | Met? |",
            "| --- | ---: | ---: | --- | --- |",
            *_recompute_rows(a, names),
            *_http_rows(http),
            MARKERS[1],
        ]
    )


def write_results(block: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    start, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len(MARKERS[1]) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


# ---- one command ---------------------------------------------------------------------------------------------


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    args = parse_args()
    started = time.monotonic()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-metrics-"))
    env, _ = run.server_env(workdir, bench_database_url(any_database=args.any_database, tool="metrics.py"))
    run.ensure_data(env, args.leads)
    print("Migrating …", flush=True)
    run.migrate(env)
    for key in set(os.environ) - set(env):
        del os.environ[key]
    os.environ.update(env)
    import django

    django.setup()
    from bench import metrics_data, prepare
    from funnel.metrics.families import FAMILIES

    counts = metrics_data.load_all()
    names = [family_name(family) for family in FAMILIES]
    print(f"Families: {', '.join(names) or 'none yet'}", flush=True)
    a = measure_recomputes(args, list(FAMILIES))
    http = None if args.no_http else measure_http(env, args)
    run.clear_broker_queue(env)
    block = render(a, http, names, counts, run.machine_info(prepare.postgres_version()))
    print(block)
    if not args.no_write:
        write_results(block)
    print(f"Done in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
