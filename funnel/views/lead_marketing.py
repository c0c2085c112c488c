"""The newer parts of a lead's page: its score explained, its touches, the collateral used with it, and the
owners it was given to without a move."""

from crm.choices import CollateralStatus
from crm.models import CollateralUse, CollateralVersion, Touch
from funnel.models import Reassignment
from leads.models import Lead
from leads.scoring.services import lead_score_explanation

TOUCHES_SHOWN = 50


def marketing_context(lead: Lead) -> dict:
    return {
        "score": lead_score_explanation(lead=lead),
        "touches": Touch.objects.filter(lead=lead)
        .select_related("campaign")
        .order_by("-occurred_at", "-id")[:TOUCHES_SHOWN],
        "reassignments": Reassignment.objects.filter(lead=lead).select_related("from_owner", "to_owner", "actor"),
        "collateral_uses": CollateralUse.objects.filter(lead=lead).select_related("version__collateral", "used_by"),
        "released_collateral": CollateralVersion.objects.filter(status=CollateralStatus.RELEASED)
        .select_related("collateral")
        .order_by("collateral__title")
        if lead.full_access
        else [],
    }
