"""The SQL of the `audit_log` view (AuditEntry): one SELECT per event table, united.

Migrations freeze the text this module printed when they were written; tests/audit checks that the view in
the database covers every event model, so a newly tracked model cannot be left out of the log unnoticed.
"""

from audit import models
from audit.choices import AuditObject

# What names the object in the log, read from the event's own snapshot (it stays right after a rename or delete).
LABELS = {
    AuditObject.LEAD: (models.LeadEvent, "concat_ws(' ', NULLIF(e.first_name, ''), e.last_name)"),
    AuditObject.DEFINITION: (models.DefinitionEvent, "e.code"),
    AuditObject.DEFINITION_VERSION: (
        models.DefinitionVersionEvent,
        "(SELECT d.code FROM funnel_leaddefinition d WHERE d.id = e.definition_id) || ' v' || e.number",
    ),
    AuditObject.HANDOFF_RULE: (models.HandoffRuleEvent, "e.name"),
    AuditObject.SCORING_VERSION: (models.ScoringVersionEvent, "'Scoring v' || e.number"),
    AuditObject.TARGET: (
        models.TargetEvent,
        "initcap(e.period_kind) || ' from ' || e.period_start || ': ' || e.amount || ' ' || e.currency",
    ),
    AuditObject.API_TOKEN: (models.ApiTokenEvent, "e.name || ' (' || e.prefix || '…)'"),
    AuditObject.WEBHOOK_SUBSCRIPTION: (models.WebhookSubscriptionEvent, "e.url"),
    AuditObject.WEBHOOK_SECRET: (models.WebhookSecretEvent, "'Secret of subscription ' || e.subscription_id"),
}


def _select(kind: str, event_model, label: str) -> str:
    return (
        f"SELECT e.pgh_id AS id, '{kind}'::text AS object_type, e.pgh_obj_id::bigint AS object_id, "
        f"{label} AS object_label, e.pgh_label AS action, e.pgh_created_at AS at, "
        "(e.pgh_context->>'user')::bigint AS actor_id, (e.pgh_context->>'token')::bigint AS token_id, "
        "e.pgh_context->>'job' AS job, e.pgh_context->>'url' AS url, e.pgh_context_id AS context_id, "
        f"e.pgh_diff AS changes FROM {event_model._meta.db_table} e"
    )


def view_sql() -> str:
    selects = "\nUNION ALL ".join(_select(kind.value, model, label) for kind, (model, label) in LABELS.items())
    return f"CREATE OR REPLACE VIEW audit_log AS\n{selects}"
