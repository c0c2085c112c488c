from funnel.attribution.models import AttributionCredit, Purchase
from funnel.diagnostic.models import Assessment, DiagnosticResponse
from funnel.insight.models import Digest, DigestCount, DigestDelivery, InsightResponse
from funnel.meetings.models import AgendaItem, JointMeeting
from funnel.metrics.models import (
    MetricInvalidation,
    MetricJob,
    MetricSnapshot,
    MetricValue,
    SalesExpense,
    StageSpan,
)
from funnel.models.definitions import (
    DefinitionCrossing,
    LeadDefinition,
    LeadDefinitionVersion,
    ScoreChangeCursor,
)
from funnel.models.handoffs import ApprovalRequest, Handoff, RejectionReason, SlaBreach
from funnel.models.rules import HandoffRule, RoutingCursor
from funnel.models.stages import Stage, StageMove
from funnel.models.transitions import Reassignment, Transition
from funnel.simulation.models import RuleStateChange, ShadowResult, Simulation
from funnel.targets.models import RevenueTarget, TargetSplit

__all__ = [
    "AgendaItem",
    "ApprovalRequest",
    "Assessment",
    "AttributionCredit",
    "DefinitionCrossing",
    "DiagnosticResponse",
    "Digest",
    "DigestCount",
    "DigestDelivery",
    "Handoff",
    "HandoffRule",
    "InsightResponse",
    "JointMeeting",
    "LeadDefinition",
    "LeadDefinitionVersion",
    "MetricInvalidation",
    "MetricJob",
    "MetricSnapshot",
    "MetricValue",
    "Purchase",
    "Reassignment",
    "RejectionReason",
    "RevenueTarget",
    "RoutingCursor",
    "RuleStateChange",
    "SalesExpense",
    "ScoreChangeCursor",
    "ShadowResult",
    "Simulation",
    "SlaBreach",
    "Stage",
    "StageMove",
    "StageSpan",
    "TargetSplit",
    "Transition",
]
