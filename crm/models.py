from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import LessThanOrEqual

from crm.choices import CampaignStatus, Channel, InteractionChannel, Segment


class Company(models.Model):
    """An organisation we sell to. The normalised web domain identifies it for duplicate control."""

    name = models.CharField(max_length=200)
    domain = models.CharField(
        max_length=253, blank=True, help_text="Normalised web domain (lower case, no scheme or www.), e.g. acme.com."
    )
    industry = models.CharField(max_length=100, blank=True)
    segment = models.CharField(max_length=16, choices=Segment.choices, blank=True)
    territory = models.CharField(max_length=50, blank=True, help_text="Sales territory, e.g. EMEA, NA-East.")
    employees = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(Lower("domain"), condition=~Q(domain=""), name="company_domain_unique"),
            models.CheckConstraint(condition=Q(segment__in=["", *Segment.values]), name="company_segment_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a company."""

    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Campaign(models.Model):
    """A marketing programme. Minimal here (name, channel, segment, dates, owner); the campaign issue grows it."""

    name = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    segment = models.CharField(max_length=16, choices=Segment.choices, blank=True)
    status = models.CharField(max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="campaign_channel_valid"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="campaign_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


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
