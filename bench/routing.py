"""Routing benchmark (issue 13): python3 bench/routing.py [--leads 200000] [--seconds 10] [--runs 3].

"The transition benchmark's figure does not fall by more than 10 % with weighted routing on." In its own
database (DATABASE_URL, by default crm_bench_routing; bench/generate.py loads `--leads` leads there when it
holds fewer) it sets up what bench/run.py does (migrations, bench_admin's token, the signed MQL definition,
the `bench: …` rules), plus once a routing pool: the team "Routing bench pool" with 8 marketers weighted
0.5/1/1/1/1/2/2/2, one of them out of office over the run, one paused, caps far above what a run reaches.

Then, through gunicorn with wrk, it moves distinct awareness leads that pass the rules to interest with the
rule "bench: MQL before interest" routing (a) `keep` and (b) `round_robin` into the pool, switched through
funnel.services.rules between runs, in the order a b b a a b … so both see the same background load. Each
(b) move locks the pool's cursor, reads absences and pending handoffs, picks by smooth weighted round-robin
and records the decision on the transition. It reports the medians, the server's CPU per move (bench/cpu.py:
steadier than req/s on a shared machine), the share each person got against their weight, the queries of one
move of each kind and the in-process time per move, and writes its table between the routing markers of
bench/RESULTS.md. The rule is left routing `keep`, as run.py expects.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cpu, run, wrk  # noqa: E402
from bench.database import bench_database_url  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_routing"
LOAD_AT_START = os.getloadavg()
RULE = "bench: MQL before interest"
POOL = "Routing bench pool"
# Not bench_…: generate.py hands leads to every bench_ marketer, and these people should own only what
# this benchmark routes to them.
PEOPLE = [(f"routing_bench_{n}", Decimal(w)) for n, w in enumerate(["0.5", "1", "1", "1", "1", "2", "2", "2"], 1)]
AWAY, PAUSED = "routing_bench_3", "routing_bench_7"  # a weight-1 person away, a weight-2 person paused
CAP = 1_000_000  # high enough never to queue: awareness → interest opens no handoff, so pending stays flat
MODES = ("a", "b")
ORDER = ("a", "b", "b", "a")  # ABBA: a drift in the machine's load lands on both modes alike
IN_PROCESS_MOVES = 200  # per mode, for the per-move time and the query count


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=200_000, help="generate this many leads if the database has fewer")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured wrk run")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per mode (the median is reported)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--movable", type=int, default=40_000, help="awareness leads prepared for the moves")
    parser.add_argument("--any-database", action="store_true", help="allow a database not named *bench*")
    parser.add_argument("--no-write", action="store_true", help="print the table without touching RESULTS.md")
    return parser.parse_args()


# ---- set-up (Django in this process, once the environment is the server's) -----------------------------


def ensure_pool() -> dict:
    """The pool team and its 8 people, with this run's absence and pause. Returns {username: User}."""
    from datetime import time as clock

    from accounts.models import OutOfOffice, Team, User

    manager = User.objects.get(username="bench_manager1")
    # Every day, all day: everyone not away or paused is in working hours, so each pick weighs all six.
    team, _ = Team.objects.update_or_create(
        name=POOL,
        defaults={
            "function": "marketing",
            "manager": manager,
            "work_days": [0, 1, 2, 3, 4, 5, 6],
            "work_starts": clock(0),
            "work_ends": clock(23, 59),
        },
    )
    people = {}
    for username, weight in PEOPLE:
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": "marketer",
                "team": team,
                "manager": manager,
                "first_name": username.rsplit("_", 1)[1],
                "last_name": "Router",
                "routing_weight": weight,
                "routing_cap": CAP,
                "routing_paused": username == PAUSED,
                "is_active": True,
            },
        )
        people[username] = user
    now = datetime.now(UTC)
    OutOfOffice.objects.filter(user__username__startswith="routing_bench_").delete()
    OutOfOffice.objects.create(
        user=people[AWAY],
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        delegate=people["routing_bench_2"],
        note="bench: away over the run",
        set_by=manager,
    )
    return people


