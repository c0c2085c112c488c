from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from crm.choices import CollateralKind, CollateralStatus, Segment, Stage


class Collateral(models.Model):
    """A marketing asset sales uses with buyers (deck, case study, price sheet…). What is sent lives in its
    versions; only a version a sales reviewer approved can be released."""

    title = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=CollateralKind.choices)
    stages = ArrayField(
        models.CharField(max_length=16, choices=Stage.choices),
        default=list,
        blank=True,
        help_text="Stages it supports.",
    )
    segments = ArrayField(models.CharField(max_length=16, choices=Segment.choices), default=list, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collateral")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "collateral"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CollateralKind.values), name="collateral_kind_valid")
        ]

    def __str__(self) -> str:
        return self.title


class CollateralVersion(models.Model):
    """One version of an asset: reviewed by sales before it may be released. A new version goes to review
    again; the released one stays in use until its successor is released."""

    collateral = models.ForeignKey(Collateral, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    link = models.URLField(max_length=500, help_text="Where the file lives (a document store, a share).")
    notes = models.TextField(blank=True, max_length=2000, help_text="What changed in this version.")
    status = models.CharField(max_length=20, choices=CollateralStatus.choices, default=CollateralStatus.IN_REVIEW)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comments = models.TextField(blank=True, max_length=2000)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["collateral", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["collateral", "number"], name="collateral_version_number_once"),
            models.UniqueConstraint(
                fields=["collateral"], condition=Q(status=CollateralStatus.RELEASED), name="collateral_one_released"
            ),
            models.CheckConstraint(condition=Q(status__in=CollateralStatus.values), name="collateral_status_valid"),
            # The database refuses a released version nobody in sales approved.
            models.CheckConstraint(
                condition=~Q(status__in=[CollateralStatus.APPROVED, CollateralStatus.RELEASED])
                | Q(reviewer__isnull=False, reviewed_at__isnull=False),
                name="collateral_release_needs_review",
            ),
            models.CheckConstraint(condition=LessThanOrEqual(Length("notes"), 2000), name="collateral_notes_length"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("review_comments"), 2000), name="collateral_comments_length"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collateral} v{self.number} ({self.status})"


class CollateralUse(models.Model):
    """Which released collateral version was used with which lead at which stage, and by whom: the evidence
    a "released collateral used at this stage" handoff precondition reads."""

    version = models.ForeignKey(CollateralVersion, on_delete=models.PROTECT, related_name="uses")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="collateral_uses")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        indexes = [models.Index(fields=["lead", "stage"], name="collateraluse_lead_stage")]

    def __str__(self) -> str:
        return f"{self.version} with {self.lead_id} at {self.stage}"
