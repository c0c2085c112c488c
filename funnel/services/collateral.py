"""Collateral used with a lead: recorded at the lead's current stage, only for a released version, by someone
who sees the lead in full (the one working it). A handoff rule's "collateral_used" precondition reads it."""

from accounts.models import User
from crm.choices import CollateralStatus
from crm.exceptions import WrongStatus
from crm.models import CollateralUse, CollateralVersion
from leads.selectors import lead_get_in_full


def collateral_use_record(*, user: User, version_id: int, lead_id: int) -> CollateralUse:
    lead = lead_get_in_full(user=user, lead_id=lead_id)
    version = CollateralVersion.objects.select_related("collateral").get(pk=version_id)
    if version.status != CollateralStatus.RELEASED:
        raise WrongStatus(
            f"{version.collateral.title} v{version.number} is not released: only sales-reviewed, released "
            "collateral goes to buyers.",
            version_status=version.status,
        )
    return CollateralUse.objects.create(version=version, lead=lead, stage=lead.stage, used_by=user)