def routing_spec(mode: str, team_id: int) -> dict:
    return {"kind": "keep"} if mode == "a" else {"kind": "round_robin", "team": team_id}


def set_routing(spec: dict) -> None:
    """Through the product's rule service, as an administrator would; the database bumps the funnel
    configuration's version, so the gunicorn workers reload the rule at their next request."""
    from accounts.models import User
    from funnel.models import HandoffRule
    from funnel.services.rules import handoff_rule_save

    rule = HandoffRule.objects.get(name=RULE)
    handoff_rule_save(actor=User.objects.get(username="bench_admin"), rule=rule, data={"routing": spec})


# ---- the HTTP measurement ------------------------------------------------------------------------------


def slices(ids: list[int], count: int) -> list[list[int]]:
    """`count` equal, disjoint slices of the shuffled ids: no lead is posted twice, and no mode gets the
    newest or the oldest leads."""
    shuffled = ids[:]
    random.Random(13).shuffle(shuffled)
    share = len(shuffled) // count
    return [shuffled[i * share : (i + 1) * share] for i in range(count)]


def wrk_moves(base: str, token: str, ids: list[int], seconds: int, args, path: Path) -> wrk.Run:
    script = wrk.transition_script(path, token=token, ids=ids, to_stage="interest", threads=args.threads)
    return wrk.run(
        f"{base}/", token=token, seconds=seconds, connections=args.connections, threads=args.threads, script=script
    )


def measured_run(base: str, token: str, ids: list[int], seconds: int, args, path: Path, master: int) -> tuple:
    """One wrk run of moves and the CPU the server side (workers and their backends) spent per successful
    move: less sensitive than req/s to what else the shared CPUs run, as waiting for a CPU costs no CPU."""
    before = cpu.ticks(cpu.server_pids(master))
    result = wrk_moves(base, token, ids, seconds, args, path)
    spent = cpu.ms_since(before, cpu.server_pids(master))
    return result, spent / max(1, result.requests - result.failed)


def measure_http(base: str, data: dict, team_id: int, chunks: list[list[int]], args, workdir: Path, master: int):
    """Warm-up of each mode, then `runs` measured runs of each in ABBA order: {mode: [Run]}, {mode: [CPU ms
    per move]} and the order."""
    order = [ORDER[i % len(ORDER)] for i in range(2 * args.runs)]
    runs: dict[str, list[wrk.Run]] = {mode: [] for mode in MODES}
    spent: dict[str, list[float]] = {mode: [] for mode in MODES}
    sequence = []
    for number, mode in enumerate([*MODES, *order]):
        set_routing(routing_spec(mode, team_id))
        warm = number < len(MODES)
        seconds = 2 if warm else args.seconds
        result, cpu_ms = measured_run(
            base, data["token"], chunks[number], seconds, args, workdir / f"r{number}.lua", master
        )
        if warm:
            continue
        runs[mode].append(result)
        spent[mode].append(cpu_ms)
        sequence.append((mode, result))
        print(
            f"({mode}) {result.ok_per_second:,.0f} successful/s, p99 {result.p99_ms:.1f} ms, "
            f"{result.failed} failed of {result.requests:,}; server CPU {cpu_ms:.1f} ms per move",
            flush=True,
        )
        if result.requests > len(chunks[number]):
            print(f"  note: more requests than prepared leads ({len(chunks[number]):,}); raise --movable", flush=True)
    return {"runs": runs, "cpu": spent, "sequence": sequence}


def probe(base: str, data: dict, team_id: int, lead_ids: list[int]) -> None:
    """One move per mode before measuring, so a refusal shows as its message rather than as failures."""
    for mode, lead_id in zip(MODES, lead_ids, strict=True):
        set_routing(routing_spec(mode, team_id))
        body = json.dumps({"to_stage": "interest"}).encode()
        status, reply = run.request(f"{base}/api/v1/leads/{lead_id}/transition/", data["token"], body)
        if not 200 <= status < 300:
            sys.exit(f"({mode}) a move answered HTTP {status}: {reply[:500].decode(errors='replace')}")


