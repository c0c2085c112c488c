from django.db import models


class AuditObject(models.TextChoices):
    LEAD = "lead", "Lead"
    DEFINITION = "definition", "Lead definition"
    DEFINITION_VERSION = "definition_version", "Definition version"
    HANDOFF_RULE = "handoff_rule", "Handoff rule"
    SCORING_VERSION = "scoring_version", "Scoring version"
    TARGET = "target", "Shared target"
    API_TOKEN = "api_token", "API token"
    WEBHOOK_SUBSCRIPTION = "webhook_subscription", "Webhook subscription"
    WEBHOOK_SECRET = "webhook_secret", "Webhook secret"


class AuditAction(models.TextChoices):
    INSERT = "insert", "Created"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
