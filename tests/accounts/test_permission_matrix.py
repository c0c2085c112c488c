"""The permission matrix of docs/permissions.md, played cell by cell against the API.

The expected statuses are read from the document itself, so what it tells people is what the product does.
A cell marked — must have no object behind it (the resolvers below agree), every other cell is requested as
the role in its row and must answer exactly the status written there.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.scopes import ALL_SCOPES
from accounts.services import api_token_create
from crm.models import Campaign
from crm.services.collateral import collateral_create
from funnel.models import Handoff, LeadDefinition
from funnel.services.approvals import approval_request_create
from funnel.services.definitions import definition_version_propose
from funnel.services.intake import lead_create
from leads.models import Lead
from tests.accounts.factories import UserFactory
from tests.conftest import leader_escalation
from tests.funnel.conftest import move

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
COLUMNS = ("own", "team's", "other's", "invisible")
# The row names of the document → the keys of the `matrix_people` fixture.
ROLES = {
    "sales_rep": "rep",
    "sdr": "sdr",
    "marketer": "marketer",
    "sales_manager": "sales_manager",
    "marketing_manager": "marketing_manager",
    "revenue_leader": "leader",
    "admin": "admin",
    "integration": "integration",
    "anonymous": None,
}


def _table(heading: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the first table under `## heading` in the document."""
    section = DOC.read_text().split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header, _, *rows = ([cell.strip() for cell in line.strip("|").split("|")] for line in lines)
    return header, rows


_, _object_rows = _table("Operations on an object")
OBJECT_CELLS = [
    (role, operation, column, expected)
    for role, operation, *cells in _object_rows
    for column, expected in zip(COLUMNS, cells, strict=True)
]
_plain_header, _plain_rows = _table("Operations without an object")
PLAIN_CELLS = [
    (role, operation, expected)
    for role, *cells in _plain_rows
    for operation, expected in zip(_plain_header[1:], cells, strict=True)
]
OBJECT_OPERATIONS = {
    "view lead",
    "edit lead",
    "move lead",
    "log call report",
    "read history",
    "answer handoff",
    "decide approval",
    "withdraw proposal",
    "revoke token",
}
PLAIN_OPERATIONS = {
    "create campaign",
    "preview campaign",
    "record touches",
    "propose scoring",
    "review collateral",
    "capture lead",
    "capture for a teammate",
    "create rule",
    "change stage owner",
    "propose definition",
    "sign off definition",
    "create token",
}

# Who "team's" and "other's" are, from each role's point of view; a role missing from a map has no such object.
TEAMMATE = {
    "rep": "rep2",
    "sdr": "sdr2",
    "marketer": "marketer2",
    "sales_manager": "rep",
    "marketing_manager": "marketer",
    "leader": "admin",
    "admin": "leader",
    "integration": "leader",
}
OTHER_LEAD = {
    "marketer": "rep",
    "marketing_manager": "rep",
    "sales_manager": "sdr",
    "leader": "rep",
    "admin": "rep",
    "integration": "rep",
}
INVISIBLE_LEAD = {"rep": "sdr", "sdr": "rep", "sales_manager": "marketer"}
RECEIVERS = {"rep", "rep2", "sdr", "sdr2", "marketer", "marketer2"}
PROPOSERS = {"marketer", "marketer2", "sales_manager", "marketing_manager", "leader", "admin"}
OTHER_PROPOSER = {
    "rep": "marketer",
    "sdr": "marketer",
    "marketer": "sales_manager",
    "sales_manager": "marketer",
    "marketing_manager": "sales_manager",
    "leader": "marketer",
    "admin": "marketer",
    "integration": "marketer",
}
OTHER_TOKEN = {
    "rep": "marketer",
    "sdr": "marketer",
    "marketer": "rep",
    "sales_manager": "marketer",
    "marketing_manager": "rep",
    "leader": "rep",
    "admin": "rep",
    "integration": "rep",
}
# Each person's leads sit in a stage their side owns.
HOME_STAGE = {"sales": ["interest", "consideration", "intent"], "shared": ["interest", "consideration"]}


@pytest.fixture
def matrix_people(people, teams):
    """The test company plus a second SDR and a second marketer; the sales manager runs the SDR team too."""
    teams["sdr"].manager = people["sales_manager"]
    teams["sdr"].save()
    return {
        **people,
        "sdr2": UserFactory(username="sdr2", role=Role.SDR, team=teams["sdr"], manager=people["sales_manager"]),
        "marketer2": UserFactory(
            username="marketer2", role=Role.MARKETER, team=teams["marketing"], manager=people["marketing_manager"]
        ),
    }


