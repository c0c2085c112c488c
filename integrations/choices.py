from django.db import models


class EventType(models.TextChoices):
    """What a webhook subscription can hear about. Each type names the resource whose read scope its payload
    needs (`EVENT_RESOURCES`), so a subscription's token never learns more through a webhook than it could read."""

    LEAD_CREATED = "lead.created", "Lead created"
    LEAD_TRANSITIONED = "lead.transitioned", "Lead moved to another stage"
    LEAD_REASSIGNED = "lead.reassigned", "Lead given to another owner"
    HANDOFF_CREATED = "handoff.created", "Handoff created"
    HANDOFF_ACCEPTED = "handoff.accepted", "Handoff accepted"
    HANDOFF_REJECTED = "handoff.rejected", "Handoff rejected"
    SLA_BREACHED = "sla.breached", "SLA breached"
    DEFINITION_ACTIVATED = "definition.activated", "Lead definition version activated"
    SCORING_MODEL_ACTIVATED = "scoring_model.activated", "Scoring model activated"
    CAMPAIGN_ACTIVATED = "campaign.activated", "Campaign activated"
    METRICS_RECOMPUTED = "metrics.recomputed", "Metrics recomputed"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Gave up after every retry"
    CANCELLED = "cancelled", "Cancelled: the subscription was disabled"
