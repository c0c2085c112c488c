"""Import benchmark (issue 12): python3 bench/imports.py [--rows 100000] [--keep].

"A 100,000-row CSV import with dedupe and rules ≥ 2,000 rows/s end to end (against a bulk_create floor in
the same run)." In its own database (crm_bench_import, created here and dropped at the end unless --keep),
in one process with Celery eager, so the job runs as the worker would run it:

  setup   a marketer, a campaign, 5,000 leads already there, a handoff rule (min score 50 before interest);
  file    `--rows` rows: 90 % new people, 5 % the e-mail of a lead already there, 5 % an earlier row's e-mail
          again (another +tag and case); every row with a company (10,000 domains), a webinar touch, one in
          ten with a contact role; 200 rows ask for interest (refused by the rule, per row through the one
          door) and 100 for lost with a reason (moved through the one door);
  timed   the dry run, the import, and a rerun of the same file (everything a duplicate), each end to end
          through the job (parse, checks, dedupe, writes, the per-row report); then the floor: bulk_create
          of as many bare leads (their e-mails, names and owner, nothing else), 1,000 per transaction.

It prints the figures for bench/RESULTS.md ("Issue 12 — import").
"""

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402

DATABASE = "postgres://postgres@127.0.0.1:5432/crm_bench_import"
EXISTING = 5_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the database crm_bench_import afterwards.")
    parser.add_argument("--import-only", action="store_true", help="Time the import and the floor, not the dry run.")
    return parser.parse_args()


def _admin_sql(statement: str) -> None:
    import psycopg

    admin = DATABASE.replace(urlsplit(DATABASE).path, "/postgres", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)


def make_file(rows: int, seed: int = 12) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    out.write("First name,Last name,E-mail,Website,Role,Touch,When,Stage,Reason\n")
    new = rows - 2 * (rows // 20)
    emitted = []
    for n in range(rows):
        kind = n % 20
        if kind == 7 and n // 20 < EXISTING:
            email = f"existing{n // 20}@known.example"
        elif kind == 13 and emitted:
            email = rng.choice(emitted).upper().replace("@", "+again@")
        else:
            email = f"person{n}@company{n % 10_000}.example"
            emitted.append(email)
        stage, reason = "", ""
        if n % 500 == 1:
            stage = "interest"
        elif n % 1000 == 3:
            stage, reason = "lost", "Bought elsewhere"
        role = "influencer" if n % 10 == 5 else ""
        day = 1 + n % 28
        out.write(
            f"P{n},Person {n},{email},www.company{n % 10_000}.example,{role},webinar_attended,"
            f"2026-01-{day:02d}T10:00:00Z,{stage},{reason}\n"
        )
    assert new > 0
    return out.getvalue().encode()


MAPPING = {
    "First name": "lead.first_name",
    "Last name": "lead.last_name",
    "E-mail": "lead.email",
    "Website": "company.domain",
    "Role": "contact.buying_role",
    "Touch": "touch.kind",
    "When": "touch.occurred_at",
    "Stage": "lead.stage",
    "Reason": "lead.stage_reason",
}


def setup():
    from accounts.choices import Function, Role
    from accounts.models import Team, User
    from crm.models import Campaign
    from funnel.services.rules import handoff_rule_save
    from leads.imports.services import import_job_create

    team = Team.objects.create(name="Marketing", function=Function.MARKETING)
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN, team=team, is_superuser=True)
    marketer = User.objects.create(username="bench-marketer", role=Role.MARKETER, team=team)
    Campaign.objects.create(name="Bench webinar", channel="webinar", owner=marketer)
    handoff_rule_save(
        actor=admin,
        data={
            "name": "Score before interest",
            "to_stages": ["interest"],
            "preconditions": [{"kind": "min_score", "score": 50}],
        },
    )
    existing = "Last name,E-mail\n" + "".join(f"Known {n},existing{n}@known.example\n" for n in range(EXISTING))
    import_job_create(
        actor=marketer, content=existing.encode(), mapping={"Last name": "lead.last_name", "E-mail": "lead.email"},
        defaults={"lead.source_campaign": "Bench webinar"}, dry_run=False,
    )  # fmt: skip
    return marketer


def timed_job(marketer, content: bytes, dry_run: bool) -> tuple[float, dict]:
    from leads.imports.models import ImportJob
    from leads.imports.services import import_job_create

    started = time.perf_counter()
    job = import_job_create(
        actor=marketer, content=content, filename="bench.csv", mapping=MAPPING,
        defaults={"lead.source_campaign": "Bench webinar"}, dry_run=dry_run,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "done", job.error
    return elapsed, dict(job.counts)


def floor(marketer, rows: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from leads.models import Lead

    now = timezone.now()
    fields = {"stage": "awareness", "stage_entered_at": now, "created_at": now, "owning_function": "marketing"}
    fields |= {"owner": marketer, "team_id": marketer.team_id}
    leads = [
        Lead(
            first_name=f"F{n}",
            last_name=f"Floor {n}",
            email=f"floor{n}@floor.example",
            email_normalized=f"floor{n}@floor.example",
            **fields,
        )
        for n in range(rows)
    ]
    started = time.perf_counter()
    # One transaction per 1,000, as the import commits its chunks: in one transaction of 100,000 the trigger
    # keeping the owner-stage counts updates one row 100,000 times, each update walking the versions before it.
    for start in range(0, rows, 1000):
        with transaction.atomic():
            Lead.objects.bulk_create(leads[start : start + 1000])
    return time.perf_counter() - started


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="crm-bench-import-"))
    env, _ = run.server_env(workdir, DATABASE)
    env["CELERY_TASK_ALWAYS_EAGER"] = "true"
    env.pop("REDIS_URL", None)
    _admin_sql("DROP DATABASE IF EXISTS crm_bench_import")
    _admin_sql("CREATE DATABASE crm_bench_import")
    try:
        print("Migrating …", flush=True)
        run.migrate(env)
        os.environ.clear()
        os.environ.update(env)
        import django

        django.setup()
        import funnel.tasks  # noqa: F401  (the tasks the outbox names, as a worker has them)

        marketer = setup()
        content = make_file(args.rows)
        figures = {}
        runs = (("import", False),) if args.import_only else (("dry run", True), ("import", False), ("rerun", False))
        for name, dry in runs:
            seconds, counts = timed_job(marketer, content, dry)
            figures[name] = (seconds, counts)
            print(f"{name:8} {seconds:7.1f} s  {args.rows / seconds:7.0f} rows/s  {counts}", flush=True)
        seconds = floor(marketer, args.rows)
        figures["floor"] = (seconds, {})
        print(f"floor    {seconds:7.1f} s  {args.rows / seconds:7.0f} rows/s  (bulk_create of bare leads)")
        from bench import prepare

        print(run.machine_info(prepare.postgres_version()), f"file {len(content) / 1e6:.1f} MB")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _admin_sql("DROP DATABASE IF EXISTS crm_bench_import")
            print("Dropped crm_bench_import.")
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__":
    main()