# ---- in-process: queries and time per move -------------------------------------------------------------


def in_process(team_id: int, chunks: dict[str, list[int]]) -> dict:
    """The SQL of one move of each kind (CaptureQueriesContext), then IN_PROCESS_MOVES timed moves per mode
    through funnel.services.transitions.lead_transition, alternating in blocks of 20."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from funnel.services.transitions import lead_transition
    from leads.models import Lead

    admin = User.objects.get(username="bench_admin")
    leads = {mode: iter(ids) for mode, ids in chunks.items()}

    def move(mode: str, around=None) -> tuple[float, float]:
        lead = Lead.objects.only("id", "stage").get(pk=next(leads[mode]))  # as the API view reads it first
        with nullcontext() if around is None else around:
            started, cpu = time.perf_counter(), time.process_time()
            lead_transition(lead=lead, to_stage="interest", actor=admin)
            return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000

    queries = {}
    for mode in MODES:
        set_routing(routing_spec(mode, team_id))
        move(mode)  # the configuration snapshot reloads on the first move after a change
        captured = CaptureQueriesContext(connection)
        move(mode, around=captured)
        queries[mode] = [q["sql"] for q in captured.captured_queries]
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    for block in range(IN_PROCESS_MOVES // 20):
        for mode in MODES if block % 2 == 0 else MODES[::-1]:
            set_routing(routing_spec(mode, team_id))
            move(mode)
            times[mode] += [move(mode) for _ in range(20)]
    return {"queries": queries, "times": times}


# ---- did the routing really run ------------------------------------------------------------------------


def spread(people: dict, since: datetime) -> dict:
    """Who the (b) moves went to since `since`, from the transitions' recorded decisions."""
    from funnel.models import Transition

    ids = {user.pk: name for name, user in people.items()}
    rows = Transition.objects.filter(to_owner_id__in=ids, occurred_at__gte=since).values_list("to_owner_id", "routing")
    counts = dict.fromkeys(people, 0)
    consistent = skipped_right = 0
    for owner_id, decision in rows:
        counts[ids[owner_id]] += 1
        consistent += bool(decision and decision["winner"] and decision["winner"]["id"] == owner_id)
        skips = {c["id"]: c["skipped"] for c in (decision or {}).get("candidates", [])}
        skipped_right += skips.get(people[AWAY].pk) == "away" and skips.get(people[PAUSED].pk) == "paused"
    total = sum(counts.values())
    weight = sum(w for name, w in PEOPLE if name not in (AWAY, PAUSED))
    expected = {name: (0.0 if name in (AWAY, PAUSED) else float(total * w / weight)) for name, w in PEOPLE}
    return {
        "counts": counts,
        "expected": expected,
        "total": total,
        "weight": weight,
        "consistent": consistent,
        "skipped_right": skipped_right,
    }


# ---- RESULTS.md ----------------------------------------------------------------------------------------


def _status(name: str) -> str:
    return {AWAY: "out of office", PAUSED: "paused"}.get(name, "available")


def _query_line(queries: dict) -> str:
    extra = len(queries["b"]) - len(queries["a"])
    return f"{len(queries['a'])} | {len(queries['b'])} | +{extra} |"


def _throughput_row(a: wrk.Summary, b: wrk.Summary) -> str:
    ratio = b.rps / a.rps
    change = f"{(1 - ratio) * 100:.0f} % fewer" if ratio < 1 else f"{(ratio - 1) * 100:.0f} % more"
    verdict = "met" if ratio >= 0.9 else "**not met**"
    return (
        f"| `POST /api/v1/leads/{{id}}/transition/`, successful/s | {a.rps:,.0f} | {b.rps:,.0f} | {ratio:.2f}× "
        f"| falls by ≤ 10 % | {verdict}: {change} |"
    )


