import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_lead_gross_margin"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportSource",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, unique=True)),
                (
                    "mapping",
                    models.JSONField(default=dict, help_text="File column → target, e.g. {'E-mail': 'lead.email'}."),
                ),
                (
                    "defaults",
                    models.JSONField(
                        default=dict,
                        help_text="Target → value used when a row leaves it empty, e.g. {'lead.source_campaign': 'Web'}.",
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={"ordering": ["name"]},
        ),
        migrations.CreateModel(
            name="ImportJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("dry_run", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("filename", models.CharField(blank=True, max_length=200)),
                (
                    "format",
                    models.CharField(
                        choices=[("csv", "CSV"), ("json", "JSON (an array of objects, or one object per line)")],
                        max_length=4,
                    ),
                ),
                ("content", models.BinaryField(editable=False)),
                (
                    "columns",
                    models.JSONField(default=list, help_text="The file's columns, as its header names them."),
                ),
                ("mapping", models.JSONField(default=dict)),
                ("defaults", models.JSONField(default=dict)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("mapping", "Waiting for its column mapping"),
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("done", "Done"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=8,
                    ),
                ),
                ("rows_total", models.PositiveIntegerField(default=0)),
                ("rows_done", models.PositiveIntegerField(default=0)),
                (
                    "last_chunk",
                    models.IntegerField(default=-1, help_text="The newest chunk committed; a rerun resumes after it."),
                ),
                ("counts", models.JSONField(default=dict, help_text="Rows per outcome so far.")),
                (
                    "error",
                    models.CharField(blank=True, help_text="Why the whole job failed, if it did.", max_length=500),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "dry_run_of",
                    models.ForeignKey(
                        blank=True,
                        help_text="The dry run it ran.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="leads.importjob",
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="jobs",
                        to="leads.importsource",
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("status__in", ["mapping", "queued", "running", "done", "failed"])),
                        name="import_status_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("format__in", ["csv", "json"])), name="import_format_valid"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("rows_done__lte", models.F("rows_total"))), name="import_progress_range"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ImportRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "number",
                    models.PositiveIntegerField(help_text="The row's number in the file, from 1 (a CSV header is 0)."),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("created", "Created"),
                            ("updated", "Updated (blank fields filled or a touch added)"),
                            ("duplicate", "Duplicate (nothing new)"),
                            ("refused", "Refused"),
                        ],
                        max_length=10,
                    ),
                ),
                ("errors", models.JSONField(default=dict, help_text="File column → what is wrong with it.")),
                ("note", models.CharField(blank=True, max_length=300)),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="rows", to="leads.importjob"
                    ),
                ),
                (
                    "lead",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="leads.lead",
                    ),
                ),
            ],
            options={
                "ordering": ["job", "number"],
                "constraints": [
                    models.UniqueConstraint(fields=("job", "number"), name="import_row_once"),
                    models.CheckConstraint(
                        condition=models.Q(("outcome__in", ["created", "updated", "duplicate", "refused"])),
                        name="import_row_outcome_valid",
                    ),
                ],
            },
        ),
    ]
