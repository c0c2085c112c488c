from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from crm.choices import InteractionChannel
from crm.models.records import Company, Contact


class CallReport(models.Model):
    """A short record of a sales interaction. Minimal here; the sales-side issue adds the typed insight fields.

    `lead` points at leads.Lead by name only: crm sits below leads in the import direction.
    """

    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="call_reports")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_reports")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="call_reports")
    occurred_on = models.DateField()
    channel = models.CharField(max_length=10, choices=InteractionChannel.choices)
    outcome = models.CharField(max_length=200)
    notes = models.TextField(blank=True, max_length=5000)
    next_step = models.CharField(max_length=200, blank=True, help_text="What happens next, e.g. 'Send the proposal'.")
    next_step_on = models.DateField(null=True, blank=True, help_text="When the next step is due.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["lead", "-occurred_on"], name="callreport_lead_recent"),
            # "Leads whose next step is due" on each rep's home page.
            models.Index(fields=["author", "next_step_on"], name="callreport_next_step_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=InteractionChannel.values), name="callreport_channel_valid"),
            models.CheckConstraint(
                condition=Q(lead__isnull=False) | Q(company__isnull=False), name="callreport_has_subject"
            ),
            models.CheckConstraint(condition=LessThanOrEqual(Length("notes"), 5000), name="callreport_notes_length"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} on {self.occurred_on}: {self.outcome}"