def _ratio_row(label: str, a: float, b: float, unit: str) -> str:
    return f"| {label} | {a:.1f} {unit} | {b:.1f} {unit} | {b / a:.2f}× | — | — |"


def _measure_rows(http: dict, local: dict) -> list[str]:
    a, b = (wrk.Summary(http["runs"][mode]) for mode in MODES)
    cpu_a, cpu_b = (statistics.median(http["cpu"][mode]) for mode in MODES)
    wall_a, wall_b = (statistics.median(t[0] for t in local["times"][mode]) for mode in MODES)
    own_a, own_b = (statistics.median(t[1] for t in local["times"][mode]) for mode in MODES)
    moves = len(local["times"]["a"])
    return [
        "| Measure | (a) keep | (b) weighted round-robin | b / a | Goal | Met? |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        _throughput_row(a, b),
        f"| p50 / p99 ms under load | {a.p50:.1f} / {a.p99:.1f} | {b.p50:.1f} / {b.p99:.1f} | — | — | — |",
        f"| failed (non-2xx, socket errors) | {a.failed} of {a.requests:,} | {b.failed} of {b.requests:,} "
        "| — | — | — |",
        _ratio_row("Server CPU per move (gunicorn workers + their PostgreSQL backends)", cpu_a, cpu_b, "ms"),
        _ratio_row(f"In-process, one move (`lead_transition`), median of {moves}", wall_a, wall_b, "ms"),
        _ratio_row("… of which this process's CPU", own_a, own_b, "ms"),
        "| Queries per move, BEGIN and COMMIT included (CaptureQueriesContext) "
        f"| {_query_line(local['queries'])} — | — |",
    ]


