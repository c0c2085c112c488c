from django.urls import path

from config.routers import Router
from funnel.api import (
    absence_views,
    call_report_views,
    collateral_views,
    definition_views,
    directory_views,
    handoff_views,
    lead_views,
    reassign_views,
    routing_views,
    rule_views,
)
from funnel.attribution.api import CampaignPerformanceView
from funnel.diagnostic.api import AssessmentViewSet, QuestionnaireView, ResponseViewSet
from funnel.exports.api import export_paths
from funnel.insight.api import DigestViewSet, InsightResponseViewSet
from funnel.meetings.api import JointMeetingViewSet
from funnel.metrics.api import MetricJobViewSet, MetricViewSet
from funnel.metrics.dashboard_api import DashboardView
from funnel.metrics.expense_api import SalesExpenseViewSet
from funnel.simulation.api import ScoringPreviewViewSet, SimulationViewSet
from funnel.targets.api import RevenueTargetViewSet

router = Router()
router.register("leads", lead_views.LeadViewSet, basename="lead")
router.register("handoffs", handoff_views.HandoffViewSet, basename="handoff")
router.register("rejection-reasons", handoff_views.RejectionReasonViewSet, basename="rejection-reason")
router.register("approval-requests", handoff_views.ApprovalRequestViewSet, basename="approval-request")
router.register("lead-definitions", definition_views.LeadDefinitionViewSet, basename="lead-definition")
router.register("definition-versions", definition_views.DefinitionVersionViewSet, basename="definition-version")
router.register("handoff-rules", rule_views.HandoffRuleViewSet, basename="handoff-rule")
router.register("stages", rule_views.StageViewSet, basename="stage")
router.register("scoring-previews", ScoringPreviewViewSet, basename="scoring-preview")
router.register("simulations", SimulationViewSet, basename="simulation")
router.register("reassignments", reassign_views.ReassignmentViewSet, basename="reassignment")
router.register("out-of-office", absence_views.AbsenceViewSet, basename="out-of-office")
router.register("call-reports", call_report_views.CallReportViewSet, basename="call-report")
router.register("collateral-uses", collateral_views.CollateralUseViewSet, basename="collateral-use")
router.register("digests", DigestViewSet, basename="digest")
router.register("insight-responses", InsightResponseViewSet, basename="insight-response")
router.register("joint-meetings", JointMeetingViewSet, basename="joint-meeting")
router.register("metrics", MetricViewSet, basename="metric")
router.register("metric-jobs", MetricJobViewSet, basename="metric-job")
router.register("sales-expenses", SalesExpenseViewSet, basename="sales-expense")
router.register("targets", RevenueTargetViewSet, basename="target")
router.register("diagnostic/responses", ResponseViewSet, basename="diagnostic-response")
router.register("diagnostic/assessments", AssessmentViewSet, basename="diagnostic-assessment")

urlpatterns = [
    *router.urls,
    path("diagnostic/questionnaire/", QuestionnaireView.as_view(), name="diagnostic-questionnaire"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("campaign-performance/", CampaignPerformanceView.as_view(), name="campaign-performance"),
    path("directory/lookup/", directory_views.DirectoryLookupView.as_view(), name="directory-lookup"),
    path("routing/people/", routing_views.RoutingPeopleView.as_view(), name="routing-people"),
    path("routing/people/<int:user_id>/", routing_views.RoutingPersonView.as_view(), name="routing-person"),
    path("routing/share/", routing_views.RoutingShareView.as_view(), name="routing-share"),
    *export_paths(),
]
