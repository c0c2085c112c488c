"""The API's JSON parser: DRF's, plus the edge checks every JSON body gets before a serializer sees it."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from config.validation import MAX_JSON_DEPTH, json_problems


class JSONParser(parsers.JSONParser):
    """Refuses, with 400 naming the place, bodies nested deeper than MAX_JSON_DEPTH (Python's own parser
    would hit its recursion limit at ~1,000 levels and fail as a 500) and NUL characters anywhere."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.") from None
        problems = json_problems(data)
        if problems:
            raise ValidationError(_by_field(problems))
        return data


def _by_field(problems: list[str]) -> dict[str, list[str]]:
    """{"criteria": ["criteria.conditions[0].value: …"]}: each problem under the top-level field it is in."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        field = problem.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0]
        key = field if field and field not in ("document", "value") else "non_field_errors"
        errors.setdefault(key, []).append(problem)
    return errors
