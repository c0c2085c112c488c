"""API error plumbing that must run outside DRF: bodies refused before they are read, and exceptions that
escape a view turned into problem documents in every DEBUG setting (DEBUG's technical 500 page is HTML); a
database out of reach is a 503 on web pages too (config.problems.database_unavailable)."""

from django.conf import settings
from django.utils.log import log_response

from config import problems


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if problems.is_api(request) and self._declared_too_large(request):
            return problems.problem_response(413, problems.PayloadTooLarge.default_detail, "too_large")
        return self.get_response(request)

    @staticmethod
    def _declared_too_large(request) -> bool:
        """A Content-Length above the limit is refused before a byte of the body is read. A file upload's
        limit is its endpoint's (API_UPLOAD_LIMITS): multipart files are streamed to disk, not held in memory."""
        limit = settings.API_UPLOAD_LIMITS.get(request.path, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            return limit is not None and int(request.META.get("CONTENT_LENGTH") or 0) > limit
        except ValueError:
            return False

    def process_exception(self, request, exception):
        if problems.database_unavailable(exception):  # web pages too: a 503 page, in every DEBUG setting
            return problems.database_unavailable_response(request, exception)
        if not problems.is_api(request):
            return None
        client_error = problems.client_error_response(exception)
        if client_error is not None:
            return client_error
        response = problems.server_error(request)
        # log_response marks the response logged, so Django's handler does not log the same 500 again.
        log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exception)
        return response