def _share_rows(share: dict) -> list[str]:
    lines = [
        f"Where the {share['total']:,} moves routed during this run went ({share['consistent']:,} recorded decisions "
        f"name that winner; {share['skipped_right']:,} record {AWAY} skipped as away and {PAUSED} as paused):",
        "",
        f"| Person | Weight | Status | Leads | Weight × N / {share['weight']} | Difference |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for name, weight in PEOPLE:
        got, want = share["counts"][name], share["expected"][name]
        lines.append(f"| {name} | {weight} | {_status(name)} | {got:,} | {want:,.1f} | {got - want:+.1f} |")
    return lines


def render(http: dict, local: dict, share: dict, data: dict, settings: dict) -> str:
    order = ", ".join(f"{mode} {r.ok_per_second:,.0f}" for mode, r in http["sequence"])
    machine = settings["machine"]
    return "\n".join(
        [
            "<!-- routing:start -->",
            f"### Routing (bench/routing.py, {settings['date']})",
            "",
            f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory']} RAM, "
            f"{machine['postgres']}, Python {machine['python']}; gunicorn {run.WORKERS} sync workers, DEBUG=false, "
            f"broker {settings['broker']}; wrk {settings['threads']} threads, {settings['connections']} connections, "
            f"{settings['seconds']} s per run. Data (own database): {data['leads']:,} leads, "
            f"{data['transitions']:,} transitions (bench/generate.py). 1-minute load average at the start: "
            f"{LOAD_AT_START[0]:.2f}, at the end: {os.getloadavg()[0]:.2f}. Other sessions ran tests on the same "
            f"CPUs, so the modes alternate (successful/s in order: {order}) and each figure is the median of "
            f"{len(http['runs']['a'])} runs.",
            "",
            "Both move distinct awareness leads that pass the rules to interest. (a): the rule routes `keep`. "
            f"(b): it routes `round_robin` into {POOL}, 8 people weighted 0.5/1/1/1/1/2/2/2, one out of office, "
            "one paused, caps never reached: every move locks the pool, reads availability, picks and records why.",
            "",
            *_measure_rows(http, local),
            "",
            *_share_rows(share),
            "<!-- routing:end -->",
        ]
    )


def write_results(block: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    start, end = text.find("<!-- routing:start -->"), text.find("<!-- routing:end -->")
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len("<!-- routing:end -->") :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


# ---- one command ---------------------------------------------------------------------------------------


def prepared(env: dict, args: argparse.Namespace, needed: int) -> dict:
    """run.py's preparation; when earlier runs used up the movable leads, the data is generated afresh."""
    data = run.prepare(env, args.movable)
    if len(data["movable"]) >= needed:
        return data
    print(f"Only {len(data['movable']):,} movable leads left; reloading (bench/generate.py --reset) …", flush=True)
    generate = [str(run.PYTHON), "bench/generate.py", "--reset", "--leads", str(args.leads)]
    if subprocess.run(generate, cwd=ROOT, env=env).returncode != 0:
        sys.exit("bench/generate.py failed (see above).")
    data = run.prepare(env, args.movable)
    if len(data["movable"]) < needed:
        sys.exit(f"only {len(data['movable']):,} awareness leads pass the rules; {needed:,} needed: raise --leads")
    return data


def environment(args: argparse.Namespace, workdir: Path) -> tuple[dict, str]:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    env, broker = run.server_env(workdir, bench_database_url(any_database=args.any_database, tool="routing.py"))
    run.ensure_data(env, args.leads)
    print("Migrating, then preparing (token, rules, leads to move) …", flush=True)
    run.migrate(env)
    return env, broker


def measure(env: dict, data: dict, args: argparse.Namespace, workdir: Path, team_id: int) -> tuple[dict, dict]:
    """The HTTP runs through gunicorn, then the in-process moves; the rule is left routing `keep` whatever
    happens, as run.py and the product's defaults expect."""
    ids, wrk_slices = data["movable"], 2 * args.runs + len(MODES)
    local_ids, http_ids = ids[: 2 * IN_PROCESS_MOVES + 40], ids[2 * IN_PROCESS_MOVES + 40 :]
    port, log = run.free_port(), workdir / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    server = run.start_server(env, port, log)
    try:
        run.wait_healthy(base, server, log)
        print(f"gunicorn up on {base} ({data['leads']:,} leads); measuring …", flush=True)
        probe(base, data, team_id, http_ids[:2])
        http = measure_http(base, data, team_id, slices(http_ids[2:], wrk_slices), args, workdir, server.pid)
        server.terminate()
        server.wait(timeout=30)
        half = len(local_ids) // 2
        return http, in_process(team_id, {"a": local_ids[:half], "b": local_ids[half:]})
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        for script in workdir.glob("*.lua"):  # they hold the run's API token
            script.unlink()
        set_routing({"kind": "keep"})
        run.clear_broker_queue(env)


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    args = parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-routing-"))
    env, broker = environment(args, workdir)
    data = prepared(env, args, needed=(2 * args.runs + len(MODES)) * 300 * args.seconds + 2 * IN_PROCESS_MOVES + 100)
    # This process speaks to the same database, settings and broker as the server.
    for key in set(os.environ) - set(env):
        del os.environ[key]
    os.environ.update(env)
    import django

    django.setup()
    people = ensure_pool()
    since = datetime.now(UTC)
    http, local = measure(env, data, args, workdir, people[AWAY].team_id)
    settings = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": run.machine_info(data["postgres"]),
        "broker": broker,
        "threads": args.threads,
        "connections": args.connections,
        "seconds": args.seconds,
    }
    block = render(http, local, spread(people, since), data, settings)
    print(block)
    for mode in MODES:
        print(f"\n-- queries of one ({mode}) move --\n" + "\n".join(q[:300] for q in local["queries"][mode]))
    if not args.no_write:
        write_results(block)
    print(f"Done in {time.monotonic() - started:.0f} s (server log: {workdir / 'gunicorn.log'}).")


if __name__ == "__main__":
    main()
