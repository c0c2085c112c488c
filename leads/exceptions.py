from config.errors import DomainError, NotAllowed, NotPending

__all__ = ["DuplicateLead", "NotAllowed", "NotPending"]


class DuplicateLead(DomainError):
    """Another lead already has this normalised email; `existing` is that lead (None if it vanished)."""

    status = 409
    code = "duplicate_lead"

    def __init__(self, existing):
        self.existing = existing
        where = f" (lead {existing.pk})" if existing is not None else ""
        super().__init__(
            f"A lead with this email already exists{where}.", existing_lead=existing.pk if existing else None
        )
