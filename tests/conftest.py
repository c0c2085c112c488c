"""Fixtures shared by every test: a small company (teams, one user per role) and a client per role and auth mode."""

import importlib
import os
import uuid

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.choices import Function, Role
from accounts.scopes import ALL_SCOPES
from accounts.services import api_token_create
from config.celery import app as celery_app
from funnel.models import LeadDefinition
from funnel.services.definitions import definition_version_propose, definition_version_sign_off
from funnel.services.intake import lead_create
from funnel.services.rules import handoff_rule_save
from tests.accounts.factories import TeamFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# Tasks scheduled on commit run in the test process: a test never leaves messages on a shared broker that
# some other worker could pick up against another database.
celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # Production hashing costs ~0.3 s a user; tests create many users and never attack their passwords.
    # Session-wide, so the worlds that module-scoped fixtures build (the fuzz test's) hash fast too.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _api_edge_out_of_reach():
    """The suite and the fuzzer send thousands of requests as one person: rate limits out of reach (the limiter's
    own tests lower them). Each run and xdist worker gets its own prefix in the shared Redis, so idempotency keys
    and counters of an earlier run or another worker, whose user ids repeat, are never read."""
    prefix = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:12]}"
    high = "1000000/min"
    limits = {"API_RATE_LIMIT_USER": high, "API_RATE_LIMIT_TOKEN": high, "API_RATE_LIMIT_ANON": high}
    with override_settings(SHARED_STORE_PREFIX=prefix, **limits):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """A throwaway test database need not wait for the disk at each commit (~6 ms each here, paid by every
    transactional test's write, flush and live-server request). Visibility, locks and constraints are unchanged:
    only durability after a server crash goes. ALTER DATABASE reaches the connections opened later (live
    server threads, the Celery worker subprocess); SET reaches the one already open."""
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        name = connection.ops.quote_name(connection.settings_dict["NAME"])
        cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit TO off")
        cursor.execute("SET synchronous_commit TO off")


def build_teams() -> dict:
    revenue = TeamFactory(name="Revenue", function=Function.SHARED)
    return {
        "revenue": revenue,
        "marketing": TeamFactory(name="Marketing", function=Function.MARKETING, parent=revenue),
        "sales": TeamFactory(name="Sales", function=Function.SALES, parent=revenue),
        "sdr": TeamFactory(name="Sales development", function=Function.SHARED, parent=revenue),
    }


def build_people(teams: dict) -> dict:
    """One user per role, wired into the manager hierarchy the demo company uses."""
    leader = UserFactory(username="leader", role=Role.REVENUE_LEADER, team=teams["revenue"])
    sales_manager = UserFactory(username="salesmgr", role=Role.SALES_MANAGER, team=teams["sales"], manager=leader)
    marketing_manager = UserFactory(
        username="mktmgr", role=Role.MARKETING_MANAGER, team=teams["marketing"], manager=leader
    )
    teams["sales"].manager = sales_manager
    teams["sales"].save()
    teams["marketing"].manager = marketing_manager
    teams["marketing"].save()
    return {
        "leader": leader,
        "sales_manager": sales_manager,
        "marketing_manager": marketing_manager,
        "rep": UserFactory(username="rep", role=Role.SALES_REP, team=teams["sales"], manager=sales_manager),
        "rep2": UserFactory(username="rep2", role=Role.SALES_REP, team=teams["sales"], manager=sales_manager),
        "sdr": UserFactory(username="sdr", role=Role.SDR, team=teams["sdr"], manager=sales_manager),
        "marketer": UserFactory(
            username="marketer", role=Role.MARKETER, team=teams["marketing"], manager=marketing_manager
        ),
        "admin": UserFactory(
            username="admin", role=Role.ADMIN, team=teams["revenue"], is_staff=True, is_superuser=True
        ),
        "integration": UserFactory(username="integration", role=Role.INTEGRATION, team=teams["revenue"]),
    }


@pytest.fixture
def teams(db):
    return build_teams()


@pytest.fixture
def people(teams):
    return build_people(teams)


