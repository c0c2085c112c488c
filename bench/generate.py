"""Loads a benchmark-sized funnel into DATABASE_URL (default: local crm_bench) with PostgreSQL COPY.

    .venv/bin/python bench/generate.py --reset                 1,000,000 leads, ~5 transitions each
    .venv/bin/python bench/generate.py --reset --leads 20000   a quick development set

Creates (when missing) five `bench …` teams with 40 owners (`bench_…` marketers, SDRs and sales reps) and
their managers, ~2,000 companies (every 20th a key account) and ~100 campaigns, then appends leads with a
consistent stage history and the handoffs those histories opened (see bench/datagen.py); every transition
carries the context the one door keeps (Transition.context). `--reset` first empties leads, transitions,
handoffs and everything hanging off them. Secondary indexes of the loaded tables are dropped and rebuilt inside
the loading transaction (a failure rolls everything back, indexes included); no trigger fires during the COPY,
and the foreign keys are checked set-based before the commit. The next batch is generated while PostgreSQL takes
the previous one.
"""

import argparse
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import bench_database_url
from bench.datagen import Batch, Generator, Refs

LEAD_COLUMNS = (
    "id, first_name, last_name, email, email_normalized, phone, title, company_name, segment, territory, "
    "industry, stage, stage_entered_at, owning_function, outcome_reason, expected_value, currency, has_budget, "
    "has_authority, has_need, has_timeline, score, created_at, updated_at, company_id, owner_id, "
    "source_campaign_id, team_id"
)
TRANSITION_COLUMNS = (
    "id, lead_id, from_stage, to_stage, occurred_at, reason, rule_results, definition_versions, actor_id, "
    "from_owner_id, to_owner_id, context"
)
HANDOFF_COLUMNS = (
    "id, lead_id, transition_id, from_function, to_function, from_owner_id, to_owner_id, to_team_id, status, "
    "created_at, accept_due_at, first_touch_due_at, first_touched_at, decided_at, decided_by_id, "
    "reject_reason_id, reject_note"
)
LOADED_TABLES = ("leads_lead", "funnel_transition", "funnel_handoff")
# Everything that hangs off a lead; CASCADE reaches the rest (participants, call reports, approvals, breaches).
RESET_TABLES = "leads_lead, funnel_transition, funnel_handoff, accounts_notification"
# name, function, [(role, how many)]
TEAMS = [
    ("bench Marketing EMEA", "marketing", [("marketer", 7)]),
    ("bench Marketing Americas", "marketing", [("marketer", 7)]),
    ("bench Sales development", "shared", [("sdr", 8)]),
    ("bench Sales EMEA", "sales", [("sales_rep", 9)]),
    ("bench Sales Americas", "sales", [("sales_rep", 9)]),
]
MANAGER_ROLE = {"marketing": "marketing_manager", "shared": "sales_manager", "sales": "sales_manager"}
OWNER_FUNCTION = {"marketer": "marketing", "sdr": "shared", "sales_rep": "sales"}
COMPANIES, CAMPAIGNS = 2000, 100
KEY_ACCOUNT_EVERY = 20  # 100 key accounts: the metrics slice them one by one
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Healthcare", "Finance", "Logistics", "Energy", "Education"]
TERRITORIES = ["EMEA", "NA-East", "NA-West", "LATAM", "APAC"]
SEGMENTS = ["enterprise", "mid_market", "smb", "smb"]
CHANNELS = [
    "email",
    "paid_search",
    "paid_social",
    "event",
    "webinar",
    "content",
    "partner",
    "trade_show",
    "direct_mail",
    "other",
]
WORDS = (  # noqa: SIM905 - a word list reads best as words
    "Acme Blue Cedar Delta Ember Falcon Granite Harbor Iris Juniper Kestrel Lumen Maple Nova Orbit Pine"
).split()


