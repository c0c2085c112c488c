from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from crm.choices import Segment
from funnel.targets.choices import TargetPeriod
from leads.choices import VersionStatus


class RevenueTarget(models.Model):
    """The shared target ("the number"): one revenue goal for a month, quarter or year that a marketing and a
    sales manager both commit to. Proposed, then signed by both sides (two different people, as lead
    definitions are); the second signature activates it and supersedes the period's previous active target.
    Never edited after proposal: a change is a new proposal for the same period."""

    period_kind = models.CharField(max_length=8, choices=TargetPeriod.choices)
    period_start = models.DateField(help_text="The first day of the month, quarter or year.")
    period_end = models.DateField(help_text="Exclusive: the first day after the period.")
    amount = models.DecimalField(max_digits=14, decimal_places=2, help_text="The revenue to reach.")
    currency = models.CharField(max_length=3, default="USD", help_text="Only purchases in it count.")
    note = models.TextField(blank=True, max_length=2000, help_text="Why this number: what it assumes.")
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
        ordering = ["-period_start", "period_kind", "-id"]
        constraints = [
            # One number per period: the partial index also settles two activations racing for one period.
            models.UniqueConstraint(
                fields=["period_kind", "period_start"],
                condition=Q(status=VersionStatus.ACTIVE),
                name="target_one_active_per_period",
            ),
            models.CheckConstraint(condition=Q(period_kind__in=TargetPeriod.values), name="target_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=VersionStatus.values), name="target_status_valid"),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="target_period_forward"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="target_amount_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="target_currency_iso"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("note"), 2000), name="target_note_length"),
            models.CheckConstraint(
                condition=~Q(status=VersionStatus.ACTIVE)
                | (
                    Q(marketing_approver__isnull=False, sales_approver__isnull=False)
                    & ~Q(marketing_approver=F("sales_approver"))
                ),
                name="target_active_needs_two_signatures",
            ),
        ]
        indexes = [models.Index(fields=["status", "period_start"], name="target_status_start")]

    def __str__(self) -> str:
        return f"{self.get_period_kind_display()} from {self.period_start}: {self.amount} {self.currency}"


class TargetSplit(models.Model):
    """A share of a target owed by one team, one segment, or one team in one segment. A target's splits sum
    exactly to its amount (checked by the service that proposes it; a proposal is never edited)."""

    target = models.ForeignKey(RevenueTarget, on_delete=models.CASCADE, related_name="splits")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    segment = models.CharField(max_length=16, blank=True, choices=Segment.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["target", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "team", "segment"], nulls_distinct=False, name="target_split_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="target_split_positive"),
            models.CheckConstraint(condition=Q(team__isnull=False) | ~Q(segment=""), name="target_split_names_one"),
            models.CheckConstraint(
                condition=Q(segment="") | Q(segment__in=Segment.values), name="target_split_segment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id or '*'}/{self.segment or '*'}: {self.amount}"
