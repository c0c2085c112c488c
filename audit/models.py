"""The audit trail: who changed what and when, written by PostgreSQL triggers (django-pghistory) into one
append-only event table per tracked model, and read through one view over all of them (`AuditEntry`).

Every tracked model is tracked through a proxy declared here, so the triggers and the event tables are this
app's migrations alone. Which fields are tracked is chosen per model: what a person decides (owner, stage,
contact and fit data, value, signatures, scopes…), never what the system recomputes on its own (a lead's
score, counters, last-used times) — an update that changes only those writes no event, so the nightly
rescoring of every lead writes none.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from accounts.models import ApiToken
from audit.choices import AuditAction, AuditObject
from audit.tracking import event_model
from funnel.models import HandoffRule, LeadDefinition, LeadDefinitionVersion
from funnel.targets.models import RevenueTarget
from integrations.models import WebhookSecret, WebhookSubscription
from leads.models import CONTACT_FIELDS, EDITABLE_FIELDS, FUNNEL_FIELDS, Lead
from leads.scoring.models import ScoringModelVersion

# A lead's score, its normalised e-mail and the time it entered its stage are derived (scoring, capture, the
# one door); `updated_at` moves on every save. Tracking them would write an event per rescoring.
LEAD_FIELDS = ["company", *EDITABLE_FIELDS, *(f for f in FUNNEL_FIELDS if f != "stage_entered_at")]
assert set(CONTACT_FIELDS) <= set(LEAD_FIELDS)
SIGNED_FIELDS = [
    "status",
    "note",
    "proposed_by",
    "marketing_approver",
    "marketing_signed_at",
    "sales_approver",
    "sales_signed_at",
    "activated_at",
]


class AuditedLead(Lead):
    class Meta:
        proxy = True


class AuditedDefinition(LeadDefinition):
    class Meta:
        proxy = True


class AuditedDefinitionVersion(LeadDefinitionVersion):
    class Meta:
        proxy = True


class AuditedHandoffRule(HandoffRule):
    class Meta:
        proxy = True


class AuditedScoringVersion(ScoringModelVersion):
    class Meta:
        proxy = True


class AuditedTarget(RevenueTarget):
    class Meta:
        proxy = True


class AuditedApiToken(ApiToken):
    class Meta:
        proxy = True


class AuditedWebhookSubscription(WebhookSubscription):
    class Meta:
        proxy = True


class AuditedWebhookSecret(WebhookSecret):
    class Meta:
        proxy = True


def _text_array(max_length: int) -> ArrayField:
    """An array column without its choices: a new scope, stage or event type needs no audit migration."""
    return ArrayField(models.CharField(max_length=max_length), null=True)


class LeadEvent(event_model(AuditedLead, fields=LEAD_FIELDS, name="LeadEvent")):
    pass


class DefinitionEvent(
    event_model(AuditedDefinition, fields=["code", "name", "description", "rank"], name="DefinitionEvent")
):
    pass


class DefinitionVersionEvent(
    event_model(
        AuditedDefinitionVersion,
        fields=["definition", "number", "criteria", *SIGNED_FIELDS, "marketing_simulation", "sales_simulation"],
        name="DefinitionVersionEvent",
    )
):
    pass


class HandoffRuleEvent(
    event_model(AuditedHandoffRule, fields=[*HandoffRule.EDITABLE_FIELDS, "state"], name="HandoffRuleEvent")
):
    from_stages = _text_array(16)
    to_stages = _text_array(16)


class ScoringVersionEvent(
    event_model(
        AuditedScoringVersion,
        fields=["number", "fit_rules", "engagement_rules", *SIGNED_FIELDS],
        name="ScoringVersionEvent",
    )
):
    pass


class TargetEvent(
    event_model(
        AuditedTarget,
        fields=["period_kind", "period_start", "period_end", "amount", "currency", *SIGNED_FIELDS],
        name="TargetEvent",
    )
):
    pass


# Never the key's hash, nor the last use (time and address move with every request the token makes).
class ApiTokenEvent(
    event_model(
        AuditedApiToken, fields=["user", "name", "prefix", "scopes", "expires_at", "revoked_at"], name="ApiTokenEvent"
    )
):
    scopes = _text_array(32)


# Not the failure counter (it moves with every failed delivery): disabling after failures is recorded by its
# own fields.
class WebhookSubscriptionEvent(
    event_model(
        AuditedWebhookSubscription,
        fields=["owner", "token", "url", "event_types", "description", "is_active", "disabled_at", "disabled_reason"],
        name="WebhookSubscriptionEvent",
    )
):
    event_types = _text_array(40)


# A rotation: when a secret was added and until when it signs. Never the secret itself.
class WebhookSecretEvent(
    event_model(AuditedWebhookSecret, fields=["subscription", "created_at", "expires_at"], name="WebhookSecretEvent")
):
    pass


class AuditEntry(models.Model):
    """One row of the audit trail, from any event table: the view `audit_log` (audit/migrations) unites them,
    so one index-ordered walk by id (one sequence numbers every event) lists all changes newest first."""

    id = models.BigIntegerField(primary_key=True)
    object_type = models.CharField(max_length=32, choices=AuditObject.choices)
    object_id = models.BigIntegerField()
    object_label = models.TextField(help_text="The object as it read at the time (a lead's name, a rule's name…).")
    action = models.CharField(max_length=8, choices=AuditAction.choices)
    at = models.DateTimeField(help_text="When the change's transaction began.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    token = models.ForeignKey(ApiToken, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    job = models.TextField(null=True, help_text="The background job that made the change, if one did.")
    url = models.TextField(null=True, help_text="The request's path, for changes made by a request.")
    context_id = models.UUIDField(null=True, help_text="Changes made by one request or job share it.")
    changes = models.JSONField(null=True, help_text="Column → [old, new].")

    class Meta:
        managed = False
        db_table = "audit_log"
        ordering = ["-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} {self.action} at {self.at:%Y-%m-%d %H:%M}"
