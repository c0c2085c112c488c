"""Django-side set-up for bench/run.py, printed as one JSON object on stdout:

- an administrator `bench_admin` and a fresh read+write API token (earlier bench tokens are revoked);
- handoff rules and a signed-off MQL definition, so a transition evaluates real rules (made once, through the
  product's services);
- the inputs of the measured requests: an owner to filter on, the cursor of the page at position ~500,000,
  and awareness leads that pass the rules, for the transition run.

Run by run.py as `python -m bench.prepare --movable N` with DJANGO_SETTINGS_MODULE=bench.bench_settings.
"""

import argparse
import base64
import json
from urllib.parse import urlencode

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402

from accounts.models import ApiToken, User  # noqa: E402
from accounts.scopes import ALL_SCOPES  # noqa: E402
from accounts.services import api_token_create, api_token_revoke  # noqa: E402
from funnel.models import HandoffRule, LeadDefinition, LeadDefinitionVersion, Transition  # noqa: E402
from funnel.services.definitions import definition_version_propose, definition_version_sign_off  # noqa: E402
from funnel.services.rules import handoff_rule_save  # noqa: E402
from leads.choices import VersionStatus  # noqa: E402
from leads.models import Lead  # noqa: E402

MQL_MIN_SCORE = 20
MQL_CRITERIA = {
    "conditions": [
        {"field": "score", "op": "gte", "value": MQL_MIN_SCORE},
        {"field": "email", "op": "present"},
    ]
}
DEEP_POSITION = 500_000
BIG_DEAL = {"field": "expected_value", "op": "gte", "value": 5_000_000}


def bench_rules(sdr_team: int, sales_team: int) -> list[dict]:
    """Rules of engagement shaped like a real configuration: a gate per handoff, routing, an escalation."""
    involve_leader = {"when": BIG_DEAL, "role": "revenue_leader", "action": "involve"}
    return [
        {
            "name": "bench: MQL before interest",
            "from_stages": ["awareness"],
            "to_stages": ["interest"],
            "preconditions": [{"kind": "definition_met", "level": "MQL"}, {"kind": "min_score", "score": 10}],
            "escalations": [involve_leader],
        },
        {
            "name": "bench: contact data for every move",
            "preconditions": [{"kind": "required_fields", "fields": ["email"]}],
            "escalations": [{"when": {**BIG_DEAL, "value": 20_000_000}, "role": "revenue_leader", "action": "approve"}],
            "priority": 200,
        },
        {
            "name": "bench: SDR takes consideration",
            "from_stages": ["interest", "nurture"],
            "to_stages": ["consideration"],
            "routing": {"kind": "round_robin", "team": sdr_team},
            "accept_within_hours": 24,
        },
        {
            "name": "bench: sales takes intent",
            "from_stages": ["consideration"],
            "to_stages": ["intent"],
            "preconditions": [{"kind": "call_report_within_days", "days": 30}],
            "routing": {"kind": "round_robin", "team": sales_team},
            "accept_within_hours": 48,
            "first_touch_within_hours": 24,
        },
    ]


def ensure_admin() -> User:
    admin, _ = User.objects.get_or_create(
        username="bench_admin", defaults={"role": "admin", "first_name": "Bench", "last_name": "Admin"}
    )
    if admin.role != "admin":
        admin.role = "admin"
        admin.save(update_fields=["role"])
    return admin


def ensure_mql() -> None:
    if LeadDefinitionVersion.objects.filter(definition__code="MQL", status=VersionStatus.ACTIVE).exists():
        return
    marketing = User.objects.get(username="bench_manager1")  # marketing manager (bench/generate.py)
    sales = User.objects.get(username="bench_manager4")  # sales manager
    version = definition_version_propose(
        definition=LeadDefinition.objects.get(code="MQL"),
        criteria=MQL_CRITERIA,
        proposed_by=marketing,
        note="bench: score and a way to reach them",
    )
    definition_version_sign_off(version_id=version.pk, user=marketing, side="marketing")
    definition_version_sign_off(version_id=version.pk, user=sales, side="sales")


def ensure_rules(admin: User) -> None:
    sdr = User.objects.get(username="bench_manager3").team_id
    sales = User.objects.get(username="bench_manager4").team_id
    for data in bench_rules(sdr, sales):
        if not HandoffRule.objects.filter(name=data["name"]).exists():
            handoff_rule_save(actor=admin, data=data)


def fresh_token(admin: User) -> str:
    for token in ApiToken.objects.filter(user=admin, revoked_at__isnull=True):
        api_token_revoke(token=token)
    _, plaintext = api_token_create(user=admin, name="bench run", scopes=list(ALL_SCOPES))
    return plaintext


def deep_cursor(total: int) -> tuple[int, str]:
    """DRF's cursor for the page after position min(500,000, half the table) of the -id ordering: a base64
    of the querystring p=<last id seen> (rest_framework.pagination.CursorPagination.encode_cursor)."""
    position = min(DEEP_POSITION, max(1, total // 2))
    last_seen = Lead.objects.order_by("-id").values_list("id", flat=True)[position - 1]
    return position, base64.b64encode(urlencode({"p": str(last_seen)}).encode()).decode()


def movable_leads(count: int) -> list[int]:
    """Awareness leads the bench rules let move to interest (MQL met, no pending handoff)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.id FROM leads_lead l WHERE l.stage = 'awareness' AND l.score >= %s AND l.email <> '' "
            "AND NOT EXISTS (SELECT 1 FROM funnel_handoff h WHERE h.lead_id = l.id AND h.status = 'pending') "
            "ORDER BY l.id DESC LIMIT %s",
            [MQL_MIN_SCORE, count],
        )
        return [row[0] for row in cursor.fetchall()]


def signed_in(user: User) -> str:
    """A session key of `user` signed in, as the browser's sessionid cookie would carry it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def postgres_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--movable", type=int, default=60_000, help="awareness leads to hand to the transition run")
    args = parser.parse_args()
    total = Lead.objects.count()
    if not total:
        raise SystemExit("prepare: no leads; load some first with bench/generate.py")
    admin = ensure_admin()
    ensure_mql()
    ensure_rules(admin)
    owner = Lead.objects.values("owner").annotate(n=Count("id")).order_by("-n").first()
    rep = User.objects.get(pk=owner["owner"])
    position, cursor = deep_cursor(total)
    print(
        json.dumps(
            {
                "token": fresh_token(admin),
                "leads": total,
                "transitions": Transition.objects.count(),
                "postgres": postgres_version(),
                "owner": owner["owner"],
                "owner_leads": owner["n"],
                "deep_position": position,
                "deep_cursor": cursor,
                "movable": movable_leads(args.movable),
                # The web pages as the biggest owner signs in, and as that person's manager.
                "sessions": {"rep": signed_in(rep), "manager": signed_in(rep.manager or admin)},
            }
        )
    )


if __name__ == "__main__":
    main()
