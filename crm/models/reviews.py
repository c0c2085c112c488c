from django.conf import settings
from django.db import models
from django.db.models import Q

from crm.choices import ActionStatus
from crm.models.records import Company


class AccountReview(models.Model):
    """A key-account review: who sat at the table, what was said and decided. Its action items are tracked."""

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="reviews")
    held_on = models.DateField()
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="account_reviews")
    notes = models.TextField(blank=True, max_length=20000)
    decisions = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["company", "-held_on"], name="review_company_recent")]

    def __str__(self) -> str:
        return f"Review of {self.company} on {self.held_on}"


class ActionItem(models.Model):
    """Something one person owes by a date, raised at an account review or a joint meeting.

    Joint meetings live in funnel, above crm, so they point here (funnel.JointMeeting.action_items), not back.
    """

    title = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items")
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    review = models.ForeignKey(
        AccountReview, null=True, blank=True, on_delete=models.CASCADE, related_name="action_items"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="action_owner_open")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ActionStatus.values), name="action_status_valid"),
            models.CheckConstraint(
                condition=Q(status=ActionStatus.OPEN, closed_at__isnull=True)
                | (~Q(status=ActionStatus.OPEN) & Q(closed_at__isnull=False)),
                name="action_closed_when_not_open",
            ),
        ]

    def __str__(self) -> str:
        return self.title
