"""Simulation benchmark (issue 10): python3 bench/simulation.py [--leads 1000000] [--runs 5] [--rule-runs 2].

"At 1M leads / 5M transitions, in one run: a definition simulated over all current leads ≤ 2 s and ≤ 2x a
hand-written WHERE with the same conditions; a rule replayed over the 5M past moves ≤ 30 s; shadow rules add
≤ 10 % to a transition's time." In its own database (DATABASE_URL, by default crm_bench_simulation;
bench/generate.py loads `--leads` leads there when it holds fewer, or when its transitions kept no context),
in one process, alternately:

(a) funnel.simulation.definitions.now_part with a proposed and an active criteria document (4 and 3 conditions)
    over every open lead, against one hand-written statement giving the same numbers (count(*) FILTER over
    leads_lead LEFT JOIN crm_company, totals and the four breakdowns by GROUPING SETS); the totals of both are
    compared, and the totals alone are timed against a hand-written totals-only statement too;
(b) funnel.simulation.rules.rule_simulate of an unsaved rule whose scope is every move (required_fields +
    min_score + definition_met MQL, round_robin into a team of 8, accept within 8 working hours), over a
    window reaching the first move; its refusal aggregate, routing replay and SLA part are timed apart;
(c) funnel.services.transitions.lead_transition moving distinct awareness leads to interest in-process, with
    two shadow rules on that move's scope (shadow) against the same rules in draft (not evaluated), in
    alternating blocks of 20 moves.

It writes its table between the simulation markers of bench/RESULTS.md and leaves the shadow rules in draft.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.database import bench_database_url  # noqa: E402

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_simulation"
LOAD_AT_START = os.getloadavg()
FACTS = ["budget", "authority", "need", "timeline"]
ACTIVE = {
    "conditions": [
        {"field": "score", "op": "gte", "value": 40},
        {"field": "email", "op": "present"},
        {"facts": FACTS, "at_least": 1},
    ]
}
PROPOSED = {
    "conditions": [
        {"field": "score", "op": "gte", "value": 35},
        {"field": "email", "op": "present"},
        {"field": "segment", "op": "in", "value": ["enterprise", "mid_market"]},
        {"facts": ["budget", "need", "timeline"], "at_least": 2},
    ]
}
# The same conditions written by hand over the lead and its company (the segment falls back to the company's).
LEAD_ROWS = """
SELECT l.id, l.source_campaign_id, l.owner_id, l.team_id,
       coalesce(nullif(l.segment, ''), nullif(c.segment, ''), '') AS segment,
       (l.score >= 40 AND l.email <> ''
        AND (l.has_budget IS TRUE)::int + (l.has_authority IS TRUE)::int + (l.has_need IS TRUE)::int
            + (l.has_timeline IS TRUE)::int >= 1) AS old,
       (l.score >= 35 AND l.email <> ''
        AND coalesce(nullif(l.segment, ''), nullif(c.segment, ''), '') IN ('enterprise', 'mid_market')
        AND (l.has_budget IS TRUE)::int + (l.has_need IS TRUE)::int + (l.has_timeline IS TRUE)::int >= 2) AS new
FROM leads_lead l LEFT JOIN crm_company c ON c.id = l.company_id
WHERE l.stage NOT IN ('purchase', 'lost')
"""
COUNTS = """count(*), count(*) FILTER (WHERE old), count(*) FILTER (WHERE new),
       count(*) FILTER (WHERE new AND NOT old), count(*) FILTER (WHERE old AND NOT new)"""
FLOOR_SQL = f"""
WITH l AS MATERIALIZED ({LEAD_ROWS})
SELECT GROUPING(segment, source_campaign_id, owner_id, team_id), segment, source_campaign_id, owner_id, team_id,
       {COUNTS}
