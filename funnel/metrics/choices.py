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


# What each drillable metric is called on a page (the API keeps the names).
METRIC_LABELS = {
    "entered": "Leads entering the stage",
    "cohort_conversion": "Cohort conversion",
    "cohort_reached": "Cohort: reached the later stage",
    "cohort_lost": "Cohort: lost since",
    "cohort_recycled": "Cohort: back in nurture",
    "cohort_open": "Cohort: still open",
    "flow_conversion": "Flow conversion",
    "time_in_stage_median": "Median days in stage",
    "time_in_stage_p90": "p90 days in stage",
    "velocity_median": "Median days awareness → purchase",
    "velocity_p90": "p90 days awareness → purchase",
    "win_rate": "Win rate",
    "closings": "Closings (purchases)",
    "closed_lost": "Closed lost",
    "new_customers": "New customers",
    "revenue": "Revenue",
    "gross_margin": "Gross margin",
    "gross_margin_per_customer": "Gross margin per customer",
    "handoffs_created": "Handoffs opened",
    "handoffs_accepted": "Handoffs accepted",
    "handoffs_rejected": "Handoffs rejected",
    "handoff_acceptance_rate": "Handoff acceptance",
    "handoff_accept_hours_median": "Median hours to accept a handoff",
    "handoff_accept_hours_p90": "p90 hours to accept a handoff",
    "sla_accept_compliance": "Accept SLA met",
    "sla_first_touch_compliance": "First-touch SLA met",
    "cost_per_lead": "Cost per lead",
    "cost_per_mql": "Cost per MQL",
    "cost_per_customer": "Cost per customer",
    "return_on_spend": "Return on campaign spend",
    "marketing_sourced_revenue": "Marketing-sourced revenue",
    "marketing_influenced_revenue": "Marketing-influenced revenue",
    "sales_expense_to_sales": "Sales expense to sales",
}
# Metrics that count handoffs: a lead handed off twice is one lead behind two of them.
COUNTS_HANDOFFS = {name for name in METRIC_LABELS if "handoff" in name or name.startswith("sla_")}
