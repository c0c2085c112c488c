"""The audit trail: PostgreSQL triggers record who changed what on the tracked models, the rows cannot be changed
or deleted, and administrators (only) read it through the API and the page, filtered and walked by cursor."""

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiToken
from audit import jobs
from audit.log_view import LABELS
from audit.models import AuditEntry, LeadEvent
from funnel.models import LeadDefinition
from funnel.services.definitions import definition_version_propose
from integrations.models import WebhookSecret, WebhookSubscription
from leads.models import Lead
from leads.scoring.services import lead_scores_refresh, scoring_version_propose, scoring_version_sign_off

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
URL = "/api/v1/audit/"
ROLES = {
    "sales_rep": "rep",
    "sdr": "sdr",
    "marketer": "marketer",
    "sales_manager": "sales_manager",
    "marketing_manager": "marketing_manager",
    "revenue_leader": "leader",
    "admin": "admin",
    "integration": "integration",
}


def _doc_rows() -> list[list[str]]:
    section = DOC.read_text().split("## Reading the audit trail\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def _entries(**filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


@pytest.mark.parametrize(("role", "api_status", "page_status"), _doc_rows())
def test_only_administrators_read_the_trail_as_the_permissions_page_says(
    role, api_status, page_status, people, api, client_for, anonymous_client, token_client_for, make_lead
):
    make_lead(title="CEO")
    if role == "anonymous":
        api_client = page_client = anonymous_client
    else:
        user = people[ROLES[role]]
        api_client = token_client_for(user) if role == "integration" else api(user)
        page_client = client_for(user)
    answer = api_client.get(URL)
    assert answer.status_code == int(api_status), answer.content
    if answer.status_code >= 400:
        assert answer["Content-Type"] == "application/problem+json"
    else:
        assert answer.json()["results"], "an administrator reads the lead's creation"
    assert page_client.get("/system/audit/").status_code == int(page_status)


def test_an_administrators_token_needs_the_audit_scope(people, token_client_for):
    assert token_client_for(people["admin"], scopes=["leads:read"]).get(URL).status_code == 403
    assert token_client_for(people["admin"], scopes=["audit:read"]).get(URL).status_code == 200


def test_a_lead_edit_in_a_session_records_the_person_and_the_field_old_to_new(people, api, make_lead):
    lead = make_lead(title="CFO", owner=people["marketer"])
    assert api(people["marketer"]).patch(f"/api/v1/leads/{lead.pk}/", {"title": "CEO"}).status_code == 200
    [edit] = _entries(object_type="lead", object_id=lead.pk, action="update")
    assert (edit.actor_id, edit.token_id, edit.url) == (people["marketer"].pk, None, f"/api/v1/leads/{lead.pk}/")
    assert edit.changes == {"title": ["CFO", "CEO"]}
    row = api(people["admin"]).get(URL, {"object_type": "lead", "object_id": lead.pk, "action": "update"}).json()
    [shown] = row["results"]
    assert shown["actor"]["username"] == "marketer" and shown["token"] is None
    assert shown["object"] == {"type": "lead", "id": lead.pk, "label": lead.name}
    assert shown["changes"] == [{"field": "title", "old": "CFO", "new": "CEO"}]


def test_a_lead_edit_with_a_token_records_the_token_and_its_user(people, token_client_for, make_lead):
    lead = make_lead(phone="")
    client = token_client_for(people["integration"], scopes=["leads:write", "leads:read"])
    answer = client.patch(f"/api/v1/leads/{lead.pk}/", {"phone": "+44 20 7946 0000"}, format="json")
    assert answer.status_code == 200, answer.content
    [edit] = _entries(object_type="lead", object_id=lead.pk, action="update")
    token = ApiToken.objects.get(user=people["integration"])
    assert (edit.actor_id, edit.token_id) == (people["integration"].pk, token.pk)
    assert edit.changes == {"phone": ["", "+44 20 7946 0000"]}


def test_a_definition_sign_off_is_recorded_with_each_signer(people, api):
    definition = LeadDefinition.objects.get(code="MQL")
    criteria = {"conditions": [{"field": "score", "op": "gte", "value": 40}]}
    version = definition_version_propose(definition=definition, criteria=criteria, proposed_by=people["marketer"])
    for signer in ("marketing_manager", "sales_manager"):
        answer = api(people[signer]).post(f"/api/v1/definition-versions/{version.pk}/sign-off/", {})
        assert answer.status_code == 200, answer.content
    created, *signatures = _entries(object_type="definition_version", object_id=version.pk)
    assert created.action == "insert" and created.changes["criteria"] == [None, criteria]
    assert [entry.actor_id for entry in signatures] == [people["marketing_manager"].pk, people["sales_manager"].pk]
    assert signatures[0].changes["marketing_approver_id"] == [None, people["marketing_manager"].pk]
    assert signatures[-1].changes["status"] == ["proposed", "active"]


def test_a_rule_change_is_recorded_but_a_save_that_changes_nothing_tracked_is_not(people, api, rule):
    handoff_rule = rule("Value first", to_stages=["intent"], accept_within_hours=8)
    client = api(people["sales_manager"])
    assert client.patch(f"/api/v1/handoff-rules/{handoff_rule.pk}/", {"accept_within_hours": 4}).status_code == 200
    assert client.patch(f"/api/v1/handoff-rules/{handoff_rule.pk}/", {"accept_within_hours": 4}).status_code == 200
    created, changed = _entries(object_type="handoff_rule", object_id=handoff_rule.pk)
    assert created.action == "insert" and created.actor_id is None  # made by a service outside any request
    assert changed.actor_id == people["sales_manager"].pk
    assert changed.changes == {"accept_within_hours": [8, 4]}


def test_a_token_revocation_is_recorded_and_its_secret_never_is(people, api, token_client_for):
    token_client_for(people["rep"])
    token = ApiToken.objects.get(user=people["rep"])
    assert api(people["admin"]).post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 200
    [revoked] = _entries(object_type="api_token", object_id=token.pk, action="update")
    assert revoked.actor_id == people["admin"].pk
    assert list(revoked.changes) == ["revoked_at"] and revoked.changes["revoked_at"][0] is None
    columns = {field.column for field in AuditEntry._meta.fields} | {
        field.column for model, _ in LABELS.values() for field in model._meta.fields
    }
    assert not columns & {"key_hash", "last_used_at", "last_used_ip"}


def test_score_updates_and_the_set_based_rescoring_write_no_event(people, make_lead):
    leads = [make_lead(title="CFO", segment="enterprise") for _ in range(5)]
    version = scoring_version_propose(
        user=people["marketer"],
        fit_rules=[{"when": {"field": "segment", "op": "eq", "value": "enterprise"}, "points": 40}],
        engagement_rules=[],
    )
    scoring_version_sign_off(version_id=version.pk, user=people["marketing_manager"])
    scoring_version_sign_off(version_id=version.pk, user=people["sales_manager"])  # activation rescores all
    before = LeadEvent.objects.count()
    Lead.objects.filter(pk=leads[0].pk).update(score=77)
    scored, _ = lead_scores_refresh(as_of=timezone.now() + timedelta(days=1), cause="recompute")
    assert scored == 5 and set(Lead.objects.values_list("score", flat=True)) == {40}
    assert LeadEvent.objects.count() == before
    Lead.objects.filter(pk=leads[0].pk).update(segment="smb")
    assert LeadEvent.objects.count() == before + 1


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'forged'", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_or_delete_an_event(statement, people, make_lead, rule):
    make_lead()
    rule("Any move")
    tables = [model._meta.db_table for model, _ in LABELS.values() if model.objects.exists()]
    assert len(tables) >= 2
    for table in tables:
        refused = pytest.raises(DatabaseError, match="Cannot update or delete rows")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(table=table))
    assert LeadEvent.objects.filter(pgh_label="insert").count() == 1
    assert not LeadEvent.objects.filter(pgh_label="forged").exists()