FROM l GROUP BY GROUPING SETS ((), (segment), (source_campaign_id), (owner_id), (team_id))
"""
TOTALS_SQL = f"SELECT {COUNTS} FROM ({LEAD_ROWS}) l"
TOTAL_KEYS = ("leads", "qualify_active", "qualify_proposed", "newly_qualify", "stop_qualifying")
POOL = "Simulation bench pool"
WEIGHTS = ["0.5", "1", "1", "1", "1", "2", "2", "2"]
SHADOW_RULES = [
    {
        "name": "bench shadow: stricter MQL before interest",
        "from_stages": ["awareness"],
        "to_stages": ["interest"],
        "preconditions": [
            {"kind": "definition_met", "level": "MQL"},
            {"kind": "min_score", "score": 35},
            {"kind": "required_fields", "fields": ["phone"]},
        ],
        "escalations": [
            {
                "when": {"field": "expected_value", "op": "gte", "value": 1_000_000},
                "role": "revenue_leader",
                "action": "approve",
            }
        ],
    },
    {
        "name": "bench shadow: the pool takes interest",
        "from_stages": ["awareness"],
        "to_stages": ["interest"],
        "preconditions": [{"kind": "call_report_within_days", "days": 90}],
        "accept_within_hours": 24,
    },
]
BLOCK = 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--leads", type=int, default=1_000_000, help="generate this many leads if the database has fewer"
    )
    parser.add_argument("--runs", type=int, default=5, help="alternating runs of (a) (the median is reported)")
    parser.add_argument("--rule-runs", type=int, default=2, help="how many of those runs also replay the rule (b)")
    parser.add_argument("--moves", type=int, default=200, help="in-process moves per mode for (c)")
    parser.add_argument("--any-database", action="store_true", help="allow a database not named *bench*")
    parser.add_argument("--no-write", action="store_true", help="print the table without touching RESULTS.md")
    return parser.parse_args()


# ---- data and set-up -----------------------------------------------------------------------------------

_HAS_CONTEXT = """
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
    row = conn.execute("SELECT context IS NOT NULL FROM funnel_transition ORDER BY id DESC LIMIT 1").fetchone()
    print(bool(row and row[0]))
"""


def ensure_data(env: dict, leads: int) -> None:
    """run.py's loader, and a reload when the transitions were loaded before generate.py wrote contexts."""
    run.ensure_data(env, leads)
    result = subprocess.run([str(run.PYTHON), "-c", _HAS_CONTEXT], env=env, capture_output=True, text=True)
    if result.stdout.strip() == "True":
        return
    print("The transitions kept no context; reloading (bench/generate.py --reset) …", flush=True)
    run.migrate(env)
    generate = [str(run.PYTHON), "bench/generate.py", "--reset", "--leads", str(leads)]
    if subprocess.run(generate, cwd=ROOT, env=env).returncode != 0:
        sys.exit("bench/generate.py failed (see above).")


def ensure_pool() -> int:
    """The team of 8 the replayed rule routes into; returns its id."""
    from accounts.models import Team, User

    manager = User.objects.get(username="bench_manager1")
    team, _ = Team.objects.update_or_create(name=POOL, defaults={"function": "marketing", "manager": manager})
    for number, weight in enumerate(WEIGHTS, 1):
        User.objects.update_or_create(
            username=f"simulation_bench_{number}",
            defaults={"role": "marketer", "team": team, "manager": manager, "routing_weight": Decimal(weight)},
        )
    return team.pk


def ensure_shadow_rules(admin, team_id: int) -> list[int]:
    """The two shadow rules, created once in draft; returns their ids."""
    from funnel.models import HandoffRule
    from funnel.services.rules import handoff_rule_save
    from funnel.simulation.choices import RuleState

    ids = []
    for spec in SHADOW_RULES:
        rule = HandoffRule.objects.filter(name=spec["name"]).first()
        if rule is None:
            data = spec | {"is_active": False}
            if "accept_within_hours" in spec:
                data["routing"] = {"kind": "round_robin", "team": team_id}
            rule = handoff_rule_save(actor=admin, data=data)
            HandoffRule.objects.filter(pk=rule.pk).update(state=RuleState.DRAFT, is_active=False)
        ids.append(rule.pk)
    return ids


