from django.db import models


class Level(models.TextChoices):
    """How far marketing and sales work as one, lowest first (the order is the comparison)."""

    UNDEFINED = "undefined", "Undefined"
    DEFINED = "defined", "Defined"
    ALIGNED = "aligned", "Aligned"
    INTEGRATED = "integrated", "Integrated"


LEVEL_ORDER = [Level.UNDEFINED, Level.DEFINED, Level.ALIGNED, Level.INTEGRATED]


class Respondent(models.TextChoices):
    """The side a respondent answers for: the questionnaire compares the two."""

    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled", "Monthly job"
    ON_DEMAND = "on_demand", "On demand"
