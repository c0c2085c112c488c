"""The Import page: upload a file, map its columns (or pick a saved source), read the dry run's report, start
the real run and watch its progress bar (htmx polls the progress fragment until the job is done)."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.errors import DomainError
from crm.choices import TouchKind
from crm.models import Campaign
from leads.imports import mapping as mappings
from leads.imports import parse, services
from leads.imports.models import ImportJob, ImportSource, ImportStatus, RowOutcome

TARGET_CHOICES = [("", "— not imported —")] + [(t, t) for t in sorted(mappings.TARGETS)]


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (any delimiter, UTF-8) or JSON (an array or one object per line), up to 50 MB."
    )
    source = forms.ModelChoiceField(
        queryset=ImportSource.objects.all(),
        required=False,
        empty_label="None: I map the columns",
        help_text="A saved source maps the columns and fills the defaults for you.",
    )


def _importer(request) -> None:
    if not services.may_import(request.user):
        raise PermissionDenied("Marketing, managers, revenue leaders and administrators import leads.")


def _job(request, job_id: int) -> ImportJob:
    jobs = ImportJob.objects.defer("content")
    if not request.user.is_administrator:
        jobs = jobs.filter(created_by=request.user)
    return get_object_or_404(jobs, pk=job_id)


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > parse.MAX_BYTES:
            form.add_error("file", f"At most {parse.MAX_BYTES // 1024 // 1024} MB per file.")
        else:
            try:
                job = services.import_job_create(
                    actor=request.user, content=upload.read(), filename=upload.name or "",
                    source=form.cleaned_data["source"], hold_unmapped=True,
                )  # fmt: skip
                return redirect("import-job", job.pk)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
    if form.errors:
        status = 400
    jobs = ImportJob.objects.defer("content").filter(created_by=request.user).select_related("source")[:10]
    return render(request, "leads/imports/import_page.html", {"form": form, "jobs": jobs}, status=status)


def _mapping_rows(job: ImportJob) -> list[dict]:
    return [{"column": c, "target": job.mapping.get(c, ""), "index": i} for i, c in enumerate(job.columns)]


def _job_context(job: ImportJob, errors: list[str] | None = None) -> dict:
    return {
        "job": job,
        "progress": 100 if not job.rows_total else int(100 * job.rows_done / job.rows_total),
        "counts": [(o.value, o.label, job.counts.get(o.value, 0)) for o in RowOutcome],
        "refused": job.rows.filter(outcome=RowOutcome.REFUSED).order_by("number")[:50],
        "mapping_rows": _mapping_rows(job),
        "targets": TARGET_CHOICES,
        "campaigns": Campaign.objects.order_by("name").only("id", "name"),
        "touch_kinds": TouchKind.choices,
        "errors": errors or [],
        "running": job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING),
    }


@login_required
def import_job_page(request, job_id: int):
    _importer(request)
    job = _job(request, job_id)
    return render(request, "leads/imports/import_job.html", _job_context(job))


@login_required
def import_job_progress(request, job_id: int):
    job = _job(request, job_id)
    context = _job_context(job)
    response = render(request, "leads/imports/_progress.html", context)
    if request.GET.get("polling") and not context["running"]:
        response["HX-Refresh"] = "true"  # finished: the whole page shows the report and what to do next
    return response


@login_required
@require_POST
def import_job_map_page(request, job_id: int):
    _importer(request)
    job = ImportJob.objects.get(pk=_job(request, job_id).pk)
    mapping = {}
    for index, column in enumerate(job.columns):
        target = request.POST.get(f"target-{index}", "")
        if target:
            mapping[column] = target
    defaults = {t: request.POST[t] for t in ("lead.source_campaign", "touch.kind") if request.POST.get(t)}
    try:
        job = services.import_job_map(actor=request.user, job=job, mapping=mapping, defaults=defaults)
        name = request.POST.get("save_as", "").strip()
        if name:
            job.source = services.import_source_save(actor=request.user, name=name, mapping=mapping, defaults=defaults)
            job.save(update_fields=["source"])
    except (ValidationError, DomainError) as error:
        messages = error.messages if isinstance(error, ValidationError) else [error.message]
        job.mapping = mapping
        return render(request, "leads/imports/import_job.html", _job_context(job, messages), status=400)
    return redirect("import-job", job.pk)


@login_required
@require_POST
def import_job_run_page(request, job_id: int):
    _importer(request)
    dry = ImportJob.objects.get(pk=_job(request, job_id).pk)
    try:
        job = services.import_job_run_from(actor=request.user, dry_run_job=dry)
    except (ValidationError, DomainError) as error:
        messages = error.messages if isinstance(error, ValidationError) else [error.message]
        return render(request, "leads/imports/import_job.html", _job_context(dry, messages), status=400)
    return redirect("import-job", job.pk)
