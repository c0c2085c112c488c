"""Bulk import: the job that turns a file into leads through the same rules as every other capture.

Who may import (docs/permissions.md): marketers, marketing and sales managers, revenue leaders,
administrators and integrations — the roles that capture leads in numbers; reps and SDRs capture one at a
time. A file with touches needs a role that records touches (leads.touches.RECORDERS).

A job reads its file (kept on the job), checks every row in memory (leads.imports.rows) on a second thread
ahead of the writes, resolves each chunk's owners and campaigns in two queries, and works in chunks of CHUNK
rows, each in its own transaction (leads.imports.chunk). A dry run does exactly the same and rolls each
chunk's writes back, keeping only the per-row report, so its counts are what the real run will do. A rerun
after a killed worker resumes after `last_chunk`; rows are reported once per (job, row).
"""

from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from config.validation import whole_number
from crm.models import Campaign
from leads.exceptions import NotAllowed
from leads.imports import chunk as chunks
from leads.imports import mapping as mappings
from leads.imports import parse
from leads.imports.copy import copy_values
from leads.imports.models import ImportJob, ImportRow, ImportSource, ImportStatus, RowOutcome
from leads.imports.rows import Plan, plan_row, plans_dedupe
from leads.touches import RECORDERS

IMPORTERS = frozenset(
    {Role.MARKETER, Role.MARKETING_MANAGER, Role.SALES_MANAGER, Role.REVENUE_LEADER, Role.ADMIN, Role.INTEGRATION}
)
CHUNK = 1000


def may_import(user: User) -> bool:
    return user.is_administrator or user.role in IMPORTERS


def _check_importer(actor: User, mapping: object, defaults: object) -> None:
    if not may_import(actor):
        raise NotAllowed(
            "Marketing, managers, revenue leaders, administrators and integrations import leads; "
            "capture a lead one at a time instead."
        )
    if mappings.maps_touches(mapping, defaults) and actor.role not in RECORDERS and not actor.is_administrator:
        raise NotAllowed("Touches are recorded by marketing, revenue leaders, administrators and integrations.")


def import_source_save(*, actor: User, name: str, mapping: dict, defaults: dict) -> ImportSource:
    """Creates or replaces the saved mapping and defaults of the source called `name`."""
    _check_importer(actor, mapping, defaults)
    mappings.mapping_check(mapping, defaults)
    name = (name or "").strip()
    if not 0 < len(name) <= 100 or "\x00" in name:
        raise ValidationError({"source": "A source is named in 1 to 100 characters."})
    source, _ = ImportSource.objects.update_or_create(
        name=name, defaults={"mapping": mapping, "defaults": defaults, "created_by": actor}
    )
    return source


def _mapping_for(columns: list[str], source: ImportSource | None, mapping: dict | None) -> dict:
    if mapping is None:
        mapping = dict(source.mapping) if source is not None else mappings.mapping_guess(columns)
    unknown = [column for column in mapping if column not in columns] if isinstance(mapping, dict) else []
    if unknown:
        raise ValidationError({f"mapping.{c[:60]}": "The file has no such column." for c in unknown[:20]})
    return mapping


def import_job_create(
    *,
    actor: User,
    content: bytes,
    filename: str = "",
    fmt: str | None = None,
    source: ImportSource | None = None,
    mapping: dict | None = None,
    defaults: dict | None = None,
    dry_run: bool = True,
    hold_unmapped: bool = False,
) -> ImportJob:
    """A job over the file, queued (a Celery task on commit). The mapping is the one given, else the
    source's, else guessed from the header; defaults likewise. ValidationError names what is wrong with the
    file, the mapping or the defaults — except that with `hold_unmapped` (the web page) a file whose mapping
    is not complete yet is kept, waiting for `import_job_map`. NotAllowed for a caller who may not import."""
    if not may_import(actor):
        _check_importer(actor, {}, {})
    fmt = fmt or parse.format_guess(filename, content)
    columns, rows = parse.read(content, fmt)
    mapping = _mapping_for(columns, source, mapping)
    if defaults is None:
        defaults = dict(source.defaults) if source is not None else {}
    job = ImportJob(
        source=source,
        dry_run=dry_run,
        created_by=actor,
        filename=filename[:200],
        format=fmt,
        content=content,
        columns=columns[:500],
        mapping=mapping,
        defaults=defaults,
        rows_total=len(rows),
    )
    try:
        _check_importer(actor, mapping, defaults)
        mappings.mapping_check(mapping, defaults)
    except ValidationError:
        if not hold_unmapped:
            raise
        job.status = ImportStatus.MAPPING
        job.mapping = mapping if isinstance(mapping, dict) else {}
        job.save()
        return job
    job.save()
    _enqueue(job)
    return job