def set_shadow(admin, rule_ids: list[int], on: bool) -> None:
    from funnel.models import HandoffRule
    from funnel.services.rules import handoff_rule_state_set
    from funnel.simulation.choices import RuleState

    state = RuleState.SHADOW if on else RuleState.DRAFT
    for rule_id in rule_ids:
        if HandoffRule.objects.get(pk=rule_id).state != state:
            handoff_rule_state_set(actor=admin, rule_id=rule_id, to_state=state, note="bench/simulation.py")


# ---- (a) a definition over the current leads -----------------------------------------------------------


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def ours_definition() -> dict:
    from funnel.simulation.definitions import now_part

    return now_part(PROPOSED, ACTIVE)


def ours_totals() -> dict:
    """The totals aggregate of now_part alone (its first statement)."""
    from django.db.models import Count

    from funnel.simulation.definitions import CLOSED_STAGES, _count
    from leads.models import Lead
    from leads.scoring.sql import criteria_q, with_snapshot

    new, old = criteria_q(PROPOSED), criteria_q(ACTIVE)
    measures = {
        "leads": Count("id"),
        "qualify_active": _count(old),
        "qualify_proposed": _count(new),
        "newly_qualify": _count(new & ~old),
        "stop_qualifying": _count(old & ~new),
    }
    return with_snapshot(Lead.objects.exclude(stage__in=CLOSED_STAGES)).aggregate(**measures)


def floor_query(sql: str) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def floor_totals(rows: list[tuple]) -> dict:
    total = next(row for row in rows if row[0] == 15)  # GROUPING of the () set: every column aggregated away
    return dict(zip(TOTAL_KEYS, total[5:], strict=True))


# ---- (b) a rule over the past moves ---------------------------------------------------------------------


def replay_rule(team_id: int) -> tuple[dict, dict]:
    """rule_simulate's steps, each timed (the same calls in the same order), and its result."""
    from funnel.models import HandoffRule, Transition
    from funnel.simulation import rules

    now = datetime.now(UTC)
    first = Transition.objects.order_by("occurred_at").values_list("occurred_at", flat=True).first()
    window = (now - first).days + 1
    rule = HandoffRule(
        name="bench: every move, MQL and routed",
        preconditions=[
            {"kind": "required_fields", "fields": ["email"]},
            {"kind": "min_score", "score": 20},
            {"kind": "definition_met", "level": "MQL"},
        ],
        routing={"kind": "round_robin", "team": team_id},
        accept_within_hours=8,
    )
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    since = now - timedelta(days=window)
    moves = rules.moves_in_scope(rule, since)
    checks = rules.checks_for(rule, rules.active_definitions())
    (refused, passes), seconds["refusals"] = timed(rules.refusals, moves, checks)
    routing, seconds["routing"] = timed(rules.routing_spread, rule, moves, passes, since)
    sla, seconds["sla"] = timed(rules.sla_part, rule, moves, now)
    seconds["total"] = time.perf_counter() - started
    return {"window": window, "refusals": refused, "routing": routing, "sla": sla}, seconds


# ---- (c) a transition with shadow rules ----------------------------------------------------------------


