"""The integration diagnostic: questionnaire answers and assessments kept over time."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("funnel", "0015_targets"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Assessment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("computed_at", models.DateTimeField()),
                (
                    "trigger",
                    models.CharField(choices=[("scheduled", "Monthly job"), ("on_demand", "On demand")], max_length=10),
                ),
                (
                    "month",
                    models.DateField(
                        blank=True, help_text="First day of the month, for the monthly job's row.", null=True
                    ),
                ),
                (
                    "level",
                    models.CharField(
                        choices=[
                            ("undefined", "Undefined"),
                            ("defined", "Defined"),
                            ("aligned", "Aligned"),
                            ("integrated", "Integrated"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "questionnaire_level",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("undefined", "Undefined"),
                            ("defined", "Defined"),
                            ("aligned", "Aligned"),
                            ("integrated", "Integrated"),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "evidence_level",
                    models.CharField(
                        choices=[
                            ("undefined", "Undefined"),
                            ("defined", "Defined"),
                            ("aligned", "Aligned"),
                            ("integrated", "Integrated"),
                        ],
                        max_length=10,
                    ),
                ),
                ("respondents", models.PositiveIntegerField(default=0)),
                ("mean_total", models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True)),
                ("marketing_mean", models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True)),
                ("marketing_respondents", models.PositiveIntegerField(default=0)),
                ("sales_mean", models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True)),
                ("sales_respondents", models.PositiveIntegerField(default=0)),
                (
                    "gap",
                    models.DecimalField(
                        blank=True, decimal_places=2, help_text="Marketing mean − sales mean.", max_digits=5, null=True
                    ),
                ),
                (
                    "groups",
                    models.JSONField(
                        default=dict, help_text="all / marketing / sales → group → mean rating 1–5 (dashboard only)."
                    ),
                ),
                (
                    "response_ids",
                    models.JSONField(default=list, help_text="The answers counted: each respondent's newest."),
                ),
                ("evidence", models.JSONField(default=list)),
                ("next_steps", models.JSONField(default=list)),
                ("thresholds", models.JSONField(default=dict, help_text="The thresholds used.")),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-computed_at", "-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("trigger", "scheduled")), fields=("month",), name="assessment_monthly_once"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("level__in", ["undefined", "defined", "aligned", "integrated"])),
                        name="assessment_level_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("trigger__in", ["scheduled", "on_demand"])), name="assessment_trigger_valid"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("trigger", "scheduled"), _negated=True), ("month__isnull", False), _connector="OR"
                        ),
                        name="assessment_monthly_has_month",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="DiagnosticResponse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "function",
                    models.CharField(
                        choices=[("marketing", "Marketing"), ("sales", "Sales")],
                        help_text="The side answered for: the respondent's team's.",
                        max_length=10,
                    ),
                ),
                ("answers", models.JSONField(help_text='Statement number → rating 1–5, e.g. {"1": 4, …, "20": 3}.')),
                ("total", models.PositiveSmallIntegerField(help_text="Sum of the 20 ratings, 20–100.")),
                ("submitted_at", models.DateTimeField()),
                (
                    "respondent",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-submitted_at", "-id"],
                "indexes": [models.Index(fields=["respondent", "-submitted_at"], name="diagresponse_newest")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("total__gte", 20), ("total__lte", 100)), name="diagresponse_total_range"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("function__in", ["marketing", "sales"])), name="diagresponse_function_valid"
                    ),
                ],
            },
        ),
    ]