def connect(*, any_database: bool) -> psycopg.Connection:
    from config.env import database_from_url

    db = database_from_url("DATABASE_URL", bench_database_url(any_database=any_database, tool="generate.py"))
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"]}
    return psycopg.connect(**{k: v for k, v in params.items() if v}, port=db["PORT"] or None, **db["OPTIONS"])


@contextmanager
def phase(name: str):
    started = time.perf_counter()
    print(f"{name} …", end="", flush=True)
    yield
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


def ensure_people(cur: psycopg.Cursor) -> None:
    password = "!" + secrets.token_hex(20)  # Django's unusable-password form: nobody logs in as a bench owner
    user_sql = (
        "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined, role, title, phone, team_id, manager_id, routing_weight, routing_paused, time_zone) "
        "VALUES (%s, false, %s, %s, 'Bench', %s, false, true, now(), %s, '', '', %s, %s, 1, false, '') "
        "ON CONFLICT (username) DO NOTHING"
    )
    user_id = "SELECT id FROM accounts_user WHERE username = %s"
    cur.execute(
        user_sql, (password, "bench_leader", "Leader", "bench_leader@bench.example", "revenue_leader", None, None)
    )
    leader = cur.execute(user_id, ("bench_leader",)).fetchone()[0]
    for number, (name, function, members) in enumerate(TEAMS, start=1):
        cur.execute(
            "INSERT INTO accounts_team (name, function, time_zone, work_days, work_starts, work_ends) "
            "VALUES (%s, %s, 'UTC', '{0,1,2,3,4}', '09:00', '17:00') ON CONFLICT (name) DO NOTHING",
            (name, function),
        )
        team = cur.execute("SELECT id FROM accounts_team WHERE name = %s", (name,)).fetchone()[0]
        username = f"bench_manager{number}"
        cur.execute(
            user_sql, (password, username, "Manager", f"{username}@bench.example", MANAGER_ROLE[function], team, leader)
        )
        manager = cur.execute(user_id, (username,)).fetchone()[0]
        cur.execute("UPDATE accounts_team SET manager_id = %s WHERE id = %s", (manager, team))
        for role, count in members:
            for index in range(1, count + 1):
                username = f"bench_{role}{number}_{index}"
                cur.execute(
                    user_sql, (password, username, role.title(), f"{username}@bench.example", role, team, manager)
                )


def ensure_companies_and_campaigns(cur: psycopg.Cursor) -> None:
    cur.executemany(
        "INSERT INTO crm_company (name, domain, industry, segment, territory, employees, size_band, is_key_account, "
        "key_account_tier, created_at) VALUES (%s, %s, %s, %s, %s, %s, '', %s, %s, now()) "
        "ON CONFLICT (lower(domain)) WHERE NOT domain = '' DO NOTHING",
        [
            (
                f"{WORDS[n % 16]} {WORDS[n // 16 % 16]} {n}",
                f"{WORDS[n % 16].lower()}{n}.bench.example",
                INDUSTRIES[n % len(INDUSTRIES)],
                SEGMENTS[n % len(SEGMENTS)],
                TERRITORIES[n % len(TERRITORIES)],
                [5000, 800, 60, 15][n % 4] + n,
                n % KEY_ACCOUNT_EVERY == 0,
                (n // KEY_ACCOUNT_EVERY) % 3 + 1 if n % KEY_ACCOUNT_EVERY == 0 else None,
            )
            for n in range(COMPANIES)
        ],
    )
    marketers = [row[0] for row in cur.execute("SELECT id FROM accounts_user WHERE username LIKE 'bench\\_marketer%'")]
    cur.executemany(
        "INSERT INTO crm_campaign (name, channel, segments, status, starts_on, ends_on, owner_id, currency, "
        "requires_sales_preview, description, created_at) "
        "VALUES (%s, %s, ARRAY[%s], %s, current_date - %s, current_date - %s + 60, %s, 'USD', false, '', now()) "
        "ON CONFLICT (name) DO NOTHING",
        [
            (
                f"bench {CHANNELS[n % len(CHANNELS)]} campaign {n:02d}",
                CHANNELS[n % len(CHANNELS)],
                SEGMENTS[n % 3],
                ["completed", "active", "planned"][n % 3],
                700 - n * 11,
                700 - n * 11,
                marketers[n % len(marketers)],
            )
            for n in range(CAMPAIGNS)
        ],
    )


def load_refs(cur: psycopg.Cursor) -> Refs:
    owners: dict[str, list[tuple[int, int]]] = {"marketing": [], "shared": [], "sales": []}
    rows = cur.execute(
        "SELECT id, team_id, role FROM accounts_user WHERE username LIKE 'bench\\_%%' AND role = ANY(%s) ORDER BY id",
        (list(OWNER_FUNCTION),),
    )
    for user, team, role in rows:
        owners[OWNER_FUNCTION[role]].append((user, team))
    companies = cur.execute(
        "SELECT id, name, domain, industry, segment, territory, employees, size_band, is_key_account FROM crm_company "
        "WHERE domain LIKE '%.bench.example' ORDER BY id"
    ).fetchall()
    campaigns = [row[0] for row in cur.execute("SELECT id FROM crm_campaign WHERE name LIKE 'bench %' ORDER BY id")]
    return Refs(owners=owners, companies=companies, campaigns=campaigns)


def secondary_indexes(cur: psycopg.Cursor) -> list[tuple[str, str]]:
    """(name, definition) of the indexes that back no constraint (the primary and unique keys stay)."""
    return cur.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)",
        (list(LOADED_TABLES),),
    ).fetchall()


