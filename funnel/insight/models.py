from django.conf import settings
from django.db import models
from django.db.models import Q

from funnel.insight.choices import Dimension, PeriodKind


class Digest(models.Model):
    """The call reports of one week or month rolled up for marketing. Recomputing a period replaces its counts
    with the same numbers: it is a pure function of the reports and the accepted taxonomy."""

    period_kind = models.CharField(max_length=5, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Exclusive.")
    report_count = models.PositiveIntegerField(default=0)
    previous_report_count = models.PositiveIntegerField(default=0)
    quotes = models.JSONField(default=dict, help_text="Tag id → up to three example quotes from report notes.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_start", "period_kind"]
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "period_start"], name="digest_period_unique"),
            models.CheckConstraint(condition=Q(period_kind__in=PeriodKind.values), name="digest_period_kind_valid"),
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")), name="digest_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_period_kind_display()} of {self.period_start}"


class DigestCount(models.Model):
    """How many reports of the period carried a tag, overall or within one slice (a segment, product, campaign
    or the stage the lead was in), with the same count for the period before."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="counts")
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    value = models.CharField(max_length=64, blank=True, help_text="The slice: a segment, product tag id, …")
    tag = models.ForeignKey("crm.Tag", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField()
    previous_count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["digest", "dimension", "value", "-count"], name="digestcount_slice")]
        constraints = [
            models.UniqueConstraint(fields=["digest", "dimension", "value", "tag"], name="digestcount_unique"),
            models.CheckConstraint(condition=Q(dimension__in=Dimension.values), name="digestcount_dimension_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} × {self.count} ({self.dimension} {self.value})"


class DigestDelivery(models.Model):
    """One digest sent to one marketer, so a rerun of the delivery job sends nothing twice."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    segments = models.JSONField(default=list, help_text="The segments of the digest that concern them.")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["digest", "recipient"], name="digestdelivery_unique")]

    def __str__(self) -> str:
        return f"Digest {self.digest_id} to {self.recipient_id}"


class InsightResponse(models.Model):
    """What marketing did about an insight: a tag (an objection, a competitor…) answered by a collateral or a
    campaign. It closes the loop the digest opens."""

    tag = models.ForeignKey("crm.Tag", on_delete=models.CASCADE, related_name="responses")
    collateral = models.ForeignKey(
        "crm.Collateral", null=True, blank=True, on_delete=models.CASCADE, related_name="insight_responses"
    )
    campaign = models.ForeignKey(
        "crm.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="insight_responses"
    )
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(collateral__isnull=False) | Q(campaign__isnull=False), name="response_names_an_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"Answer to {self.tag}"