class World:
    """Builds, on demand, the object a cell is about — through the services, as the product would."""

    def __init__(self, who, make_lead, rule):
        self.who, self.make_lead, self.rule = who, make_lead, rule
        self.counter = 0

    def lead(self, owner_key: str, **fields) -> Lead:
        owner = self.who[owner_key]
        lead = self.make_lead(owner=owner, **fields)
        path = {"sales_rep": HOME_STAGE["sales"], "sdr": HOME_STAGE["shared"]}.get(owner.role)
        if owner.role in (Role.MARKETER, Role.MARKETING_MANAGER):
            path = ["interest"]
        elif owner.role in (Role.SALES_MANAGER, Role.REVENUE_LEADER, Role.ADMIN):
            path = [*HOME_STAGE["sales"], "evaluation"]
        for stage in path:
            move(lead, stage, owner)
        return Lead.objects.get(pk=lead.pk)

    def handoff_to(self, receiver_key: str) -> Handoff:
        """A pending handoff to the receiver, made by a move across functions that routing sends to them."""
        receiver = self.who[receiver_key]
        sender, to_stage = {Role.SALES_REP: ("sdr2", "intent"), Role.SDR: ("marketer2", "consideration")}.get(
            receiver.role, ("sdr2", "interest")
        )
        lead = self.lead(sender, territory=f"T-{receiver_key}")
        self.rule(
            f"Route T-{receiver_key}",
            to_stages=[to_stage],
            routing={"kind": "match", "field": "territory", "map": {f"T-{receiver_key}": receiver.pk}},
        )
        return move(lead, to_stage, lead.owner).handoff

    def approval_asked_by(self, requester_key: str):
        requester = self.who[requester_key]
        lead = self.make_lead(owner=requester, expected_value=Decimal("5000"))
        for stage in ("interest", "consideration", "intent", "evaluation"):
            move(lead, stage, requester)
        lead = Lead.objects.get(pk=lead.pk)
        return approval_request_create(lead=lead, to_stage="purchase", actor=requester)[0]

    def proposal_by(self, proposer_key: str):
        self.counter += 1
        criteria = {"conditions": [{"field": "score", "op": "gte", "value": 40 + self.counter}]}
        definition = LeadDefinition.objects.get(code="MQL")
        return definition_version_propose(definition=definition, criteria=criteria, proposed_by=self.who[proposer_key])

    def token_of(self, owner_key: str):
        return api_token_create(user=self.who[owner_key], name="matrix", scopes=["leads:read"])[0]


@pytest.fixture
def world(matrix_people, make_lead, rule):
    rule(
        "Leader approves purchases",
        to_stages=["purchase"],
        escalations=leader_escalation("approve", at_least=1000),
    )
    return World(matrix_people, make_lead, rule)


def client_as(who: dict, key: str | None) -> APIClient:
    client = APIClient()
    if key == "integration":
        _, secret = api_token_create(user=who[key], name="matrix client", scopes=list(ALL_SCOPES))
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    elif key is not None:
        client.force_login(who[key])
    return client


def _subject_key(operation: str, column: str, key: str) -> str | None:
    """Whose object the cell is about, or None when the role has no such object."""
    if operation == "answer handoff":
        pick = {
            "own": key,
            "team's": TEAMMATE.get(key),
            "other's": OTHER_LEAD.get(key),
            "invisible": INVISIBLE_LEAD.get(key),
        }
        receiver = pick[column]
        if column == "other's" and key in ("marketer", "marketing_manager"):
            receiver = "rep"
        return receiver if receiver in RECEIVERS else None
    if operation == "withdraw proposal":
        pick = {"own": key, "team's": TEAMMATE.get(key), "other's": OTHER_PROPOSER.get(key), "invisible": None}
        return pick[column] if pick[column] in PROPOSERS else None
    if operation == "revoke token":
        return {"own": key, "team's": TEAMMATE.get(key), "other's": OTHER_TOKEN.get(key), "invisible": None}[column]
    if column == "own":
        return None if key == "integration" else key
    return {"team's": TEAMMATE, "other's": OTHER_LEAD, "invisible": INVISIBLE_LEAD}[column].get(key)


def _request(client, operation: str, world: World, subject: str):
    today = date.today().isoformat()
    if operation == "answer handoff":
        return client.post(f"/api/v1/handoffs/{world.handoff_to(subject).pk}/accept/")
    if operation == "decide approval":
        return client.post(
            f"/api/v1/approval-requests/{world.approval_asked_by(subject).pk}/approve/", {}, format="json"
        )
    if operation == "withdraw proposal":
        return client.post(f"/api/v1/definition-versions/{world.proposal_by(subject).pk}/withdraw/")
    if operation == "revoke token":
        return client.post(f"/api/v1/tokens/{world.token_of(subject).pk}/revoke/")
    url = f"/api/v1/leads/{world.lead(subject).pk}/"
    requests = {
        "view lead": lambda: client.get(url),
        "edit lead": lambda: client.patch(url, {"title": "CFO"}, format="json"),
        "move lead": lambda: client.post(f"{url}transition/", {"to_stage": "lost", "reason": "Matrix"}, format="json"),
        "log call report": lambda: client.post(
            f"{url}call-reports/", {"occurred_on": today, "channel": "call", "outcome": "Matrix"}, format="json"
        ),
        "read history": lambda: client.get(f"{url}history/"),
    }
    return requests[operation]()


