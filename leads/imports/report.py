"""The refused rows of a job as CSV, streamed, safe to open in a spreadsheet: a cell that a spreadsheet
would read as a formula (starting with = + - @, a tab or a carriage return) is prefixed with a quote."""

import csv
from collections.abc import Iterator

from leads.imports.models import ImportJob, RowOutcome

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_safe(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
