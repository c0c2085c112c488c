"""The OpenAPI schema tells the truth about errors: every operation documents the problem documents it can
answer with, so a client generated from /api/schema/ knows them.

Codes every operation shares follow from what it has (401/403/406 everywhere, 404 with an id in the path, 400
with parameters or a body, 413/415 with a body); codes a business verb adds (409 for a conflict, 422 for a
refused move) are declared on the view with `@problems(409, 422)`.
"""

from http import HTTPStatus

from drf_spectacular import openapi
from rest_framework import serializers

from config.problems import PROBLEM_CONTENT_TYPE


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem document; some carry more members (e.g. `failed`, `existing_lead`)."""

    type = serializers.CharField(help_text="about:blank#<code>")
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong, for a person to read.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. not_found, transition_refused.")
    errors = serializers.DictField(
        required=False, help_text="Per field (or non_field_errors), the list of problems with its value."
    )


def problems(*codes: int):
    """Declares the error statuses a view method answers with beyond the ones every operation has."""

    def mark(view_method):
        view_method.problem_codes = frozenset(codes)
        return view_method

    return mark


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        problem = self.resolve_serializer(ProblemSerializer, "response").ref
        for code in sorted(self._problem_codes(operation)):
            operation["responses"].setdefault(
                str(code),
                {"description": HTTPStatus(code).phrase, "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}}},
            )
        return operation

    def _problem_codes(self, operation: dict) -> set[int]:
        codes = {401, 403, 406}  # 406: an Accept header no renderer satisfies
        if "{" in self.path:
            codes.add(404)
        queries = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        if queries or operation.get("requestBody"):
            codes.add(400)
        if operation.get("requestBody"):
            codes |= {413, 415}
        action = getattr(self.view, "action", None) or self.method.lower()
        codes |= getattr(getattr(self.view, action, None), "problem_codes", frozenset())
        return codes