@pytest.fixture
def client_for():
    """client_for(user) → an API client logged in with a session, as the web UI is."""

    def make(user):
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api(client_for):
    """client_for, speaking JSON without saying format="json" on every call."""

    def make(user):
        client = client_for(user)
        client.default_format = "json"
        return client

    return make


@pytest.fixture
def token_client_for():
    """token_client_for(user, scopes) → an API client that sends a real Bearer token (every scope by default)."""

    def make(user, scopes=ALL_SCOPES):
        _, plaintext = api_token_create(user=user, name="test", scopes=list(scopes))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
        return client

    return make


@pytest.fixture
def funnel_defaults(transactional_db):
    """Transactional tests flush the database after each test, data-migration rows included: put them back."""
    from django.apps import apps

    from funnel.models import Stage

    if not Stage.objects.exists():
        importlib.import_module("funnel.migrations.0002_funnel_defaults").forwards(apps, None)


@pytest.fixture
def anonymous_client():
    return APIClient()


@pytest.fixture
def redis_url():
    """A reachable Redis: skipped with the reason outside CI, a failure in CI (where Redis must be there)."""
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis at {url} is unreachable ({exc})"
        if IN_CI:
            pytest.fail(f"{message}; CI must provide Redis.")
        pytest.skip(message)
    return url


def signer(people: dict):
    """signer(people)("MQL", criteria) → an active version signed by the marketing and the sales manager."""

    def make(code, criteria):
        definition = LeadDefinition.objects.get(code=code)
        version = definition_version_propose(definition=definition, criteria=criteria, proposed_by=people["marketer"])
        definition_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
        return definition_version_sign_off(version_id=version.pk, user=people["sales_manager"])

    return make


def lead_maker(people: dict):
    """lead_maker(people)(owner=None, **fields) → a captured lead (owned by the marketer unless told)."""
    counter = iter(range(1, 10_000))

    def make(owner=None, **fields):
        n = next(counter)
        data = {"last_name": f"Lead {n}", "email": f"lead{n}@buyer{n}.example", **fields}
        return lead_create(actor=people["admin"], data=data, owner=owner or people["marketer"])

    return make


def rule_maker(people: dict):
    """rule_maker(people)(name, **fields) → a saved HandoffRule (validated the way the API and admin validate)."""

    def make(name, **fields):
        return handoff_rule_save(actor=people["admin"], data={"name": name, **fields})

    return make


def leader_escalation(action: str, at_least: int) -> list[dict]:
    """A rule's escalations: the revenue leader is involved in, or approves, a move once expected_value ≥ at_least."""
    when = {"field": "expected_value", "op": "gte", "value": at_least}
    return [{"when": when, "role": "revenue_leader", "action": action}]


@pytest.fixture
def signed(people):
    return signer(people)


@pytest.fixture
def make_lead(people):
    return lead_maker(people)


@pytest.fixture
def rule(people):
    return rule_maker(people)


@pytest.fixture(autouse=True, scope="session")
def _reads_on_the_primary():
    """A replica named by DATABASE_REPLICA_URL copies some primary, not necessarily this run's test database, and
    lags behind it: tests read the primary. tests/config/test_replica.py builds a real replica of the test
    database and adds the alias itself."""
    from django.db import connections

    connections.settings.pop("replica", None)
    yield


@pytest.fixture(autouse=True, scope="session")
def _cache_of_this_worker():
    """`run.py test` runs pytest-xdist workers side by side, each with its own test database but one Redis: each
    worker's cache keys get their own prefix, so one never reads (or clears) a report built from another's data.
    Set in the handler's settings, which every thread's (a live server's too) connection is made from; this
    thread's connection, made already, is dropped so that it is made again with the prefix."""
    from django.core.cache import caches

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        caches.settings["default"]["KEY_PREFIX"] = f"test-{worker}"
        if hasattr(caches._connections, "default"):
            del caches["default"]
    yield


@pytest.fixture(autouse=True)
def _fresh_campaign_report():
    """The campaign list's cached report lives in Redis, across tests: each test starts without one."""
    from django.core.cache import cache

    from funnel.attribution.weights import MODELS

    cache.delete_many([f"campaign-performance:{model}" for model in MODELS])
    yield
