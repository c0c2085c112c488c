"""Who made a request's changes, for the audit trail.

pghistory's middleware opens a context (a UUID and metadata PostgreSQL reads in the audit triggers) around
each request that may write, and records the user the session authenticated. An API token authenticates later,
inside DRF's view; DRF then sets `user` and `auth` on the Django request, which pghistory's request class
already follows for `user` — the class here also follows `auth`, so a token's requests carry its id.
"""

import pghistory
from django.core.handlers.wsgi import WSGIRequest as DjangoWSGIRequest
from pghistory import config as pghistory_config
from pghistory.middleware import HistoryMiddleware
from pghistory.middleware import WSGIRequest as HistoryWSGIRequest

from accounts.models import ApiToken


class _AuditedRequest(HistoryWSGIRequest):
    def __setattr__(self, attr, value):
        if attr == "auth" and isinstance(value, ApiToken):
            pghistory.context(token=value.pk)
        super().__setattr__(attr, value)


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's context for unsafe methods only (settings.PGHISTORY_MIDDLEWARE_METHODS): a read changes
    nothing tracked, so it should not pay for the context on each statement."""

    def __call__(self, request):
        if isinstance(request, DjangoWSGIRequest) and request.method in pghistory_config.middleware_methods():
            with pghistory.context(**self.get_context(request)):
                request.__class__ = _AuditedRequest
                return self.get_response(request)
        return self.get_response(request)