def import_job_map(*, actor: User, job: ImportJob, mapping: dict, defaults: dict) -> ImportJob:
    """Sets the mapping of a job waiting for one and queues it; for a job that ran already, a new dry run of
    the same file with this mapping."""
    if job.created_by_id != actor.pk and not actor.is_administrator:
        raise NotAllowed("Only who uploaded the file maps its columns.")
    unknown = [column for column in mapping if column not in job.columns]
    if unknown:
        raise ValidationError({f"mapping.{c[:60]}": "The file has no such column." for c in unknown[:20]})
    _check_importer(actor, mapping, defaults)
    mappings.mapping_check(mapping, defaults)
    if job.status != ImportStatus.MAPPING:
        job = ImportJob(
            source=job.source, dry_run=True, created_by=actor, filename=job.filename, format=job.format,
            content=job.content, columns=job.columns, rows_total=job.rows_total,
        )  # fmt: skip
    job.mapping, job.defaults, job.status = mapping, defaults, ImportStatus.QUEUED
    job.save()
    _enqueue(job)
    return job


def import_job_run_from(*, actor: User, dry_run_job: ImportJob) -> ImportJob:
    """The real run of a finished dry run: the same file, mapping and defaults."""
    if dry_run_job.created_by_id != actor.pk and not actor.is_administrator:
        raise NotAllowed("Only who made the dry run starts its real run.")
    if not dry_run_job.dry_run:
        raise ValidationError({"job": "This job is a real run already."})
    _check_importer(actor, dry_run_job.mapping, dry_run_job.defaults)
    if dry_run_job.status != ImportStatus.DONE:
        raise ValidationError({"job": "The dry run has not finished yet."})
    job = ImportJob.objects.create(
        source=dry_run_job.source,
        dry_run=False,
        dry_run_of=dry_run_job,
        created_by=actor,
        filename=dry_run_job.filename,
        format=dry_run_job.format,
        content=dry_run_job.content,
        columns=dry_run_job.columns,
        mapping=dry_run_job.mapping,
        defaults=dry_run_job.defaults,
        rows_total=dry_run_job.rows_total,
    )
    _enqueue(job)
    return job


def _enqueue(job: ImportJob) -> None:
    from leads.imports.tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.delay(job.pk))


def _resolve(plans: list[Plan], mapping: dict) -> tuple[dict, dict]:
    """Owners (by username or e-mail) and campaigns (by name or id) named anywhere in the file, in one query
    each; a row naming an unknown one is refused naming the column."""
    names = {p.owner for p in plans if p.owner}
    people = User.objects.annotate(mail=Lower("email")).filter(
        Q(username__in=names) | Q(mail__in={n.lower() for n in names})
    )
    owners = {}
    for person in people:
        owners[person.username] = owners[person.mail] = person
    refs = {p.campaign for p in plans if p.campaign} | {
        p.touch["campaign"] for p in plans if p.touch and p.touch["campaign"]
    }
    ids = {number for r in refs if (number := whole_number(r)) is not None}
    campaigns = {}
    for campaign in Campaign.objects.filter(Q(name__in=refs) | Q(pk__in=ids)).only("id", "name"):
        campaigns[campaign.name] = campaigns[str(campaign.pk)] = campaign
    reverse = {target: column for column, target in mapping.items()}

    def column(target: str) -> str:
        return reverse.get(target, f"default {target}")

    for plan in plans:
        if plan.owner and (plan.owner not in owners and plan.owner.lower() not in owners):
            plan.errors[column("lead.owner")] = f"No person {plan.owner[:80]!r} (a username or an e-mail)."
        if plan.campaign and plan.campaign not in campaigns:
            plan.errors[column("lead.source_campaign")] = f"No campaign {plan.campaign[:80]!r} (a name or an id)."
        if plan.touch and plan.touch["campaign"] and plan.touch["campaign"] not in campaigns:
            plan.errors[column("touch.campaign")] = f"No campaign {plan.touch['campaign'][:80]!r} (a name or an id)."
    return owners, campaigns