# (table, column, referenced table) of every key the loader writes; the rows loaded start at the first new lead.
REFERENCES = [
    ("leads_lead", "company_id", "crm_company"),
    ("leads_lead", "owner_id", "accounts_user"),
    ("leads_lead", "team_id", "accounts_team"),
    ("leads_lead", "source_campaign_id", "crm_campaign"),
    ("funnel_transition", "lead_id", "leads_lead"),
    ("funnel_transition", "to_owner_id", "accounts_user"),
    ("funnel_handoff", "transition_id", "funnel_transition"),
    ("funnel_handoff", "to_owner_id", "accounts_user"),
    ("funnel_handoff", "to_team_id", "accounts_team"),
]


def check_references(cur: psycopg.Cursor, first_lead: int) -> None:
    """What the skipped foreign-key triggers would have checked, one anti-join per key (the owners the
    transitions and handoffs come from are the same people as their to_owner); raises, rolling the load back."""
    lead = {"leads_lead": "id", "funnel_transition": "lead_id", "funnel_handoff": "lead_id"}
    for table, column, target in REFERENCES:
        missing = cur.execute(
            f"SELECT count(*) FROM {table} t WHERE t.{lead[table]} >= %s AND t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {target} r WHERE r.id = t.{column})",
            (first_lead,),
        ).fetchone()[0]
        if missing:
            raise RuntimeError(f"{missing:,} loaded {table} rows point at no {target} ({column})")


def next_id(cur: psycopg.Cursor, table: str) -> int:
    return cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]


def copy_rows(cur: psycopg.Cursor, table: str, columns: str, lines: list[str]) -> None:
    if lines:
        with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write("".join(lines))


def load(cur: psycopg.Cursor, generator: Generator, leads: int, batch_size: int) -> dict:
    ids = [next_id(cur, table) for table in LOADED_TABLES]
    totals = {"leads": 0, "transitions": 0, "handoffs": 0}
    stages: dict[str, int] = {}
    # While PostgreSQL takes one batch (a thread waiting on the socket), this process generates the next one.
    with ThreadPoolExecutor(max_workers=1) as copier:
        pending = None
        for start in range(0, leads, batch_size):
            batch = generator.batch(ids[0], min(batch_size, leads - start), ids[1], ids[2])
            if pending is not None:
                pending.result()
            pending = copier.submit(copy_batch, cur, batch)
            add_up(batch, totals, stages)
            ids = [ids[0] + len(batch.leads), ids[1] + len(batch.transitions), ids[2] + len(batch.handoffs)]
        if pending is not None:
            pending.result()
    return totals | {"stages": stages}