def shadow_moves(admin, rule_ids: list[int], leads: list[int], moves: int) -> dict:
    """Per mode (off: both rules in draft; on: both in shadow), the milliseconds of each move and the queries
    of one, moving distinct awareness leads to interest; blocks of BLOCK moves alternate off, on, on, off …"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from funnel.models import ShadowResult
    from funnel.services.transitions import lead_transition
    from leads.models import Lead

    todo = iter(leads)

    def move(captured=None) -> float:
        lead = Lead.objects.only("id", "stage").get(pk=next(todo))  # as the API view reads it first
        started = time.perf_counter()
        if captured is None:
            lead_transition(lead=lead, to_stage="interest", actor=admin)
        else:
            with captured:
                lead_transition(lead=lead, to_stage="interest", actor=admin)
        return (time.perf_counter() - started) * 1000

    times: dict[str, list[float]] = {"off": [], "on": []}
    queries = {}
    recorded_before = ShadowResult.objects.count()
    for mode in ("off", "on"):
        set_shadow(admin, rule_ids, mode == "on")
        move()  # the configuration snapshot reloads on the first move after a change
        captured = CaptureQueriesContext(connection)
        move(captured)
        queries[mode] = [q["sql"] for q in captured.captured_queries]
    for block in range(2 * moves // BLOCK):
        mode = ("off", "on", "on", "off")[block % 4]
        set_shadow(admin, rule_ids, mode == "on")
        move()
        times[mode] += [move() for _ in range(BLOCK)]
    set_shadow(admin, rule_ids, False)
    return {"times": times, "queries": queries, "recorded": ShadowResult.objects.count() - recorded_before}


# ---- RESULTS.md ----------------------------------------------------------------------------------------


def _verdict(ok: bool, text: str) -> str:
    return f"met: {text}" if ok else f"**not met**: {text}"


def _definition_rows(a: dict) -> list[str]:
    ours, floor = statistics.median(a["ours"]), statistics.median(a["floor"])
    totals, hand = statistics.median(a["ours_totals"]), statistics.median(a["hand_totals"])
    ratio = ours / floor
    return [
        f"| (a) `now_part`: totals + 4 breakdowns over {a['leads']:,} open leads (5 statements) | {ours:.2f} s "
        f"| {floor:.2f} s (one GROUPING SETS statement) | ≤ 2 s and ≤ 2× hand-written "
        f"| {_verdict(ours <= 2 and ratio <= 2, f'{ours:.2f} s, {ratio:.2f}×')} |",
        f"| … its totals statement alone | {totals:.2f} s | {hand:.2f} s (`count(*) FILTER`, totals only) "
        f"| — | {totals / hand:.2f}× |",
    ]


def _rule_rows(b: dict) -> list[str]:
    if not b["seconds"]:  # --rule-runs 0
        return ["| (b) `rule_simulate` | not run (--rule-runs 0) | — | ≤ 30 s | — |"]
    part = {key: statistics.median(s[key] for s in b["seconds"]) for key in ("total", "refusals", "routing", "sla")}
    result = b["result"]
    refused, routing, sla = result["refusals"], result["routing"], result["sla"]
    replayed = sum((routing["would"] or {}).values())
    total = f"{part['total']:.1f} s"
    return [
        f"| (b) `rule_simulate` over {refused['moves']:,} past moves ({result['window']}-day window) "
        f"| {part['total']:.1f} s | — | ≤ 30 s | {_verdict(part['total'] <= 30, total)} |",
        f"| … refusal aggregate (3 checks; {refused['refused']:,} refused) | {part['refusals']:.1f} s | — | — | — |",
        f"| … routing replay ({refused['moves'] - refused['refused']:,} moves let through, the newest {replayed:,} "
        f"replayed, round-robin over 8) | {part['routing']:.1f} s "
        "| — | — | — |",
        f"| … SLA ({sla['handoffs']:,} handoffs, {sla['would_breach']:,} would breach 8 working hours) "
        f"| {part['sla']:.1f} s | — | — | — |",
    ]


def _shadow_rows(c: dict) -> list[str]:
    off, on = (statistics.median(c["times"][mode]) for mode in ("off", "on"))
    ratio = on / off
    change = f"+{(ratio - 1) * 100:.0f} %" if ratio >= 1 else f"{(ratio - 1) * 100:.0f} %"
    moves = len(c["times"]["on"])
    return [
        f"| (c) `lead_transition` awareness → interest, median of {moves} moves per mode | {on:.1f} ms with 2 shadow "
        f"rules | {off:.1f} ms with none | shadow adds ≤ 10 % | {_verdict(ratio <= 1.10, change)} |",
        f"| … queries per move (BEGIN/COMMIT included) | {len(c['queries']['on'])} | {len(c['queries']['off'])} "
        "| — | — |",
    ]


def render(a: dict, b: dict, c: dict, data: dict, machine: dict) -> str:
    return "\n".join(
        [
            "<!-- simulation:start -->",
            f"### Simulation (bench/simulation.py, {datetime.now(UTC):%Y-%m-%d %H:%M UTC})",
            "",
            f"Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory']} RAM, "
            f"{machine['postgres']}, "
            f"Python {machine['python']}. Data (own database): {data['leads']:,} leads, {data['transitions']:,} "
            f"transitions, each with the context a move keeps (bench/generate.py). 1-minute load average at the "
            f"start: {LOAD_AT_START[0]:.2f}, at the end: {os.getloadavg()[0]:.2f}. (a) ran {len(a['ours'])} times "
            f"alternating with its floor, (b) {len(b['seconds'])} times between them, (c) in alternating blocks of "
            f"{BLOCK} moves; medians. {c['recorded']:,} shadow results were recorded during (c).",
            "",
            "| Measure | Ours | Hand-written / baseline | Goal | Met? |",
            "| --- | ---: | ---: | --- | --- |",
            *_definition_rows(a),
            *_rule_rows(b),
            *_shadow_rows(c),
            "<!-- simulation:end -->",
        ]
    )


def write_results(block: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text()
    start, end = text.find("<!-- simulation:start -->"), text.find("<!-- simulation:end -->")
    if start != -1 and end != -1:
        text = text[:start] + block + text[end + len("<!-- simulation:end -->") :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


# ---- one command ---------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, team_id: int) -> tuple[dict, dict]:
    """(a) and (b), alternately: ours, the floor, the totals pair, and on the first --rule-runs runs the rule."""
    a: dict = {"ours": [], "floor": [], "ours_totals": [], "hand_totals": []}
    b: dict = {"seconds": []}
    ours_definition(), floor_query(FLOOR_SQL)  # warm-up: the lead table in the cache, plans
    for number in range(args.runs):
        order = ("ours", "floor") if number % 2 == 0 else ("floor", "ours")
        for who in order:
            if who == "ours":
                result, seconds = timed(ours_definition)
                a["ours"].append(seconds)
                totals, seconds = timed(ours_totals)
                a["ours_totals"].append(seconds)
            else:
                rows, seconds = timed(floor_query, FLOOR_SQL)
                a["floor"].append(seconds)
                _, seconds = timed(floor_query, TOTALS_SQL)
                a["hand_totals"].append(seconds)
        a["leads"] = result["totals"]["leads"]
        if result["totals"] != floor_totals(rows) or totals != result["totals"]:
            sys.exit(f"(a) disagrees: now_part {result['totals']}, by hand {floor_totals(rows)}")
        print(f"(a) run {number + 1}: ours {a['ours'][-1]:.2f} s, floor {a['floor'][-1]:.2f} s; {result['totals']}")
        if number < args.rule_runs:
            b["result"], seconds = replay_rule(team_id)
            b["seconds"].append(seconds)
            print(f"(b) run {number + 1}: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), flush=True)
    return a, b


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    args = parse_args()
    started = time.monotonic()
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-simulation-"))
    env, _ = run.server_env(workdir, bench_database_url(any_database=args.any_database, tool="simulation.py"))
    ensure_data(env, args.leads)
    print("Migrating …", flush=True)
    run.migrate(env)
    for key in set(os.environ) - set(env):
        del os.environ[key]
    os.environ.update(env)
    import django

    django.setup()
    from bench import prepare

    admin = prepare.ensure_admin()
    prepare.ensure_mql()
    prepare.ensure_rules(admin)
    team_id = ensure_pool()
    rule_ids = ensure_shadow_rules(admin, team_id)
    movable = prepare.movable_leads(2 * args.moves + 2 * (2 * args.moves // BLOCK) + 10)
    try:
        a, b = measure(args, team_id)
        c = shadow_moves(admin, rule_ids, movable, args.moves)
    finally:
        set_shadow(admin, rule_ids, False)
        run.clear_broker_queue(env)
    from funnel.models import Transition
    from leads.models import Lead

    data = {"leads": Lead.objects.count(), "transitions": Transition.objects.count()}
    block = render(a, b, c, data, run.machine_info(prepare.postgres_version()))
    print(block)
    for mode in ("off", "on"):
        print(f"\n-- queries of one move, shadow {mode} --\n" + "\n".join(q[:300] for q in c["queries"][mode]))
    if not args.no_write:
        write_results(block)
    print(f"Done in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
