from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for its column mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class RowOutcome(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated (blank fields filled or a touch added)"
    DUPLICATE = "duplicate", "Duplicate (nothing new)"
    REFUSED = "refused", "Refused"


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON (an array of objects, or one object per line)"


class ImportSource(models.Model):
    """Where files come from (the website's form export, a trade show's badge scans): the column mapping and
    the defaults saved once, so the next file from the same place imports without mapping it again."""

    name = models.CharField(max_length=100, unique=True)
    mapping = models.JSONField(default=dict, help_text="File column → target, e.g. {'E-mail': 'lead.email'}.")
    defaults = models.JSONField(
        default=dict, help_text="Target → value used when a row leaves it empty, e.g. {'lead.source_campaign': 'Web'}."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One run over one file, dry or real. The file is kept with the job so a rerun (a killed worker, a
    retry) reads exactly the same rows; `last_chunk` is the newest chunk whose rows are committed, so a rerun
    resumes after it."""

    source = models.ForeignKey(ImportSource, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    dry_run = models.BooleanField(default=False)
    dry_run_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The dry run it ran."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(max_length=200, blank=True)
    format = models.CharField(max_length=4, choices=ImportFormat.choices)
    content = models.BinaryField(editable=False)
    columns = models.JSONField(default=list, help_text="The file's columns, as its header names them.")
    mapping = models.JSONField(default=dict)
    defaults = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    last_chunk = models.IntegerField(default=-1, help_text="The newest chunk committed; a rerun resumes after it.")
    counts = models.JSONField(default=dict, help_text="Rows per outcome so far.")
    error = models.CharField(max_length=500, blank=True, help_text="Why the whole job failed, if it did.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_status_valid"),
            models.CheckConstraint(condition=Q(format__in=ImportFormat.values), name="import_format_valid"),
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")), name="import_progress_range"),
        ]

    def __str__(self) -> str:
        return f"{'Dry run' if self.dry_run else 'Import'} {self.pk} of {self.filename or 'a file'}"


class ImportRow(models.Model):
    """What happened to one row of a job's file (or would happen, in a dry run). Unique per (job, row), so a
    chunk written twice by a rerun cannot report a row twice."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows", db_index=False)  # import_row_once
    number = models.PositiveIntegerField(help_text="The row's number in the file, from 1 (a CSV header is 0).")
    outcome = models.CharField(max_length=10, choices=RowOutcome.choices)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    errors = models.JSONField(default=dict, help_text="File column → what is wrong with it.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="import_row_once"),
            models.CheckConstraint(condition=Q(outcome__in=RowOutcome.values), name="import_row_outcome_valid"),
        ]

    def __str__(self) -> str:
        return f"row {self.number}: {self.outcome}"
