"""The API's JSON parser: DRF's, plus the edge checks every JSON body gets before a serializer sees it."""

import sys
from collections.abc import Mapping

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from config.validation import MAX_JSON_DEPTH, NUL, json_problems


class JSONParser(parsers.JSONParser):
    """Refuses, with 400 naming the place, bodies nested deeper than MAX_JSON_DEPTH (Python's own parser
    would hit its recursion limit at ~1,000 levels and fail as a 500) and NUL characters anywhere."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        except ParseError as error:
            # Python refuses integers of more than sys.get_int_max_str_digits() digits, in words meant for a
            # programmer ("use sys.set_int_max_str_digits() to increase the limit").
            if "integer string conversion" in str(error.detail):
                limit = sys.get_int_max_str_digits()
                raise ParseError(f"JSON parse error - a number has more than {limit} digits.") from None
            raise
        if json_problems(data):
            raise ValidationError(_by_field(data))
        return data


def _by_field(data: object) -> dict[str, list[str]]:
    """{"criteria": ["criteria.conditions[0].value: …"]}: each problem under the top-level field it is in."""
    if not isinstance(data, Mapping):
        return {"non_field_errors": json_problems(data)}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        problems = json_problems({key: value})  # the same depth and paths as the whole body's walk
        if problems:
            errors.setdefault(key if NUL not in key else "non_field_errors", []).extend(problems)
    return errors
