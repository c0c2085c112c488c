"""The base of every domain error a service raises; the API renders it as a problem document.

Services stay free of HTTP: they say what went wrong (code, message, details), and `status` is only the hint
the API layer uses to pick a response code.
"""


class DomainError(Exception):
    status = 422
    code = "domain_error"

    def __init__(self, message: str, **details: object):
        super().__init__(message)
        self.message = message
        self.details = details
