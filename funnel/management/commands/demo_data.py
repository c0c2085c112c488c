"""Builds the demo company: people, customers, and (as the product grows) the funnel story.

Safe to run again: every part is created once and left alone on later runs.
"""

from django.core.management.base import BaseCommand

from accounts.demo import DEMO_PASSWORD, PEOPLE, seed_integration_token, seed_people
from crm.demo import seed_companies
from funnel.demo import STORY, seed_funnel
from funnel.demo_marketing import seed_marketing
from funnel.demo_sales import seed_sales
from funnel.demo_simulation import seed_simulations


class Command(BaseCommand):
    help = "Load the demo company (idempotent)."

    def handle(self, *args, **options):
        users = seed_people()
        companies = seed_companies()
        leads = seed_funnel(users)
        marketing = seed_marketing(users)
        sales = seed_sales(users)
        simulations = seed_simulations(users)
        self.stdout.write(f"Demo data: {len(users)} users, {len(companies)} companies, {leads} new leads.")
        token = seed_integration_token(users["bot"])
        if token:
            self.stdout.write(f"Demo integration token for user 'bot' (shown once): {token}")
        for line in [*STORY, *marketing, *sales, *simulations]:
            self.stdout.write(line)
        self.stdout.write(f"Demo logins (every password is {DEMO_PASSWORD!r}):")
        for username, first, last, role, team, _ in PEOPLE:
            self.stdout.write(f"  {username:<6} {first} {last}, {role.label} ({team})")
