"""One error format for every 4xx and 5xx: RFC 9457 problem details (application/problem+json).

DRF's errors go through `problem_exception_handler`; Django's own 404/500 for API paths go through
`not_found` and `server_error`, so a client never has to parse an HTML error page.
"""

from http import HTTPStatus

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem_body(*, status_code: int, detail: str, code: str, errors: object = None, **extra: object) -> dict:
    body: dict = {
        "type": f"about:blank#{code}" if code else "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


def _detail_and_errors(exc: exceptions.APIException) -> tuple[str, object]:
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail
        if isinstance(errors, dict):
            names = ", ".join(str(key) for key in errors)
            return f"Invalid input: {names}.", errors
        return "Invalid input: " + "; ".join(str(item) for item in errors), {"non_field_errors": errors}
    return str(exc.detail), None


def _domain_problem(exc: DomainError) -> Response:
    body = problem_body(status_code=exc.status, detail=exc.message, code=exc.code, **exc.details)
    return Response(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return _domain_problem(exc)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    detail, errors = _detail_and_errors(exc)
    code = exc.get_codes() if not isinstance(exc, exceptions.ValidationError) else "invalid"
    extra = getattr(exc, "problem_extra", {})
    response.data = problem_body(
        status_code=response.status_code, detail=detail, code=str(code), errors=errors, **extra
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(status_code: int, detail: str, code: str) -> JsonResponse:
    body = problem_body(status_code=status_code, detail=detail, code=code)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return problem_response(status.HTTP_404_NOT_FOUND, "No such resource.", "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return problem_response(
            status.HTTP_500_INTERNAL_SERVER_ERROR, "The server failed; it has been logged.", "error"
        )
    return defaults.server_error(request)
