"""The refused rows of a job as CSV, streamed, safe to open in a spreadsheet: a cell that a spreadsheet
would read as a formula is prefixed with a quote (config.spreadsheets)."""

import csv
from collections.abc import Iterator

from config.spreadsheets import cell_safe
from leads.imports.models import ImportJob, RowOutcome


class _Line:
    def write(self, value: str) -> str:
        return value


def errors_csv(job: ImportJob) -> Iterator[str]:
    """row, column, problem, note — one line per problem of each refused row, in row order."""
    writer = csv.writer(_Line())
    yield writer.writerow(["row", "column", "problem", "note"])
    rows = job.rows.filter(outcome=RowOutcome.REFUSED).order_by("number").values_list("number", "errors", "note")
    for number, errors, note in rows.iterator(chunk_size=2000):
        for column, problem in (errors or {"(row)": ""}).items():
            yield writer.writerow([number, cell_safe(column), cell_safe(problem), cell_safe(note)])
