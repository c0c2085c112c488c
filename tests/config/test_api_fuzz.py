"""Schemathesis fuzzes every operation of the project's own schema, in-process, as five identities, and
requires: no 5xx, every response matches its documented schema, status code and content type.

Path ids are drawn half the time from objects that exist in the test's world (leads at every stage, a pending
handoff, an approval request, proposals, rules, tokens, notifications), so the fuzzer reaches the services and
not only the 404 path. A value the database refuses and the edge let through would abort the test's
transaction and fail every later example — and the safety net's warning is failed on explicitly too.

FUZZ_EXAMPLES (default 12) sets examples per operation and identity; FUZZ_RANDOM=1 explores beyond the fixed
seed that CI uses; FUZZ_PATH (a regex) limits the run to matching paths.
"""

import json
import logging
import os
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken, Notification, OutOfOffice
from accounts.scopes import ALL_SCOPES
from accounts.services import api_token_create
from config.wsgi import application
from funnel.models import ApprovalRequest, Handoff, HandoffRule, LeadDefinition, LeadDefinitionVersion
from funnel.routing.absences import absence_set
from funnel.services.approvals import approval_request_create
from funnel.services.definitions import definition_version_propose
from leads.models import Lead
from tests.conftest import build_people, build_teams, lead_maker, leader_escalation, rule_maker, signer
from tests.funnel.conftest import SQL, move

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
IDENTITIES = ["anonymous", "rep", "marketer", "sales_manager", "integration"]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(SchemaGenerator().get_schema(public=True), default=str)))
schema.app = application
if os.environ.get("FUZZ_PATH"):  # e.g. FUZZ_PATH='^/api/v1/leads/$' while working on one endpoint
    schema = schema.include(path_regex=os.environ["FUZZ_PATH"])

# Ids of the current test's world, by the first segment of the path that names them (filled by `world`).
KNOWN: dict[str, list] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    segment = context.operation.path.split("/")[3]
    ids = KNOWN.get(segment)
    if not ids or not path_parameters or "id" not in path_parameters:
        return st.just(path_parameters)
    real = st.sampled_from(range(len(ids))).map(lambda n: {**path_parameters, "id": KNOWN[segment][n]})
    return st.one_of(st.just(path_parameters), real)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end; each test's own
    transaction nests inside it as a savepoint, so every test starts from this same world."""
    with django_db_blocker.unblock(), transaction.atomic():
        tokens = _build_world()
        yield tokens
        transaction.set_rollback(True)


def _build_world() -> dict:
    """Leads at every stage with a pending handoff, an approval request, a proposal, rules and tokens."""
    people = build_people(build_teams())
    make_lead, rule = lead_maker(people), rule_maker(people)
    deal = make_lead(
        owner=people["rep"], expected_value=Decimal("90000"), has_budget=True, has_authority=True, has_need=True
    )
    for stage in ("interest", "consideration", "intent", "evaluation"):
        move(deal, stage, people["rep"])
    signer(people)("SQL", SQL)
    rule("To sales", to_stages=["intent"], routing={"kind": "round_robin", "team": people["rep"].team_id})
    rule(
        "Leader approves big purchases",
        to_stages=["purchase"],
        escalations=leader_escalation("approve", at_least=1000),
    )
    fresh = make_lead(owner=people["marketer"])
    handed = make_lead(
        owner=people["marketer"], has_budget=True, has_authority=True, has_need=True, expected_value=Decimal("5000")
    )
    for stage in ("interest", "consideration", "intent"):
        move(handed, stage, people["marketer"])
    approval_request_create(lead=Lead.objects.get(pk=deal.pk), to_stage="purchase", actor=people["rep"])
    definition_version_propose(
        definition=LeadDefinition.objects.get(code="MQL"),
        criteria={"conditions": [{"field": "score", "op": "gte", "value": 50}]},
        proposed_by=people["marketer"],
    )
    later = timezone.now() + timedelta(days=30)  # ahead: nothing is handed on while the world is built
    absence_set(actor=people["rep"], user=people["rep"], starts_at=later, ends_at=later + timedelta(days=2))
    tokens = {
        who: api_token_create(user=people[who], name="fuzz", scopes=list(ALL_SCOPES))[1]
        for who in IDENTITIES
        if who != "anonymous"
    }
    KNOWN.clear()
    KNOWN.update(
        leads=[fresh.pk, handed.pk, deal.pk],
        handoffs=list(Handoff.objects.values_list("pk", flat=True)),
        **{
            "approval-requests": list(ApprovalRequest.objects.values_list("pk", flat=True)),
            "definition-versions": list(LeadDefinitionVersion.objects.values_list("pk", flat=True)),
            "lead-definitions": list(LeadDefinition.objects.values_list("pk", flat=True)),
            "handoff-rules": list(HandoffRule.objects.values_list("pk", flat=True)),
            "out-of-office": list(OutOfOffice.objects.values_list("pk", flat=True)),
        },
        tokens=list(ApiToken.objects.values_list("pk", flat=True)),
        notifications=list(Notification.objects.values_list("pk", flat=True)),
        users=[user.pk for user in people.values()],
        teams=sorted({user.team_id for user in people.values()}),
    )
    return tokens


@pytest.fixture
def in_test_transaction():
    """Schemathesis calls the WSGI app itself; keep Django from closing the test's connection (and with it
    the test's transaction) after each request, as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def no_safety_net(caplog):
    """The database refusing a value is a 400 by the problem handler's safety net; here it is a failure."""
    yield
    refused = [r.getMessage() for r in caplog.records if r.name == "config.problems" and r.levelno >= logging.WARNING]
    assert not refused, refused


@pytest.mark.django_db
@pytest.mark.parametrize("who", IDENTITIES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_survives_fuzzing(case, who, world, in_test_transaction, no_safety_net):
    headers = {} if who == "anonymous" else {"Authorization": f"Bearer {world[who]}"}
    case.call_and_validate(headers=headers, checks=CHECKS)
    # A value the database refused would have aborted the test's transaction; prove it is still usable.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
