from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from crm.choices import CampaignStatus, Channel, PreviewDecision, Segment

MAX_AMOUNT = 10**11  # a hundred billion: past any real budget or spend line, inside Decimal(14, 2)


class Campaign(models.Model):
    """A marketing programme. Its actual cost is the sum of its spend entries, never a typed-in number; its
    status moves through crm.services.campaigns only (a campaign that requires a sales preview cannot go active
    before a sales previewer approved it)."""

    name = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    segments = ArrayField(
        models.CharField(max_length=16, choices=Segment.choices),
        default=list,
        blank=True,
        help_text="Target segments; empty means every segment.",
    )
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD", help_text="The currency of the budget and every spend.")
    requires_sales_preview = models.BooleanField(
        default=True, help_text="Sales previews and signs the campaign off before it can go active."
    )
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="campaign_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0, budget__lte=MAX_AMOUNT),
                name="campaign_budget_range",
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="campaign_currency_iso"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), 2000), name="campaign_description_length"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignSpend(models.Model):
    """One line of what a campaign cost: append-only; a correction is a deletion and a new line."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="spend_entries")
    spent_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["campaign", "spent_on"], name="spend_campaign_day")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, amount__lte=MAX_AMOUNT), name="spend_amount_range"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="spend_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.spent_on}"


class CampaignPreview(models.Model):
    """A sales previewer's decision on a campaign awaiting preview, with their comments; kept as history."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="previews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=PreviewDecision.choices)
    comments = models.TextField(blank=True, max_length=2000)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=PreviewDecision.values), name="preview_decision_valid"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("comments"), 2000), name="preview_comments_length"),
            # Asking for changes without saying which ones leaves marketing guessing.
            models.CheckConstraint(
                condition=Q(decision=PreviewDecision.APPROVED) | ~Q(comments=""), name="preview_changes_say_why"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} {self.decision} by {self.reviewer_id}"
