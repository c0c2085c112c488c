from django.conf import settings
from django.db import models
from django.db.models import Q

from crm.choices import Segment
from crm.models.records import Company
from crm.models.taxonomy import Tag


class Responsibility(models.Model):
    """One line of the "who to call" directory: for this slice of the market, these people answer.

    Blank dimensions match anything, so the line for segment=enterprise alone covers every enterprise account,
    and a line naming the company (a key account) is more specific than any segment or territory line. A line
    with every dimension blank is the fallback: who answers when nothing more specific does.
    """

    segment = models.CharField(max_length=16, choices=Segment.choices, blank=True)
    territory = models.CharField(max_length=50, blank=True)
    product = models.ForeignKey(
        Tag,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsibilities",
        limit_choices_to={"kind": "product"},
    )
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="responsibilities",
        help_text="A key account with its own people.",
    )
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    marketer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    liaison = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    confirmed_at = models.DateTimeField(help_text="When someone last said this line is still true.")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "responsibilities"
        ordering = ["segment", "territory", "id"]
        indexes = [
            models.Index(fields=["company"], name="resp_company", condition=Q(company__isnull=False)),
            models.Index(fields=["segment", "territory"], name="resp_segment_territory"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(segment__in=["", *Segment.values]), name="resp_segment_valid"),
            models.CheckConstraint(
                condition=~Q(rep__isnull=True, marketer__isnull=True, liaison__isnull=True, manager__isnull=True),
                name="resp_names_someone",
            ),
            models.UniqueConstraint(
                "segment", "territory", "product", "company", name="resp_slice_unique", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return (
            " / ".join(filter(None, [self.segment, self.territory, str(self.company or ""), str(self.product or "")]))
            or "Everyone else"
        )
