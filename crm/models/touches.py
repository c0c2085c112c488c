from django.conf import settings
from django.db import models
from django.db.models import Q

from crm.choices import TouchKind
from crm.models.campaigns import Campaign


class Touch(models.Model):
    """A lead's interaction with a campaign at a time: what scoring counts and attribution credits.

    Immutable once written. `client_key` makes a sender's retries harmless: the same key from the same sender
    is stored once. `lead` points at leads.Lead by name only: crm sits below leads in the import direction.
    """

    # The three keys are indexed by the composite indexes below that lead with them (touch_lead_time,
    # touch_campaign_lead, touch_client_key_once); single-column ones would only cost writes.
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="touches", db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="touches", db_index=False)
    kind = models.CharField(max_length=20, choices=TouchKind.choices)
    occurred_at = models.DateTimeField()
    weight = models.DecimalField(
        max_digits=4, decimal_places=2, default=1, help_text="Multiplies the touch's scoring points (0.01–10)."
    )
    client_key = models.CharField(
        max_length=100, null=True, blank=True, help_text="The sender's id for this touch; a retry with it is ignored."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # A lead's timeline and its engagement score read its touches in time order.
            models.Index(fields=["lead", "occurred_at"], name="touch_lead_time"),
            # A campaign's touched leads, distinct, walked in order from the index alone: the performance report
            # counts them per campaign without hashing millions of pairs.
            models.Index(fields=["campaign", "lead", "occurred_at"], name="touch_campaign_lead"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recorded_by", "client_key"], name="touch_client_key_once"),
            models.CheckConstraint(condition=Q(kind__in=TouchKind.values), name="touch_kind_valid"),
            models.CheckConstraint(condition=Q(weight__gt=0, weight__lte=10), name="touch_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.campaign_id} at {self.occurred_at:%Y-%m-%d}"
