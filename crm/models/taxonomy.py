from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from crm.choices import TagKind, TagStatus


class Tag(models.Model):
    """A term of a managed taxonomy (an objection, a competitor, a need…) that call reports choose from.

    Administrators curate them; a rep may suggest one, which reports can carry at once but which counts in the
    insight digest only once accepted. Synonyms let autocomplete find "too expensive" under `price_value`.
    """

    kind = models.CharField(max_length=12, choices=TagKind.choices)
    slug = models.SlugField(max_length=60, help_text="Stable code, e.g. price_value.")
    label = models.CharField(max_length=100)
    synonyms = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    status = models.CharField(max_length=10, choices=TagStatus.choices, default=TagStatus.ACCEPTED)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "label"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "slug"], name="tag_kind_slug_unique"),
            models.CheckConstraint(condition=Q(kind__in=TagKind.values), name="tag_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=TagStatus.values), name="tag_status_valid"),
        ]

    def __str__(self) -> str:
        return self.label
