"""Builds the demo company: people, customers, and (as the product grows) the funnel story.

Safe to run again: every part is created once and left alone on later runs.
"""

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, PEOPLE, seed_integration_token, seed_people
from crm.demo import seed_companies
from funnel.demo import STORY, seed_funnel
from funnel.demo_marketing import seed_marketing
from funnel.demo_metrics import seed_metric_snapshots, seed_metric_year
from funnel.demo_sales import seed_sales
from funnel.demo_simulation import seed_simulations
from funnel.diagnostic.demo import seed_diagnostic
from funnel.targets.demo import seed_targets


class Command(BaseCommand):
    help = "Load the demo company (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--without-metric-year",
            action="store_true",
            help="Leave out the year of funnel history and its metric snapshots (tests of the other stories).",
        )

    def handle(self, *args, **options):
        users = seed_people()
        companies = seed_companies()
        leads = seed_funnel(users)
        marketing = seed_marketing(users)
        sales = seed_sales(users)
        with_year = not options["without_metric_year"]
        # Before the simulations, the target and the diagnostic, which read the history.
        year = seed_metric_year(users) if with_year else []
        simulations = seed_simulations(users)
        targets = seed_targets(users)
        if with_year:
            seed_metric_snapshots()  # after the target: its attainment is one of the metrics
        diagnostic = seed_diagnostic(users)  # last: it assesses the evidence the other parts left
        self.stdout.write(f"Demo data: {len(users)} users, {len(companies)} companies, {leads} new leads.")
        token = seed_integration_token(users["bot"])
        if token:
            self.stdout.write(
                f"Demo integration token for user 'bot' (shown once; every scope but audit:read): {token}"
            )
        for line in [*STORY, *marketing, *sales, *year, *simulations, *targets, *diagnostic]:
            self.stdout.write(line)
        self.stdout.write(f"Demo logins (every password is {DEMO_PASSWORD!r}):")
        for username, first, last, role, team, _ in PEOPLE:
            self.stdout.write(f"  {username:<6} {first} {last}, {role.label} ({team})")
