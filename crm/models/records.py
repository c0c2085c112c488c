from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from crm.choices import Segment


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
