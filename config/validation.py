"""Edge checks shared by every front door (API parsers and fields, filters, web forms, the rule engine's
validators): input PostgreSQL would refuse, or that makes no sense, is refused with a message naming where
it is, before any service runs."""

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

# Real UTC offsets run from -12:00 to +14:00; PostgreSQL refuses anything past ±15:59.
MAX_UTC_OFFSET = timedelta(hours=14)
# Deeper JSON than this is never a CRM document; it is refused before anything walks it recursively.
MAX_JSON_DEPTH = 32
NUL = "\x00"


def _path(where: str, key: object) -> str:
    return f"{where}[{key}]" if isinstance(key, int) else (f"{where}.{key}" if where else str(key))


def json_problems(document: object, where: str = "", max_depth: int = MAX_JSON_DEPTH) -> list[str]:
    """Problems no JSON document of ours may have, each naming its place: nesting deeper than `max_depth`,
    NUL characters (PostgreSQL's jsonb and text refuse them) in keys or strings, and numbers too large to be
    finite (json reads 1e999 as infinity). Walks iteratively, so even a document nested thousands deep
    costs no recursion."""
    problems: list[str] = []
    stack: list[tuple[object, str, int]] = [(document, where, 1)]
    while stack and len(problems) < 10:
        value, place, depth = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                problems.append(f"{place or 'value'}: contains a NUL character (\\u0000), which is not allowed.")
            continue
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{place or 'value'}: the number is out of range.")
            continue
        if not isinstance(value, Mapping | list):
            continue
        if depth > max_depth:
            problems.append(f"{place or 'document'}: nested deeper than {max_depth} levels.")
            continue
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        children = []
        for key, child in items:
            if isinstance(key, str) and NUL in key:
                problems.append(f"{place or 'document'}: a key contains a NUL character (\\u0000).")
                continue
            children.append((child, _path(place, key), depth + 1))
        stack.extend(reversed(children))  # popped in document order, so problems are listed as they appear
    return problems


def whole_number(text: str, max_digits: int = 18) -> int | None:
    """`text` as an int if it is 1 to `max_digits` ASCII digits, else None. str.isdigit() alone lets through
    '²' (int() then raises) and '٣' (int() reads 3), and a run of digits past Python's 4,300-digit limit for
    int(); 18 digits always fit PostgreSQL's bigint."""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def utc_datetime(value: datetime) -> datetime:
    """`value` in UTC. Raises ValueError (with a message for the user) for an offset no time zone has, or a
    moment that falls outside the calendar once moved to UTC (year 1 with a positive offset)."""
    if value.tzinfo is None:
        return value
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError(f"the UTC offset {value.strftime('%z')} is out of range; offsets run from -12:00 to +14:00.")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date is out of range once converted to UTC.") from None
