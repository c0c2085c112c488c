from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from leads.choices import VersionStatus


class LeadDefinition(models.Model):
    """A named qualification level of the shared language (MQL, SAL, SQL); its criteria live in versions."""

    code = models.SlugField(max_length=20, unique=True, help_text="Short name, e.g. MQL.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2000)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Order of the levels: MQL 1, SAL 2, SQL 3.")

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), 2000), name="definition_description_length"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class LeadDefinitionVersion(models.Model):
    """One version of a definition's criteria. Active only after a marketing and a sales approver signed it.

    Criteria are structured conditions (see leads.criteria), validated before saving; versions are
    never edited after proposal — a change is a new version.
    """

    definition = models.ForeignKey(LeadDefinition, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    criteria = models.JSONField()
    note = models.TextField(blank=True, max_length=2000, help_text="Why this version: what changed and why.")
    status = models.CharField(max_length=12, choices=VersionStatus.choices, default=VersionStatus.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    marketing_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    marketing_signed_at = models.DateTimeField(null=True, blank=True)
    sales_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sales_signed_at = models.DateTimeField(null=True, blank=True)
    # The simulation each signer had in front of them when they signed (None: signed without one).
    marketing_simulation = models.ForeignKey(
        "funnel.Simulation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sales_simulation = models.ForeignKey(
        "funnel.Simulation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["definition__rank", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="definition_version_number_once"),
            models.UniqueConstraint(
                fields=["definition"], condition=Q(status=VersionStatus.ACTIVE), name="definition_one_active_version"
            ),
            models.CheckConstraint(condition=Q(status__in=VersionStatus.values), name="definition_status_valid"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("note"), 2000), name="definition_note_length"),
            # The database itself refuses an active version that lacks either signature or has one person twice.
            models.CheckConstraint(
                condition=~Q(status=VersionStatus.ACTIVE)
                | (
                    Q(marketing_approver__isnull=False, sales_approver__isnull=False)
                    & ~Q(marketing_approver=models.F("sales_approver"))
                ),
                name="definition_active_needs_two_signatures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.code} v{self.number} ({self.status})"


class DefinitionCrossing(models.Model):
    """A lead's score change made it newly meet (or stop meeting) an active definition. Recorded and told to the
    owner; it never moves the stage — every move still goes through the one door."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="definition_crossings")
    version = models.ForeignKey(LeadDefinitionVersion, on_delete=models.PROTECT, related_name="crossings")
    change = models.ForeignKey("leads.LeadScoreChange", on_delete=models.CASCADE, related_name="+")
    met = models.BooleanField(help_text="True: now meets it; false: no longer does.")
    score_before = models.PositiveSmallIntegerField()
    score_after = models.PositiveSmallIntegerField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["change", "version"], name="crossing_once")]

    def __str__(self) -> str:
        return f"{self.lead_id} {'meets' if self.met else 'no longer meets'} {self.version_id}"


class ScoreChangeCursor(models.Model):
    """How far the crossing job has read the score history; its row lock keeps two runs from both reading."""

    name = models.CharField(max_length=30, primary_key=True)
    last_change_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_change_id}"
