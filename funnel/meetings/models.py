from django.conf import settings
from django.db import models
from django.db.models import Q

from funnel.meetings.choices import AgendaKind


class JointMeeting(models.Model):
    """The regular sales and marketing meeting. Its agenda is generated from the data since the previous meeting;
    its action items are crm.ActionItems, carried to the next agenda until done."""

    held_on = models.DateField()
    title = models.CharField(max_length=200, default="Sales & marketing joint meeting")
    opportunity_threshold = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Open opportunities worth at least this are on the agenda."
    )
    notes = models.TextField(blank=True, max_length=20000)
    action_items = models.ManyToManyField("crm.ActionItem", blank=True, related_name="meetings")
    agenda_generated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["held_on"], name="jointmeeting_one_per_day"),
            models.CheckConstraint(condition=Q(opportunity_threshold__gte=0), name="jointmeeting_threshold_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} on {self.held_on}"


class AgendaItem(models.Model):
    """One line of a meeting's agenda, linked to the record it is about."""

    meeting = models.ForeignKey(JointMeeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=AgendaKind.choices)
    title = models.CharField(max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    handoff = models.ForeignKey("funnel.Handoff", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey("crm.Company", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("crm.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    action_item = models.ForeignKey("crm.ActionItem", null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_position_unique"),
            models.CheckConstraint(condition=Q(kind__in=AgendaKind.values), name="agenda_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title
