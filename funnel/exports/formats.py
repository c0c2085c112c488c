"""An export's rows as CSV or JSON lines, streamed: the process holds one buffer or one chunk of rows, whatever
the table's size.

A text cell that a spreadsheet would run as a formula (config.spreadsheets.FORMULA_STARTS) is prefixed with a
single quote. Whether a cell is free text or a real number is decided by its column's declared kind, never by
the value: an expected value of -5 stays the number -5, a title "-5" becomes '-5. JSON lines carry every value
as it is; a program reading them runs no formulas.

CSV is written by PostgreSQL: `COPY (<the export's SELECT, each cell made safe by its kind>) TO STDOUT`, read
as it is produced: turning the rows into Python values and back into text took ~4.5 times what PostgreSQL's own CSV
output does (bench/RESULTS.md, issue 12). JSON lines, built in Python, read the rows through a server-side cursor.
"""

import csv
import enum
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.db import connections, models, transaction
from django.db.models import F, Func, QuerySet

from config.spreadsheets import FORMULA_STARTS

CHUNK = 2000  # rows per fetch of the JSON lines cursor
BUFFER = 256 * 1024  # bytes of CSV handed on at a time (COPY delivers one row per message)


class Kind(enum.Enum):
    TEXT = "text"  # free text: neutralised in CSV
    NUMBER = "number"  # ints and decimals, written as they are
    BOOL = "bool"  # true / false
    MOMENT = "moment"  # a date, or a date-time in ISO 8601 in UTC with Z
    LIST = "list"  # a list of texts: "a; b" in CSV (neutralised), a JSON array in JSON lines
    JSON = "json"  # a JSON document: its text in CSV (neutralised), as it is in JSON lines


@dataclass(frozen=True)
class Column:
    """One exported field: its header (and JSON key), its kind, and the row key it is read from."""

    name: str
    kind: Kind = Kind.TEXT
    source: str = ""

    @property
    def key(self) -> str:
        return self.source or self.name


def _sql_text(char: str) -> str:
    return {"\t": "E'\\t'", "\r": "E'\\r'"}.get(char, f"'{char}'")


_FORMULA_SQL = ", ".join(_sql_text(char) for char in FORMULA_STARTS)


def _neutralised(text: str) -> str:
    """SQL: the text as a spreadsheet shows it as text, a leading formula character quoted."""
    return f"CASE WHEN left({text}, 1) IN ({_FORMULA_SQL}) THEN '''' || {text} ELSE {text} END"


def _iso_moment(timestamp: str) -> str:
    return f"""to_char({timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


class IsoMoment(Func):
    """A timestamp as ISO 8601 text in UTC, written by PostgreSQL: loading it into a Python datetime costs
    ~10 µs (Django's time-zone loader parses it in Python), more than the rest of an exported row."""

    template = _iso_moment("%(expressions)s")
    output_field = models.TextField()


def _is_timestamp(rows: QuerySet, column: Column) -> bool:
    return isinstance(rows.query.resolve_ref(column.key).output_field, models.DateTimeField)


def _csv_cell(value: str, kind: Kind, timestamp: bool) -> str:
    """SQL: the CSV cell of the column value `value`, of `kind`."""
    if kind is Kind.TEXT:
        return _neutralised(value)
    if kind is Kind.LIST:
        return _neutralised(f"array_to_string({value}, '; ')")
    if kind is Kind.JSON:
        return _neutralised(f"({value})::text")
    if kind is Kind.BOOL:
        return f"CASE WHEN {value} THEN 'true' WHEN NOT {value} THEN 'false' END"
    return _iso_moment(value) if timestamp else value


def csv_select(rows: QuerySet, columns: Sequence[Column]) -> tuple[str, tuple]:
    """The SELECT of the CSV cells: the export's own query (visibility, filters, joins) as a subquery whose
    values the outer SELECT makes safe by kind. OFFSET 0 keeps PostgreSQL from inlining the subquery, which
    would compute a value (a call report's terms, say) once per mention of it instead of once."""
    inner = rows.values(**{f"c{place}": F(column.key) for place, column in enumerate(columns)})
    sql, params = inner.query.sql_with_params()
    cells = ", ".join(
        _csv_cell(f't."c{place}"', column.kind, column.kind is Kind.MOMENT and _is_timestamp(rows, column))
        for place, column in enumerate(columns)
    )
    return f"SELECT {cells} FROM ({sql} OFFSET 0) AS t", params


def csv_stream(rows: QuerySet, columns: Sequence[Column]) -> Iterator[bytes]:
    """The header, then the rows as CSV (quotes doubled; lines end in LF, as PostgreSQL writes them; an empty
    text is "" and a missing value nothing), in pieces of about BUFFER bytes."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([column.name for column in columns])
    yield header.getvalue().encode()
    connection = connections[rows.db]
    # COPY takes no parameters: psycopg quotes them into the statement, as it does for any client-side binding.
    select = connection.ops.compose_sql(*csv_select(rows, columns))
    buffer = bytearray()
    with connection.cursor() as cursor, cursor.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)") as copy:
        for data in copy:
            buffer += data
            if len(buffer) >= BUFFER:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def _json_value(rows: QuerySet, column: Column):
    return IsoMoment(F(column.key)) if column.kind is Kind.MOMENT and _is_timestamp(rows, column) else column.key


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)  # as the API writes money and ratios: exact, never a float
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _chunks(rows: QuerySet) -> Iterator[list[tuple]]:
    """The rows, CHUNK at a time, through a server-side cursor. Inside a transaction, so PostgreSQL streams
    the cursor instead of computing the whole result first (outside one it must be WITH HOLD, which is
    materialised in full at its commit)."""
    with transaction.atomic(using=rows.db):
        rows_iter = rows.iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows_iter, CHUNK)):
            yield chunk


def jsonl_stream(rows: QuerySet, columns: Sequence[Column]) -> Iterator[bytes]:
    """One JSON object per row and line, keys in `columns` order, values unaltered."""
    names = [column.name for column in columns]
    encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
    values = rows.values_list(*(_json_value(rows, column) for column in columns))
    for chunk in _chunks(values):
        yield ("\n".join(encode(dict(zip(names, row, strict=True))) for row in chunk) + "\n").encode()
