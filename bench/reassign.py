"""Reassignment benchmark (issue 9): python3 bench/reassign.py [--leads 10000] [--runs 3].

On the 1M-lead bench database it takes the person owning the most leads in one function, and times giving
`--leads` of their leads to a teammate through funnel.services.reassign.leads_reassign — locks, the owner
UPDATE, a history row per lead, pending handoffs following — then gives them back (also timed), `--runs`
times. Goal: ≤ 10 s for 10,000 leads with every history row written. Prints a table row for bench/RESULTS.md.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.marketing import django_setup, ensure_schema_and_leads, setup_environment  # noqa: E402


def main() -> None:
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        os.execv(venv / "bin" / "python", [str(venv / "bin" / "python"), __file__, *sys.argv[1:]])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--any-database", action="store_true")
    args = parser.parse_args()
    setup_environment(args.any_database)
    ensure_schema_and_leads(1_000_000)
    django_setup()

    from django.db.models import Count

    from accounts.models import User
    from funnel.models import Reassignment
    from funnel.services.reassign import leads_reassign
    from leads.models import Lead

    top = (
        Lead.objects.exclude(owner=None)
        .values("owner", "owning_function")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    owner = User.objects.get(pk=top["owner"])
    mate = User.objects.filter(team=owner.team, is_active=True).exclude(pk=owner.pk).exclude(role="integration")
    mate = mate.order_by("id").first()
    actor = User.objects.get(username="bench_leader")
    ids = list(
        Lead.objects.filter(owner=owner, owning_function=top["owning_function"])
        .order_by("id")
        .values_list("pk", flat=True)[: args.leads]
    )
    timings = []
    for run in range(args.runs):
        for giver, taker in ((owner, mate), (mate, owner)):
            before = Reassignment.objects.count()
            started = time.perf_counter()
            done = leads_reassign(actor=actor, to_owner=taker, lead_ids=ids, reason=f"bench run {run + 1}")
            timings.append(time.perf_counter() - started)
            assert done.leads == len(ids) and Reassignment.objects.count() == before + len(ids), done
            print(f"  run {run + 1}: {giver.username} → {taker.username}: {timings[-1]:.2f} s ({done.leads:,} leads)")
    median = statistics.median(timings)
    verdict = "met" if median <= 10 else "**not met**"
    print(
        f"| Reassign {len(ids):,} leads of one person, with a history row each | {median:.2f} s "
        f"(max {max(timings):.2f}) | — | ≤ 10 s | {verdict} |"
    )


if __name__ == "__main__":
    main()