def import_job_run(*, job_id: int) -> ImportJob:
    """Runs (or resumes) the job; safe to run twice at once or one after the other."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.MAPPING):
        return job
    # A failed job (a lost database, a killed worker) run again resumes after its last committed chunk.
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, started_at=job.started_at or timezone.now(), error=""
    )
    now = timezone.now()
    try:
        _, rows = parse.read(bytes(job.content), job.format)
    except ValidationError as error:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, error="; ".join(error.messages)[:500], finished_at=timezone.now()
        )
        return ImportJob.objects.defer("content").get(pk=job.pk)
    work = chunks.Work(job=job, actor=job.created_by, owners={}, campaigns={}, mapping=job.mapping)
    # Rows are checked on a second thread, ahead of the writes: checking is pure Python and runs while this
    # thread waits for PostgreSQL (~45 % of a chunk); on 20,000 rows, 2,138 rows/s became 2,215.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-check")
    try:
        planned = [
            pool.submit(_plan_chunk, rows[start : start + CHUNK], job, now) for start in range(0, len(rows), CHUNK)
        ]
        first: dict[str, int] = {}
        for index, future in enumerate(planned):
            plans = future.result()
            plans_dedupe(plans, first)  # chunks come in file order, so "an earlier row" spans the whole file
            work.owners, work.campaigns = _resolve(plans, job.mapping)
            if index > job.last_chunk:
                _chunk_retried(work, index, plans)
    except Exception as error:  # a bug or a lost database: say so on the job instead of "running" for ever
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, error=f"{type(error).__name__}: {error}"[:500], finished_at=timezone.now()
        )
        raise
    finally:
        pool.shutdown(cancel_futures=True)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, finished_at=timezone.now())
    return ImportJob.objects.defer("content").get(pk=job.pk)


def _plan_chunk(rows: list, job: ImportJob, now) -> list[Plan]:
    return [plan_row(r.number, r.cells, r.errors, job.mapping, job.defaults, now) for r in rows]


def _chunk_retried(work: "chunks.Work", index: int, plans: list[Plan]) -> None:
    try:
        _chunk_commit(work, index, plans)
    except IntegrityError:
        # Someone captured one of these e-mails (or companies) between the chunk's look-up and its write; the
        # chunk rolled back whole, and run again it finds that lead and reports the row as a duplicate.
        _chunk_commit(work, index, plans)


def _chunk_commit(work: "chunks.Work", index: int, plans: list[Plan]) -> None:
    with transaction.atomic():
        # Not the file: a 100,000-row file read again for each of its 100 chunks is 1.2 GB from the database.
        job = ImportJob.objects.select_for_update().defer("content").get(pk=work.job.pk)
        if job.last_chunk >= index:  # another run of the task committed it meanwhile
            return
        if job.dry_run:
            savepoint = transaction.savepoint()
            outcomes = chunks.chunk_run(work, plans)
            transaction.savepoint_rollback(savepoint)
            for outcome in outcomes:
                if outcome.outcome == RowOutcome.CREATED:
                    outcome.lead_id = None  # rolled back: it would be created
        else:
            outcomes = chunks.chunk_run(work, plans)
        copy_values(
            ImportRow,
            ("job_id", "number", "outcome", "lead_id", "errors", "note"),
            [(job.pk, o.number, o.outcome, o.lead_id, o.errors, o.note) for o in outcomes],
        )
        counts = dict(job.counts)
        for outcome in outcomes:
            counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        job.last_chunk, job.rows_done, job.counts = index, min(job.rows_done + len(plans), job.rows_total), counts
        job.save(update_fields=["last_chunk", "rows_done", "counts"])