def test_the_log_view_covers_every_event_model():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_viewdef('audit_log'::regclass)")
        definition = cursor.fetchone()[0]
    event_tables = {
        model._meta.db_table
        for model in AuditEntry._meta.apps.get_app_config("audit").get_models()
        if hasattr(model, "pgh_tracked_model")
    }
    assert event_tables == {model._meta.db_table for model, _ in LABELS.values()}
    assert all(table in definition for table in event_tables)


def test_a_job_is_named_as_the_actor_of_its_changes(make_lead):
    lead = make_lead(title="CFO")
    task = SimpleNamespace(name="funnel.tasks.nightly_cleanup", request=SimpleNamespace(is_eager=False))
    jobs._enter(task_id="t-1", task=task)
    try:
        Lead.objects.filter(pk=lead.pk).update(title="CTO")
    finally:
        jobs._exit(task_id="t-1")
    [edit] = _entries(object_type="lead", object_id=lead.pk, action="update")
    assert (edit.job, edit.actor_id) == ("funnel.tasks.nightly_cleanup", None)


def test_filters_narrow_by_object_person_action_and_time(people, api, make_lead):
    first, second = make_lead(title="A"), make_lead(title="B")
    api(people["marketer"]).patch(f"/api/v1/leads/{first.pk}/", {"title": "A2"})
    api(people["admin"]).patch(f"/api/v1/leads/{second.pk}/", {"title": "B2"})
    client = api(people["admin"])

    def ids(**params):
        return [(row["object"]["id"], row["action"]) for row in client.get(URL, params).json()["results"]]

    assert ids(object_type="lead", action="update") == [(second.pk, "update"), (first.pk, "update")]
    assert ids(object_type="lead", object_id=first.pk) == [(first.pk, "update"), (first.pk, "insert")]
    assert ids(actor=people["marketer"].pk) == [(first.pk, "update")]
    assert ids(object_type="api_token") == []
    now = timezone.now()
    assert len(ids(object_type="lead", since=(now - timedelta(minutes=5)).isoformat())) == 4
    assert ids(object_type="lead", until=(now - timedelta(minutes=5)).isoformat()) == []


