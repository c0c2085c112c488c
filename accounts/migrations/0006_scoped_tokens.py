"""Token scopes become one per resource and access (accounts/scopes.py), and a token remembers the address of
its last use. A token that could read now reads every resource, one that could write writes (or manages)
every resource: no integration loses or gains a right on the day this ships."""

import django.contrib.postgres.fields
from django.db import migrations, models

# Frozen here, so the migration keeps its meaning when the registry grows (a new scope is a new migration).
SCOPES = [
    ("leads:read", "Leads: read"),
    ("leads:write", "Leads: write"),
    ("touches:read", "Touches: read"),
    ("touches:write", "Touches: write"),
    ("campaigns:read", "Campaigns: read"),
    ("campaigns:write", "Campaigns: write"),
    ("call_reports:read", "Call reports: read"),
    ("call_reports:write", "Call reports: write"),
    ("companies:read", "Companies and contacts: read"),
    ("companies:write", "Companies and contacts: write"),
    ("meetings:read", "Reviews and meetings: read"),
    ("meetings:write", "Reviews and meetings: write"),
    ("definitions:read", "Definitions and rules: read"),
    ("definitions:write", "Definitions and rules: write"),
    ("scoring:read", "Scoring: read"),
    ("scoring:write", "Scoring: write"),
    ("metrics:read", "Metrics: read"),
    ("metrics:write", "Metrics: write"),
    ("handoffs:read", "Handoffs and approvals: read"),
    ("handoffs:write", "Handoffs and approvals: write"),
    ("users:read", "People and teams: read"),
    ("users:write", "People and teams: write"),
    ("notifications:read", "Notifications: read"),
    ("notifications:write", "Notifications: write"),
    ("tokens:read", "API tokens: read"),
    ("tokens:write", "API tokens: write"),
    ("imports:write", "Imports: write"),
    ("webhooks:manage", "Webhooks: manage"),
    ("audit:read", "Audit: read"),
]
NAMES = [scope for scope, _ in SCOPES]
READS = [scope for scope in NAMES if scope.endswith(":read")]
WRITES = [scope for scope in NAMES if not scope.endswith(":read")]


def widened(scopes: list[str]) -> list[str]:
    return [
        name for name in NAMES if name in (READS if "read" in scopes else []) + (WRITES if "write" in scopes else [])
    ]


def narrowed(scopes: list[str]) -> list[str]:
    held = set(scopes)
    return [*(["read"] if held & set(READS) else []), *(["write"] if held & set(WRITES) else [])]


def _convert(apps, schema_editor, convert) -> None:
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.all():
        token.scopes = convert(token.scopes)
        token.save(update_fields=["scopes"])
    # The updates queued the user foreign key's deferred checks; the table cannot be altered (the constraint
    # below) while they are pending.
    schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def widen(apps, schema_editor):
    _convert(apps, schema_editor, widened)


def narrow(apps, schema_editor):
    _convert(apps, schema_editor, narrowed)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_routing_availability")]

    operations = [
        migrations.RemoveConstraint(model_name="apitoken", name="api_token_scopes_valid"),
        migrations.AddField(
            model_name="apitoken",
            name="last_used_ip",
            field=models.GenericIPAddressField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="scopes",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(choices=SCOPES, max_length=32),
                default=list,
                help_text="What the token may do, e.g. leads:read, touches:write (accounts/scopes.py lists them).",
                size=None,
            ),
        ),
        migrations.RunPython(widen, narrow, elidable=False),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.CheckConstraint(
                condition=models.Q(("scopes__contained_by", NAMES)), name="api_token_scopes_valid"
            ),
        ),
    ]
