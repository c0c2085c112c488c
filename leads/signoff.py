"""Two-sided sign-off, shared by everything the two teams must both agree to before it is used (lead
definition versions, scoring model versions): a marketing and a sales signature from two different people.

A signed model has `marketing_approver`, `marketing_signed_at`, `sales_approver`, `sales_signed_at`, `status`
and `activated_at`; the caller holds its row lock.
"""

from django.core.exceptions import ValidationError

from accounts.choices import Role
from accounts.models import User
from leads.choices import SignOffSide, VersionStatus
from leads.exceptions import NotAllowed, NotPending

SIGNERS = {
    SignOffSide.MARKETING: frozenset({Role.MARKETING_MANAGER, Role.REVENUE_LEADER}),
    SignOffSide.SALES: frozenset({Role.SALES_MANAGER, Role.REVENUE_LEADER}),
}


def side_for(user: User, side: str | None) -> str:
    """The side `user` signs for: the only one their role allows, or the one they name if they may sign both."""
    sides = [s for s, roles in SIGNERS.items() if user.role in roles]
    if not sides:
        raise NotAllowed("Only marketing managers, sales managers and revenue leaders sign off.")
    if side is None:
        if len(sides) > 1:
            raise ValidationError({"side": "You may sign for marketing or sales: say which."})
        return sides[0]
    if side not in sides:
        raise NotAllowed(f"A {user.get_role_display().lower()} cannot sign for {side}.")
    return side


def sign(version, *, side: str, user: User, now, what: str) -> bool:
    """Records the signature on the locked `version`; True when it now carries both (the caller activates it).
    Signing a proposal that is no longer proposed, both sides as one person, or a side someone else has signed is
    refused."""
    if version.status != VersionStatus.PROPOSED:
        raise NotPending(f"{what} is {version.status}.")
    other = version.sales_approver_id if side == SignOffSide.MARKETING else version.marketing_approver_id
    if other == user.pk:
        raise NotAllowed("The marketing and the sales sign-off must come from two different people.")
    signed_by = version.marketing_approver if side == SignOffSide.MARKETING else version.sales_approver
    if signed_by is not None and signed_by.pk != user.pk:
        # A second signer for the same side would silently erase the first one's commitment.
        raise NotPending(f"{what} is already signed for {side} by {signed_by.get_username()}.")
    if side == SignOffSide.MARKETING:
        version.marketing_approver, version.marketing_signed_at = user, now
    else:
        version.sales_approver, version.sales_signed_at = user, now
    return bool(version.marketing_approver_id and version.sales_approver_id)
