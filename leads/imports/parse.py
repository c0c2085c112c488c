"""Reading an uploaded file into rows of text cells, whatever its dialect: CSV (delimiter and quoting sniffed,
UTF-8 with or without a byte-order mark) or JSON (an array of objects, or one object per line).

A problem with the whole file (not UTF-8, not JSON, no header, a column named twice) is a ValidationError on
`file`; a problem with one row (a NUL character, an over-long cell, a nested value) is that row's error, naming
the column, and the other rows still import.
"""

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

MAX_BYTES = 50 * 1024 * 1024
MAX_CELL = 5_000  # longer than any field we store; a longer cell is a broken file, not data
MAX_ROWS = 1_000_000
DELIMITERS = ",;\t|"


@dataclass
class Row:
    number: int
    cells: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError(
            {"file": f"The file is not UTF-8 (byte {error.start} cannot be read); save it as UTF-8 and retry."}
        ) from None


def _cell_problem(value: str) -> str:
    if "\x00" in value:
        return "Contains a NUL character."
    if len(value) > MAX_CELL:
        return f"Longer than {MAX_CELL:,} characters."
    return ""


def _row(number: int, cells: dict[str, object]) -> Row:
    row = Row(number, {})
    for column, value in cells.items():
        if value is None:
            continue
        if isinstance(value, dict | list):
            row.errors[column] = "A single value, not a list or an object."
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        problem = _cell_problem(text)
        if problem:
            row.errors[column] = problem
        else:
            row.cells[column] = text.strip()
    return row


def _key_problem(key: str) -> str:
    shown = repr(key[:60]) + ("…" if len(key) > 60 else "")  # repr: a NUL shows as \x00
    if "\x00" in key:
        return f"The key {shown} contains a NUL character."
    return f"The key {shown} is longer than {MAX_CELL:,} characters." if len(key) > MAX_CELL else ""


def _object_row(number: int, record: dict[str, object]) -> Row:
    """A JSON object as a row. A key that cannot be a column refuses the row naming it: dropped, the row would
    import without that column, or be refused for lacking one it has."""
    safe = {key: value for key, value in record.items() if not _cell_problem(key)}
    row = _row(number, safe)
    bad = [_key_problem(key) for key in record if key not in safe]
    if bad:
        row.errors["(row)"] = " ".join(bad[:3])
    return row


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        return csv.excel


def _header(names: list[str]) -> list[str]:
    columns = [name.strip() for name in names]
    if not any(columns) or any(_cell_problem(name) for name in columns):
        raise ValidationError({"file": "The first line names the columns (no NUL, none over-long)."})
    # A row is read as {column: cell}, so a second column of a name would silently replace the first one's
    # data. Blank names are not (they cannot be mapped, whatever they hold).
    twice = [name for name, count in Counter(filter(None, columns)).items() if count > 1]
    if twice:
        shown = ", ".join(name[:60] for name in twice[:10])
        raise ValidationError({"file": f"The first line names these columns twice: {shown}."})
    return columns


def read_csv(content: bytes) -> tuple[list[str], list[Row]]:
    text = _text(content)
    # Our own cell limit names the column; the csv module's would abort the whole file at the first long cell.
    csv.field_size_limit(max(MAX_BYTES, csv.field_size_limit()))
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text[:65536]))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError({"file": "The file is empty: the first line names the columns."}) from None
    columns = _header(header)
    rows = []
    try:
        for number, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue  # blank lines in spreadsheets' exports are not rows
            if number > MAX_ROWS:
                raise ValidationError({"file": f"At most {MAX_ROWS:,} rows per file; split it."})
            row = _row(number, dict(zip(columns, values, strict=False)))
            if len(values) > len(columns):
                row.errors["(extra)"] = f"{len(values)} cells on a line with {len(columns)} columns."
            rows.append(row)
    except csv.Error as error:
        raise ValidationError({"file": f"Line {reader.line_num}: {error}."}) from None
    return columns, rows


def read_json(content: bytes) -> tuple[list[str], list[Row]]:
    text = _text(content).strip()
    if not text:
        raise ValidationError({"file": "The file is empty."})
    if text.startswith("["):
        try:
            records = json.loads(text)
        except RecursionError:
            raise ValidationError({"file": "The JSON is nested too deep; each row is one flat object."}) from None
        except ValueError as error:
            raise ValidationError({"file": f"Not JSON: {error}."}) from None
    else:
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                records.append(json.loads(line) if line.strip() else None)
            except (ValueError, RecursionError):
                records.append(ValueError(f"line {number} is not a JSON object"))
    rows, columns = [], {}
    for number, record in enumerate(records, start=1):
        if record is None:
            continue
        if number > MAX_ROWS:
            raise ValidationError({"file": f"At most {MAX_ROWS:,} rows per file; split it."})
        if not isinstance(record, dict):
            problem = f"Not JSON: {record}." if isinstance(record, ValueError) else "Not a JSON object."
            rows.append(Row(number, {}, {"(row)": f"{problem} Each row is one object of column → value."}))
            continue
        rows.append(_object_row(number, record))
        columns.update(dict.fromkeys(record))
    return [column for column in columns if not _cell_problem(column)], rows


def read(content: bytes, fmt: str) -> tuple[list[str], list[Row]]:
    """(the columns, the rows) of a file of `fmt` ("csv" or "json")."""
    if len(content) > MAX_BYTES:
        raise ValidationError({"file": f"At most {MAX_BYTES // 1024 // 1024} MB per file."})
    return read_csv(content) if fmt == "csv" else read_json(content)


def format_guess(filename: str, content: bytes) -> str:
    if filename.lower().endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    if filename.lower().endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "json" if content.lstrip(b"\xef\xbb\xbf \r\n\t")[:1] in (b"[", b"{") else "csv"
