"""The diagnostic's demo: three rounds of answers from both sides (marketing rates the relationship higher than
sales throughout; sales warms up first, marketing later), and the monthly assessments of the last half-year so
the trend shows.
Idempotent: nothing is added once the demo people have answered."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from funnel.diagnostic.models import DiagnosticResponse
from funnel.diagnostic.services import assessment_create, assessment_monthly_run, response_submit

# Each person's ratings of statements 1-20 in the first round; later rounds add the round's lift (capped at 5).
BASE = {
    "mia": [3, 3, 2, 4, 4, 3, 3, 3, 3, 3, 2, 3, 2, 3, 4, 3, 4, 1, 2, 3],
    "mark": [3, 3, 2, 3, 4, 2, 3, 3, 3, 3, 2, 3, 2, 3, 4, 3, 4, 1, 2, 2],
    "meg": [3, 2, 1, 3, 3, 2, 3, 2, 2, 3, 2, 3, 2, 2, 3, 3, 4, 1, 2, 2],
    "sam": [3, 2, 2, 2, 2, 3, 3, 2, 2, 2, 1, 2, 2, 2, 2, 2, 4, 1, 2, 2],
    "rob": [2, 2, 1, 2, 2, 3, 2, 2, 2, 2, 1, 2, 1, 2, 2, 2, 4, 1, 1, 2],
    "rae": [3, 2, 1, 2, 3, 3, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 4, 1, 2, 2],
    "sid": [3, 3, 2, 2, 3, 3, 3, 2, 2, 3, 1, 2, 2, 3, 2, 3, 4, 1, 2, 2],  # SDRs' team is shared: answers as sales
}
# (days ago, lift for marketing, lift for sales): sales warms up faster once joint meetings start.
ROUNDS = [(170, 0, 0), (100, 0, 1), (12, 1, 1)]
LIFTED = {1, 2, 4, 6, 7, 10, 12, 14, 16}  # what joint meetings and signed definitions change first
MONTHS = 6


def _ratings(person: str, lift: int) -> dict[str, int]:
    return {str(n): min(5, r + (lift if n in LIFTED else 0)) for n, r in enumerate(BASE[person], start=1)}


def _month_starts(today) -> list[datetime]:
    starts, day = [], today.replace(day=1)
    for _ in range(MONTHS):
        starts.append(timezone.make_aware(datetime.combine(day, time(6))))
        day = (day - timedelta(days=1)).replace(day=1)
    return sorted(starts)


@transaction.atomic
def seed_diagnostic(users: dict[str, User]) -> list[str]:
    people = [users[name] for name in BASE]
    if DiagnosticResponse.objects.filter(respondent__in=people).exists():
        return []
    now = timezone.now()
    for days_ago, marketing_lift, sales_lift in ROUNDS:
        for name in BASE:
            user = users[name]
            lift = marketing_lift if user.function == "marketing" else sales_lift
            chosen = None if user.function in ("marketing", "sales") else "sales"
            at = now - timedelta(days=days_ago, hours=len(name))
            response_submit(user=user, answers=_ratings(name, lift), function=chosen, now=at)
    for start in _month_starts(timezone.localdate()):
        if start <= now:  # on the 1st before six, this month's run is still to come
            assessment_monthly_run(now=start)
    latest = assessment_create(user=users["rita"], now=now)
    return [
        f"Integration diagnostic: {len(people)} people answered three times; now {latest.get_level_display().lower()} "
        f"(marketing {latest.marketing_mean}, sales {latest.sales_mean}, gap {latest.gap}) — see /diagnostic/."
    ]
