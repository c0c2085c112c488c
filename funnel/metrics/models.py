from django.conf import settings
from django.db import models
from django.db.models import F, Q

from crm.models.campaigns import MAX_AMOUNT
from funnel.metrics.choices import Dimension, JobStatus, PeriodKind
from leads.choices import Stage as StageKey


class StageSpan(models.Model):
    """One pass of a lead through one stage (outcomes included): written by the one door with the transition
    that opened it and closed by the next, so metrics never re-derive passes from the history."""

    # Indexed by span_lead_entered (lead, entered_at), which serves every look-up by the lead.
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="stage_spans", db_index=False)
    stage = models.CharField(max_length=16, choices=StageKey.choices)
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    next_stage = models.CharField(max_length=16, choices=StageKey.choices, blank=True)
    # The history is append-only in the database (a trigger refuses DELETE), so there is nothing to cascade.
    opened_by = models.OneToOneField("funnel.Transition", on_delete=models.DO_NOTHING, related_name="span")
    # Who held the lead and for which team while it sat here: the owner and team dimensions of every metric.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["stage", "entered_at"], name="span_stage_entered"),
            models.Index(fields=["lead", "entered_at"], name="span_lead_entered"),
            models.Index(fields=["left_at"], name="span_left", condition=Q(left_at__isnull=False)),
            # A period's entries of every stage (the flow families) without walking a whole lead-ordered index.
            models.Index(fields=["entered_at"], name="span_entered"),
            # Each customer's first purchase (new customers), read from the index alone.
            models.Index(
                fields=["entered_at", "id"], include=["lead"], condition=Q(stage="purchase"), name="span_purchase"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(left_at__isnull=True), name="span_one_open"),
            models.CheckConstraint(condition=Q(stage__in=StageKey.values), name="span_stage_valid"),
            models.CheckConstraint(
                condition=Q(left_at__isnull=True, next_stage="")
                | Q(left_at__isnull=False, next_stage__in=StageKey.values),
                name="span_closed_has_next",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} in {self.stage} from {self.entered_at:%Y-%m-%d}"


class SalesExpense(models.Model):
    """Money a sales team spent in a period (salaries, travel, tools): the numerator of sales expense to sales
    and, with campaign spend, of the cost per lead, MQL and customer."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="sales_expenses")
    spent_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    category = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-spent_on", "-id"]
        indexes = [models.Index(fields=["spent_on", "team"], name="expense_day_team")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, amount__lte=MAX_AMOUNT), name="expense_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="expense_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.spent_on}: {self.amount} {self.currency}"


class MetricSnapshot(models.Model):
    """Every metric of one period, computed together in one transaction: a rerun replaces the rows, so a
    snapshot is never half-written. `history_through` is the newest transition the computation saw; `computed_at`
    the moment it read the data (its first statement), what "data as of" means."""

    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Exclusive.")
    computed_at = models.DateTimeField(null=True, blank=True)
    history_through_id = models.BigIntegerField(null=True, blank=True)
    history_through_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["period_kind", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "period_start"], name="snapshot_once"),
            models.CheckConstraint(condition=Q(period_kind__in=PeriodKind.values), name="snapshot_kind_valid"),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="snapshot_period_forward"),
        ]

    def __str__(self) -> str:
        return f"{self.period_kind} {self.period_start}"


class MetricInvalidation(models.Model):
    """The latest change dated inside a closed period: the period's snapshot is stale while `changed_at` is at or
    after the snapshot's `computed_at` (the moment its data was read). A row of its own, not a column of the
    snapshot, so marking never touches the row a running recompute holds under REPEATABLE READ."""

    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    changed_at = models.DateTimeField()
    cause = models.CharField(max_length=40, help_text="What changed: a transition, a spend line, touches…")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period_kind", "period_start"], name="metric_invalidation_once"),
            models.CheckConstraint(condition=Q(period_kind__in=PeriodKind.values), name="invalidation_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.period_kind} {self.period_start} changed {self.changed_at:%Y-%m-%d %H:%M} ({self.cause})"


class MetricValue(models.Model):
    """One number of a snapshot: `metric` (e.g. `entered`, `conversion`), the stage pair it concerns where it
    has one, and the dimension slice. Ratios keep their numerator and denominator so any roll-up can redo them."""

    # Indexed by metric_value_slice (a snapshot's rows, and one slice of them: what the dashboard reads).
    snapshot = models.ForeignKey(MetricSnapshot, on_delete=models.CASCADE, related_name="values", db_index=False)
    metric = models.CharField(max_length=40)
    stage = models.CharField(max_length=16, blank=True)
    to_stage = models.CharField(max_length=16, blank=True)
    dimension = models.CharField(max_length=10, choices=Dimension.choices, default=Dimension.ALL)
    dimension_value = models.CharField(max_length=100, blank=True)
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    numerator = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    detail = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["snapshot", "dimension", "dimension_value"], name="metric_value_slice")]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "metric", "stage", "to_stage", "dimension", "dimension_value"],
                name="metric_value_once",
            ),
            models.CheckConstraint(condition=Q(dimension__in=Dimension.values), name="metric_dimension_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.stage}>{self.to_stage} {self.dimension}={self.dimension_value}: {self.value}"


class MetricJob(models.Model):
    """A recompute asked for through the API or the schedule, with its progress: the answer to 202."""

    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_starts = models.JSONField(default=list, help_text="ISO dates of the periods to recompute.")
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=JobStatus.values), name="metric_job_status_valid"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="metric_job_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"Metric job {self.pk} ({self.status})"
