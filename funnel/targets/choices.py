from django.db import models


class TargetPeriod(models.TextChoices):
    """The periods a shared target is set for. Month and quarter are metric periods too (funnel.metrics), so the
    joint metrics carry their attainment; a year's is read from the target's page."""

    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class LeadSet(models.TextChoices):
    """The sets of leads behind a target's numbers, each listed on its drill-down page."""

    PURCHASES = "purchases", "Purchases counted"
    FORECAST = "forecast", "Open leads in the forecast"
    OPEN = "open", "Open leads with a value"  # the forecast's "Open leads" per stage, counted in or not
    HELD_SQLS = "held_sqls", "Open SQLs the funnel holds"
    HELD_MQLS = "held_mqls", "Open MQLs the funnel holds"
    HELD_LEADS = "held_leads", "Open leads not yet MQL"
