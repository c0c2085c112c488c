from django.conf import settings
from django.db import models
from django.db.models import Q

from funnel.diagnostic.choices import Level, Respondent, Trigger


class DiagnosticResponse(models.Model):
    """One person's ratings of the twenty statements, as submitted: never edited, a new answer is a new row.
    An assessment counts each respondent's newest answer inside its window once."""

    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    function = models.CharField(
        max_length=10, choices=Respondent.choices, help_text="The side answered for: the respondent's team's."
    )
    answers = models.JSONField(help_text='Statement number → rating 1–5, e.g. {"1": 4, …, "20": 3}.')
    total = models.PositiveSmallIntegerField(help_text="Sum of the 20 ratings, 20–100.")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["respondent", "-submitted_at"], name="diagresponse_newest")]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=20, total__lte=100), name="diagresponse_total_range"),
            models.CheckConstraint(condition=Q(function__in=Respondent.values), name="diagresponse_function_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.respondent_id} ({self.function}): {self.total}"


class Assessment(models.Model):
    """The integration level at one moment: the questionnaire's numbers, the evidence from the data (each item
    with its number, threshold, verdict and records), the level they give and the next steps. Kept, so the
    trend shows; the monthly job writes one per month (`month`), anyone may add one on demand."""

    computed_at = models.DateTimeField()
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    month = models.DateField(null=True, blank=True, help_text="First day of the month, for the monthly job's row.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(max_length=10, choices=Level.choices)
    questionnaire_level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    evidence_level = models.CharField(max_length=10, choices=Level.choices)
    respondents = models.PositiveIntegerField(default=0)
    mean_total = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    marketing_mean = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    marketing_respondents = models.PositiveIntegerField(default=0)
    sales_mean = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    sales_respondents = models.PositiveIntegerField(default=0)
    gap = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="Marketing mean − sales mean."
    )
    groups = models.JSONField(
        default=dict, help_text="all / marketing / sales → group → mean rating 1–5 (dashboard only)."
    )
    response_ids = models.JSONField(default=list, help_text="The answers counted: each respondent's newest.")
    evidence = models.JSONField(default=list)
    next_steps = models.JSONField(default=list)
    thresholds = models.JSONField(default=dict, help_text="The thresholds used.")

    class Meta:
        ordering = ["-computed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["month"], condition=Q(trigger="scheduled"), name="assessment_monthly_once"),
            models.CheckConstraint(condition=Q(level__in=Level.values), name="assessment_level_valid"),
            models.CheckConstraint(condition=Q(trigger__in=Trigger.values), name="assessment_trigger_valid"),
            models.CheckConstraint(
                condition=~Q(trigger="scheduled") | Q(month__isnull=False), name="assessment_monthly_has_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} at {self.computed_at:%Y-%m-%d}"
