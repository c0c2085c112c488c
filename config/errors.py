"""The base of every domain error a service raises; the API renders it as a problem document.

Services stay free of HTTP: they say what went wrong (code, message, details), and `status` is only the hint
the API layer uses to pick a response code.
"""

# Members of the problem document the API renders; a detail may not reuse them.
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail", "code", "errors"})


class DomainError(Exception):
    status = 422
    code = "domain_error"

    def __init__(self, message: str, **details: object):
        clashes = PROBLEM_MEMBERS & details.keys()
        if clashes:
            raise TypeError(f"A DomainError detail may not be named {', '.join(sorted(clashes))}.")
        super().__init__(message)
        self.message = message
        self.details = details


class NotAllowed(DomainError):
    """The caller may see the object but not do this to it."""

    status = 403
    code = "not_allowed"


class NotPending(DomainError):
    """The thing to decide (a handoff, an approval, a proposal) was already decided."""

    status = 409
    code = "not_pending"
