"""What the audit trail costs a transition: python3 bench/audit.py [--moves 200] [--rounds 3].

In-process, in the database DATABASE_URL names (migrated; a scratch one — it adds a small company), it moves
`--moves` fresh awareness leads to interest through the API (POST /api/v1/leads/{id}/transition/, a session
user, the whole middleware stack) in three modes, interleaved over `--rounds` rounds so each sees the same
background load, and prints the median milliseconds per move of each:

- off: the audit triggers on leads_lead disabled and pghistory's middleware removed (no context);
- triggers: the triggers on (every move writes a lead event with its diff), no request context;
- full: triggers and the middleware's context (user and path on every writing statement), as in production.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import override_settings  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from leads.models import Lead  # noqa: E402
from tests.conftest import build_people, build_teams, lead_maker  # noqa: E402

MIDDLEWARE = "audit.middleware.AuditContextMiddleware"


def _audit_triggers(enabled: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'leads_lead'::regclass AND tgname LIKE 'pgtrigger_%%'"
        )
        names = [row[0] for row in cursor.fetchall()]
        for name in names:
            cursor.execute(f'ALTER TABLE leads_lead {"ENABLE" if enabled else "DISABLE"} TRIGGER "{name}"')


def _people() -> dict:
    """The small company of the tests, made once in this database."""
    from accounts.models import User

    if not User.objects.filter(username="marketer").exists():
        return build_people(build_teams())
    return {"admin": User.objects.get(username="admin"), "marketer": User.objects.get(username="marketer")}


def _time_moves(client: APIClient, leads: list[Lead]) -> tuple[float, float]:
    """(wall ms, this process's CPU ms) per move: CPU shows the context's Python cost through a shared machine's
    noise; the wall time includes PostgreSQL's (the triggers)."""
    started, cpu = time.perf_counter(), time.process_time()
    for lead in leads:
        answer = client.post(f"/api/v1/leads/{lead.pk}/transition/", {"to_stage": "interest"}, format="json")
        assert answer.status_code == 201, answer.content
    return (time.perf_counter() - started) * 1000 / len(leads), (time.process_time() - cpu) * 1000 / len(leads)


def _time_sql(statement: str, enabled: bool) -> float:
    """Milliseconds of one statement over the leads, rolled back, with the audit triggers on or off."""
    with transaction.atomic():
        _audit_triggers(enabled=enabled)
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(statement)
            elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    people = _people()
    make_lead = lead_maker(people)
    without_context = [item for item in settings.MIDDLEWARE if item != MIDDLEWARE]
    figures: dict[str, list[tuple[float, float]]] = {"off": [], "triggers": [], "full": []}
    try:
        for _ in range(args.rounds):
            for mode in figures:
                leads = [make_lead(email=f"{uuid.uuid4().hex}@bench.example") for _ in range(args.moves)]
                _audit_triggers(enabled=mode != "off")
                with override_settings(MIDDLEWARE=settings.MIDDLEWARE if mode == "full" else without_context):
                    client = APIClient()  # a new client loads the middleware of the mode
                    client.force_login(people["marketer"])
                    figures[mode].append(_time_moves(client, leads))
    finally:
        _audit_triggers(enabled=True)
    off = [statistics.median(run[part] for run in figures["off"]) for part in (0, 1)]
    for mode, runs in figures.items():
        wall, cpu = (statistics.median(run[part] for run in runs) for part in (0, 1))
        print(
            f"{mode:9} wall {wall:6.2f} ms/move (+{(wall / off[0] - 1) * 100:4.1f} %)"
            f"  cpu {cpu:6.2f} ms/move (+{(cpu / off[1] - 1) * 100:4.1f} %)"
        )
    leads = Lead.objects.count()
    for label, statement in (
        ("score-only update of every lead", "UPDATE leads_lead SET score = 100 - score"),
        ("tracked-field update of every lead", "UPDATE leads_lead SET title = title || '.'"),
    ):
        timings = {on: statistics.median(_time_sql(statement, on) for _ in range(3)) for on in (False, True)}
        print(f"{label} ({leads} leads): triggers off {timings[False]:.1f} ms, on {timings[True]:.1f} ms")


if __name__ == "__main__":
    main()
