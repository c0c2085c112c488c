"""The OpenAPI schema tells the truth about errors: every operation documents the problem documents it can
answer with, so a client generated from /api/schema/ knows them.

Codes every operation shares follow from what it has (401/403/406 everywhere, 404 with an id in the path, 400
with parameters or a body, 413/415 with a body); codes a business verb adds (409 for a conflict, 422 for a
refused move) are declared on the view with `@problems(409, 422)`. Every operation may answer 429 (rate limits,
config/throttling.py); every POST takes an `Idempotency-Key` header and may answer its 409/422/503
(config/idempotency.py).
"""

from http import HTTPStatus

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from accounts.scopes import required_scope, write_answer_scope
from config import idempotency
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


IDEMPOTENCY_KEY = OpenApiParameter(
    idempotency.HEADER,
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": idempotency.KEY_PATTERN},
    OpenApiParameter.HEADER,
    description="Send the same request again with the same key (printable ASCII, 1–255) and get the first "
    "answer back, with `Idempotent-Replayed: true`, instead of doing it twice; kept 24 hours per caller and path. "
    "The same key with another body: 422 `idempotency_key_reused`; while the first is still running: 409 "
    "`idempotency_key_in_use`. A 401, 403, 429 or 5xx answer is not kept, so a retry runs again.",
)
_RATE_LIMIT_HEADERS = {
    name: {"schema": {"type": "string"}, "description": text}
    for name, text in {
        "Retry-After": "Seconds until the window ends and requests are counted afresh.",
        "RateLimit-Limit": "Requests allowed per window (also on every counted answer).",
        "RateLimit-Remaining": "Requests left in this window.",
        "RateLimit-Reset": "Seconds until this window ends.",
        "RateLimit-Policy": "The limit and the window in seconds, e.g. 600;w=60.",
    }.items()
}


class AutoSchema(openapi.AutoSchema):
    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        return [*parameters, IDEMPOTENCY_KEY] if self.method == "POST" else parameters

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
        if "429" in operation["responses"]:
            operation["responses"]["429"].setdefault("headers", dict(_RATE_LIMIT_HEADERS))
        said = self._scope_said()
        if said:  # also in the security requirement (accounts.authentication.ApiTokenScheme); said in words here
            operation["description"] = f"{operation.get('description', '')}\n\n{said}".strip()
        return operation

    def _scope_said(self) -> str:
        scope = required_scope(self.view, self.method)
        if not scope:
            return ""
        said = f"An API token needs the `{scope}` scope."
        if read := write_answer_scope(self.view, self.method):  # accounts.scopes.write_answer_withheld
            said += (
                f" A token without `{read}` too gets each object of the answer as its `id` only, with `withheld` "
                "naming that scope: writing is no way to read."
            )
        return said

    def _problem_codes(self, operation: dict) -> set[int]:
        codes = {401, 403, 406, 429}  # 406: an Accept header no renderer satisfies; 429: over the rate limit
        codes.add(503)  # database_unavailable, with Retry-After: the database is restarting or out of reach
        if self.method == "POST":  # the Idempotency-Key header's answers (config/idempotency.py)
            codes |= {400, 409, 422, 503}
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
