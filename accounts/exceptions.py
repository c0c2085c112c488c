from config.errors import DomainError


class TokenRefused(DomainError):
    """A presented API token is unknown, revoked, expired or its user deactivated; the message says which."""

    status = 401
    code = "token_refused"
