from django.db import models


class PeriodKind(models.TextChoices):
    WEEK = "week", "Week"
    MONTH = "month", "Month"


class Dimension(models.TextChoices):
    """How the digest slices reports: overall, then by what marketing plans around."""

    ALL = "all", "All reports"
    SEGMENT = "segment", "Segment"
    PRODUCT = "product", "Product"
    CAMPAIGN = "campaign", "Campaign"
    STAGE = "stage", "Stage"
