from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from crm.choices import InteractionChannel, InterestLevel, Sentiment, Stage
from crm.models.campaigns import Campaign
from crm.models.records import Company, Contact
from crm.models.taxonomy import Tag


class CallReport(models.Model):
    """A short, typed record of a sales interaction that marketing reads through the insight digest.

    `lead` points at leads.Lead by name only: crm sits below leads in the import direction. `lead_stage`,
    `segment` and `campaign` are the lead's as the report was logged, so the digest of a past period does not
    change when the lead later moves.
    """

    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="call_reports")
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_reports")
    contacts = models.ManyToManyField(Contact, blank=True, related_name="call_reports", help_text="Contacts met.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="call_reports")
    marketers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="call_reports_joined", help_text="Marketers who took part."
    )
    occurred_on = models.DateField()
    channel = models.CharField(max_length=10, choices=InteractionChannel.choices)
    outcome = models.CharField(max_length=200)
    notes = models.TextField(blank=True, max_length=5000)
    next_step = models.CharField(max_length=200, blank=True, help_text="What happens next, e.g. 'Send the proposal'.")
    next_step_on = models.DateField(null=True, blank=True, help_text="When the next step is due.")
    tags = models.ManyToManyField(Tag, through="CallReportTag", blank=True, related_name="call_reports")
    interest_level = models.CharField(max_length=8, choices=InterestLevel.choices, blank=True)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    lead_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True, editable=False)
    segment = models.CharField(max_length=16, blank=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_reports", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["lead", "-occurred_on"], name="callreport_lead_recent"),
            # "Leads whose next step is due" on each rep's home page.
            models.Index(fields=["author", "next_step_on"], name="callreport_next_step_due"),
            models.Index(fields=["company", "-occurred_on"], name="callreport_company_recent"),
            # The insight digest reads one period at a time.
            models.Index(fields=["occurred_on"], name="callreport_occurred"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=InteractionChannel.values), name="callreport_channel_valid"),
            models.CheckConstraint(
                condition=Q(lead__isnull=False) | Q(company__isnull=False), name="callreport_has_subject"
            ),
            models.CheckConstraint(condition=LessThanOrEqual(Length("notes"), 5000), name="callreport_notes_length"),
            models.CheckConstraint(
                condition=Q(interest_level__in=["", *InterestLevel.values]), name="callreport_interest_valid"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__in=["", *Sentiment.values]), name="callreport_sentiment_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} on {self.occurred_on}: {self.outcome}"


class CallReportTag(models.Model):
    """One taxonomy term on one report."""

    report = models.ForeignKey(CallReport, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="report_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "tag"], name="callreporttag_unique")]

    def __str__(self) -> str:
        return f"{self.tag} on report {self.report_id}"
