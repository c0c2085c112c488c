from django.db import models
from django.db.models import Q

from funnel.attribution.weights import MODEL_LABELS, MODELS


class Purchase(models.Model):
    """A lead reaching purchase: its revenue and gross margin as they stood, and the funnel's milestones as the
    transition history recorded them — written in the same transaction as the move, never edited."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="purchases")
    transition = models.OneToOneField("funnel.Transition", on_delete=models.PROTECT, related_name="purchase")
    revenue = models.DecimalField(max_digits=14, decimal_places=2, null=True, help_text="The lead's value.")
    gross_margin = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    currency = models.CharField(max_length=3)
    lead_created_at = models.DateTimeField()
    mql_at = models.DateTimeField(null=True, help_text="The first move that used a signed MQL definition.")
    sql_at = models.DateTimeField(null=True, help_text="The first move that used a signed SQL definition.")
    purchased_at = models.DateTimeField()

    class Meta:
        ordering = ["-purchased_at", "-id"]
        indexes = [models.Index(fields=["purchased_at"], name="purchase_time")]

    def __str__(self) -> str:
        return f"{self.lead_id} on {self.purchased_at:%Y-%m-%d}: {self.revenue} {self.currency}"


class AttributionCredit(models.Model):
    """One touch's share of one purchase's revenue and margin under one attribution model. Per purchase and
    model the amounts sum exactly to the purchase's (cents allocated by largest remainder)."""

    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="credits")
    model = models.CharField(max_length=12, choices=[(m, MODEL_LABELS[m]) for m in MODELS])
    touch = models.ForeignKey("crm.Touch", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey("crm.Campaign", on_delete=models.PROTECT, related_name="+")
    share = models.DecimalField(max_digits=11, decimal_places=10)
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    gross_margin = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["model", "campaign"], name="credit_model_campaign")]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "model", "touch"], name="credit_once"),
            models.CheckConstraint(condition=Q(model__in=MODELS), name="credit_model_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.model}: {self.revenue} to campaign {self.campaign_id}"