def copy_batch(cur: psycopg.Cursor, batch: Batch) -> None:
    copy_rows(cur, "leads_lead", LEAD_COLUMNS, batch.leads)
    copy_rows(cur, "funnel_transition", TRANSITION_COLUMNS, batch.transitions)
    copy_rows(cur, "funnel_handoff", HANDOFF_COLUMNS, batch.handoffs)


def add_up(batch: Batch, totals: dict, stages: dict) -> None:
    for key, lines in zip(totals, (batch.leads, batch.transitions, batch.handoffs), strict=True):
        totals[key] += len(lines)
    for stage, count in batch.stages.items():
        stages[stage] = stages.get(stage, 0) + count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000, help="how many leads to add (default 1,000,000)")
    parser.add_argument("--reset", action="store_true", help="empty leads, transitions, handoffs … first")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--batch", type=int, default=20_000, help="leads per COPY batch")
    parser.add_argument("--any-database", action="store_true", help="allow a database not named *bench*")
    parser.add_argument("--keep-indexes", action="store_true", help="load with every index in place")
    args = parser.parse_args()
    started = time.perf_counter()
    with connect(any_database=args.any_database) as conn, conn.cursor() as cur:
        with phase("Reference data (teams, owners, companies, campaigns)"):
            ensure_people(cur)
            ensure_companies_and_campaigns(cur)
            refs = load_refs(cur)
        if args.reset:
            with phase("Emptying leads, transitions, handoffs"):
                cur.execute(f"TRUNCATE {RESET_TABLES} RESTART IDENTITY CASCADE")
        conn.commit()
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET synchronous_commit = off")
        # No trigger fires during the load, foreign-key checks included: checked row by row they took most of the
        # load's time, and every id written comes from load_refs or from this load. check_references then
        # verifies the same keys set-based, before the commit.
        cur.execute("SET LOCAL session_replication_role = replica")
        dropped = [] if args.keep_indexes else secondary_indexes(cur)
        for name, _ in dropped:
            cur.execute(f"DROP INDEX {name}")
        # The per-owner stage counts (leads migration 0006) are recounted once after the load instead of being
        # adjusted a million times, one row at a time.
        first_lead = next_id(cur, "leads_lead")
        with phase(f"COPY {args.leads:,} leads with histories"):
            totals = load(cur, Generator(refs, args.seed, time.time()), args.leads, args.batch)
        with phase("Recounting leads per owner and stage"):
            cur.execute("SELECT leads_owner_stage_count_rebuild()")
        with phase(f"Rebuilding {len(dropped)} secondary indexes"):
            for _, definition in dropped:
                cur.execute(definition)
        with phase("Checking the references of the loaded rows"):
            check_references(cur, first_lead)
        with phase("Commit and reset sequences"):
            for table in LOADED_TABLES:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1), (SELECT COUNT(*) > 0 FROM {table}))"
                )
            conn.commit()
        conn.autocommit = True
        with phase("VACUUM ANALYZE"):
            for table in (
                *LOADED_TABLES,
                "leads_ownerstagecount",
                "crm_company",
                "crm_campaign",
                "accounts_user",
                "accounts_team",
            ):
                cur.execute(f"VACUUM (ANALYZE) {table}")
    stages = ", ".join(f"{stage} {count:,}" for stage, count in sorted(totals["stages"].items(), key=lambda i: -i[1]))
    print(
        f"Loaded {totals['leads']:,} leads, {totals['transitions']:,} transitions "
        f"({totals['transitions'] / max(1, totals['leads']):.2f} per lead), {totals['handoffs']:,} handoffs "
        f"in {time.perf_counter() - started:.0f} s.\nStages: {stages}"
    )


if __name__ == "__main__":
    main()
