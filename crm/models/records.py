from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from crm.choices import BuyingRole, KeyAccountTier, MergeKind, Segment, SizeBand


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
    size_band = models.CharField(max_length=10, choices=SizeBand.choices, blank=True, help_text="Employees, banded.")
    is_key_account = models.BooleanField(default=False, help_text="Managed as a key account, with regular reviews.")
    key_account_tier = models.PositiveSmallIntegerField(
        choices=KeyAccountTier.choices, null=True, blank=True, help_text="1 is the top tier; only for key accounts."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_companies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"
        indexes = [models.Index(Lower("name"), name="company_name_lower")]
        constraints = [
            models.UniqueConstraint(Lower("domain"), condition=~Q(domain=""), name="company_domain_unique"),
            models.CheckConstraint(condition=Q(segment__in=["", *Segment.values]), name="company_segment_valid"),
            models.CheckConstraint(condition=Q(size_band__in=["", *SizeBand.values]), name="company_size_band_valid"),
            models.CheckConstraint(
                condition=Q(is_key_account=True, key_account_tier__in=KeyAccountTier.values)
                | Q(is_key_account=False, key_account_tier__isnull=True),
                name="company_key_account_has_tier",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a company. The lower-cased email identifies them for duplicate control."""

    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=100, blank=True)
    buying_role = models.CharField(
        max_length=16, choices=BuyingRole.choices, blank=True, help_text="Their part in the buying decision."
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), condition=~Q(email=""), name="contact_email_unique"),
            models.CheckConstraint(
                condition=Q(buying_role__in=["", *BuyingRole.values]), name="contact_buying_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class RecordMerge(models.Model):
    """A duplicate company or contact folded into the one kept: what it was and which links moved, for audit."""

    kind = models.CharField(max_length=10, choices=MergeKind.choices)
    kept_id = models.BigIntegerField(help_text="The company or contact that stayed.")
    removed_id = models.BigIntegerField(help_text="The duplicate's id, which no longer exists.")
    removed = models.JSONField(help_text="The duplicate's fields as they were.")
    moved = models.JSONField(help_text="How many links of each kind moved to the kept record.")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["kind", "kept_id"], name="merge_kept")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=MergeKind.values), name="merge_kind_valid"),
            models.CheckConstraint(condition=~Q(kept_id=models.F("removed_id")), name="merge_not_into_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.removed_id} merged into {self.kept_id}"
