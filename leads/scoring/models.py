from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from leads.choices import VersionStatus


class ScoringModelVersion(models.Model):
    """One version of the lead scoring model both teams use. Because the MQL threshold hangs on the score, a
    version is used only after a marketing and a sales sign-off by two people (leads.signoff), like lead
    definitions; the rules are never edited after proposal — a change is a new version."""

    number = models.PositiveIntegerField(unique=True)
    fit_rules = models.JSONField(default=list)
    engagement_rules = models.JSONField(default=list)
    note = models.TextField(blank=True, max_length=2000, help_text="What changed and why.")
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
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status=VersionStatus.ACTIVE), name="scoring_one_active_version"
            ),
            models.CheckConstraint(condition=Q(status__in=VersionStatus.values), name="scoring_status_valid"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("note"), 2000), name="scoring_note_length"),
            models.CheckConstraint(
                condition=~Q(status=VersionStatus.ACTIVE)
                | (
                    Q(marketing_approver__isnull=False, sales_approver__isnull=False)
                    & ~Q(marketing_approver=models.F("sales_approver"))
                ),
                name="scoring_active_needs_two_signatures",
            ),
        ]

    def __str__(self) -> str:
        return f"Scoring v{self.number} ({self.status})"


class LeadScore(models.Model):
    """A lead's current fit, engagement, exact total and grade under the version that scored it, as of
    `scored_at` (decay depends on when). leads_lead.score holds the total rounded, for lists and criteria."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, primary_key=True, related_name="score_detail")
    version = models.ForeignKey(ScoringModelVersion, on_delete=models.PROTECT, related_name="+")
    fit = models.DecimalField(max_digits=5, decimal_places=2)
    engagement = models.DecimalField(max_digits=5, decimal_places=2)
    total = models.DecimalField(max_digits=5, decimal_places=2)
    grade = models.CharField(max_length=2)
    scored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    fit__gte=0, fit__lte=100, engagement__gte=0, engagement__lte=100, total__gte=0, total__lte=100
                ),
                name="leadscore_ranges",
            ),
            models.CheckConstraint(condition=Q(grade__regex=r"^[A-D][1-4]$"), name="leadscore_grade_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.total} {self.grade}"


class LeadScoreChange(models.Model):
    """The score's history: one row each time a lead's whole score or grade changed, and why."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="score_changes")
    version = models.ForeignKey(ScoringModelVersion, on_delete=models.PROTECT, related_name="+")
    score_before = models.PositiveSmallIntegerField(null=True)
    score_after = models.PositiveSmallIntegerField()
    grade_before = models.CharField(max_length=2, blank=True)
    grade_after = models.CharField(max_length=2)
    cause = models.CharField(max_length=20, help_text="touches, recompute or activation")
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["lead", "-changed_at"], name="scorechange_lead_recent")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.score_before} → {self.score_after}"
