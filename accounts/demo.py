"""The demo company's people: a team per function, a user of every role, a manager hierarchy."""

from django.db import transaction

from accounts.choices import Function, Role
from accounts.models import ApiToken, Team, User
from accounts.scopes import DEMO_INTEGRATION_SCOPES
from accounts.services import api_token_create

DEMO_PASSWORD = "demo-pass-2026"

# username, first, last, role, team, manager
PEOPLE = [
    ("admin", "Ada", "Admin", Role.ADMIN, "Revenue", None),
    ("rita", "Rita", "Reyes", Role.REVENUE_LEADER, "Revenue", None),
    ("sam", "Sam", "Sato", Role.SALES_MANAGER, "Sales", "rita"),
    ("mia", "Mia", "Moreau", Role.MARKETING_MANAGER, "Marketing", "rita"),
    ("rob", "Rob", "Romero", Role.SALES_REP, "Sales", "sam"),
    ("rae", "Rae", "Ruiz", Role.SALES_REP, "Sales", "sam"),
    ("sid", "Sid", "Singh", Role.SDR, "Sales development", "sam"),
    ("ned", "Ned", "Novak", Role.SDR, "Sales development", "sam"),
    ("tia", "Tia", "Tanaka", Role.SDR, "Sales development", "sam"),
    ("mark", "Mark", "Mendes", Role.MARKETER, "Marketing", "mia"),
    ("meg", "Meg", "Murphy", Role.MARKETER, "Marketing", "mia"),
    ("bot", "Website", "Sync", Role.INTEGRATION, "Revenue", None),
]
# Routing settings worth discussing: a senior SDR at twice the share, a new one at half, a cap on handoffs
# waiting for the rep who covers two territories.
ROUTING = {"sid": {"routing_weight": 2}, "ned": {"routing_weight": "0.5"}, "rae": {"routing_cap": 6}}
TEAMS = [
    ("Revenue", Function.SHARED, None, "rita"),
    ("Marketing", Function.MARKETING, "Revenue", "mia"),
    ("Sales", Function.SALES, "Revenue", "sam"),
    ("Sales development", Function.SHARED, "Revenue", "sam"),
]


@transaction.atomic
def seed_people() -> dict[str, User]:
    teams = {
        name: Team.objects.get_or_create(name=name, defaults={"function": function})[0]
        for name, function, _, _ in TEAMS
    }
    users: dict[str, User] = {}
    for username, first, last, role, team, _ in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.example",
                "role": role,
                "team": teams[team],
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user
    for username, *_, manager in PEOPLE:
        if manager:
            User.objects.filter(username=username).update(manager=users[manager])
    for name, _, parent, manager in TEAMS:
        Team.objects.filter(name=name).update(parent=teams[parent] if parent else None, manager=users[manager])
    for username, settings in ROUTING.items():
        User.objects.filter(username=username).update(**settings)
        users[username].refresh_from_db()
    return users


def seed_integration_token(bot: User) -> str | None:
    """Creates the demo integration's token once; returns its secret only when it was just made."""
    if ApiToken.objects.filter(user=bot).exists():
        return None
    _, plaintext = api_token_create(user=bot, name="Demo website sync", scopes=list(DEMO_INTEGRATION_SCOPES))
    return plaintext
