from django.db import models

# The funnel's stages are defined with crm's choices (crm's collateral names the stages it supports, and crm
# sits below leads); this is where the funnel reads them.
from crm.choices import Stage

FUNNEL_STAGES = [Stage.AWARENESS, Stage.INTEREST, Stage.CONSIDERATION, Stage.INTENT, Stage.EVALUATION, Stage.PURCHASE]
OUTCOMES = frozenset({Stage.LOST, Stage.NURTURE})
INITIAL_STAGE = Stage.AWARENESS


class Fact(models.TextChoices):
    """Qualification facts (BANT); each is unknown (null), confirmed (true) or ruled out (false) on a lead."""

    BUDGET = "budget", "Budget"
    AUTHORITY = "authority", "Authority"
    NEED = "need", "Need"
    TIMELINE = "timeline", "Timeline"


class ParticipantRole(models.TextChoices):
    ESCALATION = "escalation", "Involved by escalation"
    WATCHER = "watcher", "Watcher"


class VersionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (awaiting sign-off)"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SignOffSide(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