@pytest.mark.parametrize(("role", "operation", "column", "expected"), OBJECT_CELLS)
def test_operation_on_an_object(world, matrix_people, role, operation, column, expected):
    key = ROLES[role]
    subject = _subject_key(operation, column, key)
    if operation == "decide approval" and column != "own":
        subject = subject if subject in matrix_people else None
    assert (expected == "—") == (subject is None), (
        f"{role} / {operation} / {column}: the document and the test disagree"
    )
    if subject is None:
        return
    response = _request(client_as(matrix_people, key), operation, world, subject)
    assert response.status_code == int(expected), (role, operation, column, response.content[:300])


def _plain_request(client, operation: str, who: dict, key: str | None):
    definition = LeadDefinition.objects.get(code="MQL")
    requests = {
        "capture lead": lambda: client.post("/api/v1/leads/", {"last_name": "Matrix"}, format="json"),
        "capture for a teammate": lambda: client.post(
            "/api/v1/leads/", {"last_name": "Matrix", "owner": who[TEAMMATE.get(key, "rep")].pk}, format="json"
        ),
        "create rule": lambda: client.post("/api/v1/handoff-rules/", {"name": "Matrix rule"}, format="json"),
        "change stage owner": lambda: client.patch(
            "/api/v1/stages/consideration/", {"owning_function": "shared"}, format="json"
        ),
        "propose definition": lambda: client.post(
            f"/api/v1/lead-definitions/{definition.pk}/propose/",
            {"criteria": {"conditions": [{"field": "score", "op": "gte", "value": 45}]}},
            format="json",
        ),
        "sign off definition": lambda: client.post(
            f"/api/v1/definition-versions/{World(who, None, None).proposal_by('marketer').pk}/sign-off/",
            {"side": "sales"} if key == "leader" else {},
            format="json",
        ),
        "create token": lambda: client.post(
            "/api/v1/tokens/", {"name": "sync", "user": who["integration"].pk, "scopes": ["leads:read"]}, format="json"
        ),
        **_marketing_requests(client, who),
    }
    return requests[operation]()


def _marketing_requests(client, who: dict) -> dict:
    def preview():
        campaign = Campaign.objects.create(name="Matrix preview", channel="email", status="awaiting_preview")
        return client.post(f"/api/v1/campaigns/{campaign.pk}/preview/", {"decision": "approved"}, format="json")

    def touches():
        campaign = Campaign.objects.create(name="Matrix touches", channel="email")
        lead = lead_create(actor=who["admin"], data={"last_name": "Touched"}, owner=who["marketer"])
        touch = {"lead": lead.pk, "campaign": campaign.pk, "kind": "visit"}
        touch["occurred_at"] = "2026-01-02T10:00:00Z"
        return client.post("/api/v1/touches/bulk/", {"touches": [touch]}, format="json")

    def review():
        version = collateral_create(
            user=who["marketer"], title="Matrix deck", kind="deck", link="https://docs.example/matrix"
        )
        return client.post(f"/api/v1/collateral-versions/{version.pk}/review/", {"decision": "approved"}, format="json")

    engagement = [{"kind": "visit", "points": 1, "half_life_days": None, "cap": 5}]
    return {
        "create campaign": lambda: client.post(
            "/api/v1/campaigns/", {"name": "Matrix campaign", "channel": "email"}, format="json"
        ),
        "preview campaign": preview,
        "record touches": touches,
        "propose scoring": lambda: client.post(
            "/api/v1/scoring-versions/", {"fit_rules": [], "engagement_rules": engagement}, format="json"
        ),
        "review collateral": review,
    }


@pytest.mark.parametrize(("role", "operation", "expected"), PLAIN_CELLS)
def test_operation_without_an_object(world, matrix_people, rule, role, operation, expected):
    rule(
        "New leads to marketing",
        to_stages=["awareness"],
        routing={"kind": "round_robin", "team": matrix_people["marketer"].team_id},
    )
    key = ROLES[role]
    response = _plain_request(client_as(matrix_people, key), operation, matrix_people, key)
    assert response.status_code == int(expected), (role, operation, response.content[:300])


def test_the_matrix_covers_every_role_and_every_operation():
    assert {role for role, *_ in OBJECT_CELLS} == set(ROLES) - {"anonymous"}
    assert {role for role, *_ in PLAIN_CELLS} == set(ROLES)
    assert {operation for _, operation, *_ in OBJECT_CELLS} == OBJECT_OPERATIONS
    assert {operation for _, operation, _ in PLAIN_CELLS} == PLAIN_OPERATIONS
    assert len(OBJECT_CELLS) == 8 * len(OBJECT_OPERATIONS) * 4
