from config.errors import DomainError, NotAllowed

__all__ = ["AddressNotAllowed", "NotAllowed", "SubscriptionDisabled"]


class SubscriptionDisabled(DomainError):
    """The subscription is disabled: enable it (which resets its failure count) before redelivering."""

    status = 409
    code = "subscription_disabled"


class AddressNotAllowed(DomainError):
    """The webhook URL is malformed, does not resolve, or points into a network the administrator did not allow."""

    status = 400
    code = "address_not_allowed"
