from django.db import models


class AgendaKind(models.TextChoices):
    """What the joint meeting's agenda is made of, in the order it is discussed."""

    CARRIED_ACTION = "carried_action", "Open action from an earlier meeting"
    OPPORTUNITY = "opportunity", "Major open opportunity"
    SLA_BREACH = "sla_breach", "SLA breach"
    REJECTED_HANDOFF = "rejected_handoff", "Rejected handoff"
    OBJECTION = "objection", "Top objection"
    COMPETITOR = "competitor", "Competitor mentioned"
    UNREVIEWED_ACCOUNT = "unreviewed_account", "Key account without a recent review"
