from funnel.attribution.models import AttributionCredit, Purchase
from funnel.models.definitions import LeadDefinition, LeadDefinitionVersion
from funnel.models.handoffs import ApprovalRequest, Handoff, RejectionReason, SlaBreach
from funnel.models.rules import HandoffRule, RoutingCursor
from funnel.models.stages import Stage, StageMove
from funnel.models.transitions import Transition

__all__ = [
    "ApprovalRequest",
    "AttributionCredit",
    "Handoff",
    "HandoffRule",
    "LeadDefinition",
    "LeadDefinitionVersion",
    "Purchase",
    "RejectionReason",
    "RoutingCursor",
    "SlaBreach",
    "Stage",
    "StageMove",
    "Transition",
]
