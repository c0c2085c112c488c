from django.db import models


class PeriodKind(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


class Dimension(models.TextChoices):
    """How a metric is sliced. `all` is the whole company; the others group by the lead's attribute (team and
    owner as they were when the lead entered the stage). `company` slices key accounts one by one and holds every
    other lead under the value ''."""

    ALL = "all", "Whole company"
    COMPANY = "company", "Key account"
    TEAM = "team", "Team"
    OWNER = "owner", "Owner"
    CAMPAIGN = "campaign", "Source campaign"
    CHANNEL = "channel", "Channel"
    SEGMENT = "segment", "Segment"
    SOURCE = "source", "Source (marketing or sales)"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
