"""One error format for every API response that is not 2xx: RFC 9457 problem details
(application/problem+json) with an integer `status`, whatever DEBUG says. The web UI gets the product's own
error pages instead: a person sees a way home, never a traceback.

- DRF's errors go through `problem_exception_handler`;
- Django's own 400/403/404/500 go through the `handler*` views below (API paths: problem; others: page);
- an unmatched /api/ URL reaches `api_not_found` (a catch-all route, so DEBUG's HTML 404 never answers);
- an exception that escapes an API view, in any DEBUG setting, is turned into a problem by
  config.middleware.ApiErrorMiddleware;
- a database that cannot be reached (restarting, or the connection died) is a 503 with `Retry-After`, on every
  path: in a DRF view, in any other view, and before the view (the session and user the middleware loads).
"""

import logging
import sys
from http import HTTPStatus

import psycopg
from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from config.errors import DomainError

PROBLEM_CONTENT_TYPE = "application/problem+json"
logger = logging.getLogger("config.problems")
DATABASE_RETRY_SECONDS = 5
# A server going down (administrator or crash shutdown), starting up ("cannot connect now") or full of
# connections: a retry a few seconds later can succeed. The other operational errors (a lock not available, a
# cancelled statement, a full disk) are about the statement and keep the answer they have.
_UNAVAILABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# psycopg's own errors without a SQLSTATE that mean the connection is lost or could not be opened.
_CONNECTION_LOST = (psycopg.OperationalError, psycopg.errors.ConnectionTimeout)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this API accepts."
    default_code = "too_large"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The database cannot be reached right now (it may be restarting), so the request could not be completed. "
        f"Send it again in {DATABASE_RETRY_SECONDS} seconds (Retry-After)."
    )
    default_code = "database_unavailable"
    wait = DATABASE_RETRY_SECONDS  # DRF's handler sends it as Retry-After


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached (a connection refused, lost or closed, a server
    shutting down or starting up) rather than refusing this statement. Django wraps psycopg's error as the
    cause of its own OperationalError / InterfaceError; a bare psycopg error counts too."""
    cause = exc.__cause__ if isinstance(exc, OperationalError | InterfaceError) else exc
    if isinstance(cause, psycopg.OperationalError):
        sqlstate = cause.sqlstate or ""
        # Class 08 is "connection exception" (its psycopg classes are siblings, not subclasses of one).
        return type(cause) in _CONNECTION_LOST or sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
    # psycopg's InterfaceError also reports misuse (a closed cursor); only a connection it cannot use counts.
    return isinstance(cause, psycopg.InterfaceError) and "the connection is" in str(cause)


def problem_body(*, status_code: int, detail: str, code: str, errors: object = None, **extra: object) -> dict:
    """The problem document. The standard members always win over `extra` (DomainError refuses such names
    when raised; this keeps the HTTP status right even if one slips through)."""
    body: dict = {
        "type": f"about:blank#{code}" if code else "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    for name, value in extra.items():
        body.setdefault(name, value)
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


def as_api_exception(exc: Exception) -> Exception:
    """Django's and the database's exceptions that input causes, as the DRF exception that says so."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ValidationError(["The request has too many fields."])
    if isinstance(exc, DataError):
        # Every input PostgreSQL refuses should be refused at the edge by name; this is the safety net that
        # keeps a missed one a 400, and the log line that says which edge to fix.
        logger.warning("The database refused a value the edge let through: %s", exc)
        return exceptions.ValidationError(["A value is out of the range the database accepts."])
    return exc


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return _domain_problem(exc)
    raised = exc
    unavailable = database_unavailable(exc)
    exc = DatabaseUnavailable() if unavailable else as_api_exception(exc)
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
    if unavailable:
        _log_unavailable(context["request"], raised, response)
    return response


