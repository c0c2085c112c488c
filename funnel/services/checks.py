from dataclasses import dataclass

from accounts.models import User
from funnel.models import ApprovalRequest


@dataclass
class Check:
    """One rule check of a transition; stored as-is in Transition.rule_results."""

    rule: str
    check: str
    passed: bool
    reason: str
    rule_id: int | None = None
    remedy: str = ""  # what the mover can do about a failure, e.g. "request_approval"
    fields: tuple[str, ...] = ()  # lead fields whose values `reason` reveals (hidden from marketing-only viewers)


@dataclass
class Effects:
    """What passing escalations will do once the move is allowed."""

    involve: list[tuple[User, str]]
    approvals: list[ApprovalRequest]
