from config.errors import DomainError, NotAllowed, NotPending

__all__ = ["IllegalMove", "LeadBusy", "NoOwner", "NotAllowed", "NotPending", "TransitionRefused"]


class IllegalMove(DomainError):
    """The funnel graph has no edge from the lead's stage to the requested one."""

    code = "illegal_move"


class TransitionRefused(DomainError):
    """One or more rules failed; `failed` lists each with its rule, check and reason. Nothing was written."""

    code = "transition_refused"


class LeadBusy(DomainError):
    """Another transition holds the lead, or moved it since the caller read it."""

    status = 409
    code = "conflict"


class NoOwner(DomainError):
    """A capture the policy can give to nobody (an integration's, with no routing rule and no campaign owner)."""

    code = "no_owner"