def problem_response(status_code: int, detail: str, code: str, errors: object = None) -> JsonResponse:
    body = problem_body(status_code=status_code, detail=detail, code=code, errors=errors)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def _page(request, status_code: int, title: str, message: str) -> HttpResponse:
    """The product's error page. A 500 is rendered without the request's context: whatever failed (the
    database, a session) must not fail the error page too."""
    context = {"status": status_code, "title": title, "message": message}
    if status_code >= 500:
        return HttpResponse(loader.render_to_string("error.html", context), status=status_code)
    return HttpResponse(loader.render_to_string("error.html", context, request), status=status_code)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        if is_api(request):
            return problem_response(413, PayloadTooLarge.default_detail, "too_large")
        return _page(request, 413, "That was too much at once", "The form you sent is larger than we accept.")
    if is_api(request):
        return problem_response(400, "The request is malformed.", "bad_request")
    return _page(request, 400, "We could not read that request", "Go back, check what you entered and try again.")


def permission_denied(request, exception=None):
    detail = str(exception) if exception and str(exception) else "You may not do this."
    if is_api(request):
        return problem_response(403, detail, "permission_denied")
    return _page(request, 403, "Not yours to change", detail)


def not_found(request, exception=None):  # noqa: ARG001 - Django's handler signature
    if is_api(request):
        return api_not_found(request)
    return _page(request, 404, "Nothing here", "The page does not exist, or it is not one you may see.")


def database_unavailable_response(request, exc: BaseException) -> HttpResponse:
    """503 with Retry-After: a problem document for the API, the product's error page for a person."""
    if is_api(request):
        response: HttpResponse = problem_response(
            503, DatabaseUnavailable.default_detail, DatabaseUnavailable.default_code
        )
    else:
        response = _page(
            request,
            503,
            "We are reconnecting…",
            "The database is out of reach for a moment. Reload the page in a few seconds.",
        )
    response["Retry-After"] = str(DATABASE_RETRY_SECONDS)
    _log_unavailable(request, exc, response)
    return response


def _log_unavailable(request, exc: BaseException, response: HttpResponse) -> None:
    """One warning line, no traceback: during a restart every request fails the same way. log_response marks
    the response logged, so Django does not log it again as an error (with the traceback, if it was raised)."""
    cause = exc.__cause__ or exc
    message = "Database unavailable, answered 503 to %s: %s: %s"
    log_response(message, request.path, type(cause).__name__, str(cause).strip(), response=response,
                 request=request, logger=logger, level="warning")  # fmt: skip


def server_error(request):
    # Django calls its 500 handler while handling the exception, e.g. one raised in a middleware before the
    # view (the session and user it loads); sys.exc_info() is that exception.
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return database_unavailable_response(request, exc)
    if is_api(request):
        return problem_response(500, "The server failed; it has been logged.", "error")
    return _page(request, 500, "Something went wrong on our side", "It has been logged. Try again in a moment.")


def csrf_failure(request, reason=""):
    if is_api(request):
        return problem_response(403, f"CSRF check failed: {reason}", "csrf_failed")
    return _page(request, 403, "This form has expired", "Reload the page and send it again.")


@csrf_exempt
def api_not_found(request, *args, **kwargs):  # noqa: ARG001 - any route's arguments
    """Every /api/ URL no route matches. A missing trailing slash is the usual mistake: say so."""
    detail = "No such resource."
    if not request.path.endswith("/"):
        try:
            slashed = resolve(request.path + "/")
        except Resolver404:
            slashed = None
        if slashed is not None and slashed.func is not api_not_found:  # the catch-all matches every /api/ path
            detail = f"No such resource; did you mean {request.path}/ (with the trailing slash)?"
    return problem_response(404, detail, "not_found")


def client_error_response(exc: Exception) -> JsonResponse | None:
    """For the middleware (outside DRF): the problem for an exception the client caused — a malformed
    request, a missing object, a refused permission, input the database refused — else None (a 500)."""
    converted = as_api_exception(exc)
    if not isinstance(converted, exceptions.APIException) and isinstance(exc, SuspiciousOperation):
        converted = exceptions.ParseError("The request is malformed.")
    if not isinstance(converted, exceptions.APIException):
        return None
    detail, errors = _detail_and_errors(converted)
    code = "invalid" if isinstance(converted, exceptions.ValidationError) else str(converted.get_codes())
    return problem_response(converted.status_code, detail, code, errors)
