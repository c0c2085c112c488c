from config.errors import DomainError, NotAllowed

__all__ = ["NotAllowed", "WrongStatus"]


class WrongStatus(DomainError):
    """The campaign (or version) is not in a status where this step applies; `campaign_status` says where it is."""

    status = 409
    code = "wrong_status"
