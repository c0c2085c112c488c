"""The refused rows of a job as CSV, streamed, safe to open in a spreadsheet: a cell that a spreadsheet
would read as a formula is prefixed with a quote (config.spreadsheets)."""

import csv
from collections.abc import Iterator

from django.core.exceptions import ValidationError

from config.spreadsheets import cell_safe
from leads.imports import parse
from leads.imports.models import ImportJob, RowOutcome


class _Line:
    def write(self, value: str) -> str:
        return value


def errors_csv(job: ImportJob) -> Iterator[str]:
    """row, column, problem, note, value — one line per problem of each refused row, in row order; `value` is what
    the file held in that cell, so the line can be corrected without the file beside it."""
    writer = csv.writer(_Line())
    yield writer.writerow(["row", "column", "problem", "note", "value"])
    cells = _file_cells(job)
    rows = job.rows.filter(outcome=RowOutcome.REFUSED).order_by("number").values_list("number", "errors", "note")
    for number, errors, note in rows.iterator(chunk_size=2000):
        for column, problem in (errors or {"(row)": ""}).items():
            value = cells.get(number, {}).get(column)
            value = "" if value is None else value
            yield writer.writerow([number, cell_safe(column), cell_safe(problem), cell_safe(note), cell_safe(value)])


def _file_cells(job: ImportJob) -> dict[int, dict[str, object]]:
    """Each row's cells as the job read them (the whole file, as the job itself holds it); none if it no longer
    parses."""
    content = ImportJob.objects.filter(pk=job.pk).values_list("content", flat=True).first()
    try:
        _, rows = parse.read(bytes(content or b""), job.format)
    except ValidationError:
        return {}
    return {row.number: row.cells for row in rows}