def test_the_cursor_walks_every_entry_once_in_constant_queries(people, api, make_lead):
    for n in range(7):
        make_lead(title=f"T{n}")
    client = api(people["admin"])
    seen, url = [], f"{URL}?page_size=3&object_type=lead"
    while url:
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).json()
        assert len(queries) <= 4, [q["sql"] for q in queries]  # session, user, the page (people and tokens joined)
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7 and seen == sorted(seen, reverse=True)
    counts = []
    for size in (1, 7):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(URL, {"page_size": size, "object_type": "lead"}).json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"object_id": "abc"}, "object_id"),
        ({"object_id": "1e400"}, "object_id"),
        ({"actor": "99999999999999999999"}, "actor"),
        ({"object_type": "lead\x00"}, "object_type"),
        ({"object_type": "x" * 100_000}, "object_type"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-11-01T10:00:00+19:00"}, "until"),
        ({"cursor": "cD1hYmM="}, "cursor"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"action": "truncate"}, "action"),
        ({"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}, "until"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(people, api, client_for, params, field):
    answer = api(people["admin"]).get(URL, params)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]
    if field != "cursor":
        page = client_for(people["admin"]).get("/system/audit/", params)
        assert page.status_code == 400
        label = {"object_id": "Object id", "object_type": "Object type", "actor": "Who"}.get(field, field.capitalize())
        assert f'role="alert">{label}: ' in page.content.decode()  # named as the form names it


def test_the_page_shows_changes_by_name_with_people_named(people, api, client_for, make_lead):
    lead = make_lead(title="CFO", owner=people["marketer"])
    api(people["marketer"]).patch(f"/api/v1/leads/{lead.pk}/", {"title": "CEO"})
    page = client_for(people["admin"]).get("/system/audit/", {"object_type": "lead", "object_id": lead.pk})
    body = page.content.decode()
    assert page.status_code == 200
    assert "<del>CFO</del> → CEO" in body
    assert f"{people['marketer'].get_full_name() or 'marketer'}" in body
    lead_page = client_for(people["admin"]).get(f"/leads/{lead.pk}/").content.decode()
    assert f"/system/audit/?object_type=lead&amp;object_id={lead.pk}" in lead_page


def test_webhook_subscriptions_and_secret_rotations_are_recorded_without_secrets_or_counters(people, token_client_for):
    token_client_for(people["integration"])
    token = ApiToken.objects.get(user=people["integration"])
    subscription = WebhookSubscription.objects.create(
        owner=people["admin"], token=token, url="https://hooks.example/crm", event_types=["lead.created"]
    )
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=3)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False, disabled_reason="8 failures")
    WebhookSecret.objects.create(subscription=subscription, secret="whsec_not_recorded")
    created, disabled = _entries(object_type="webhook_subscription", object_id=subscription.pk)
    assert created.changes["url"] == [None, "https://hooks.example/crm"] and created.object_label == subscription.url
    assert disabled.changes == {"is_active": [True, False], "disabled_reason": ["", "8 failures"]}
    [rotation] = _entries(object_type="webhook_secret")
    assert (
        "whsec_not_recorded" not in str(rotation.changes) and rotation.changes["subscription_id"][1] == subscription.pk
    )
