"""Web UI routes: the home page per role, the board, leads with their transition form, handoffs, SLA breaches,
approvals, definitions, rules, the team page and call reports."""

from django.urls import path

from funnel.views import board, call_reports, definitions, handoffs, home, lead_list, leads, rules, team

urlpatterns = [
    path("", home.home, name="home"),
    path("board/", board.board, name="board"),
    path("team/", team.team, name="team"),
    path("sla/", handoffs.sla_breaches, name="sla-breaches"),
    path("call-reports/", call_reports.call_report_list, name="call-report-list"),
    path("rules/", rules.rule_list, name="rule-list"),
    path("rules/new/", rules.rule_edit, name="rule-create"),
    path("rules/<int:rule_id>/", rules.rule_edit, name="rule-edit"),
    path("leads/", lead_list.lead_list, name="lead-list"),
    path("leads/bulk-move/", lead_list.lead_bulk_move, name="lead-bulk-move"),
    path("leads/views/", lead_list.saved_view_save, name="saved-view-save"),
    path("leads/views/<int:view_id>/delete/", lead_list.saved_view_delete, name="saved-view-delete"),
    path("leads/new/", leads.lead_create, name="lead-create"),
    path("leads/<int:lead_id>/", leads.lead_detail, name="lead-detail"),
    path("leads/<int:lead_id>/edit/", leads.lead_edit, name="lead-edit"),
    path("leads/<int:lead_id>/move/", leads.lead_move, name="lead-move"),
    path("leads/<int:lead_id>/approval-requests/", leads.lead_approval_ask, name="lead-approval-ask"),
    path("leads/<int:lead_id>/call-reports/", leads.lead_call_report, name="lead-call-report"),
    path("handoffs/", handoffs.handoff_inbox, name="handoff-inbox"),
    path("handoffs/<int:handoff_id>/accept/", handoffs.handoff_accept, name="handoff-accept"),
    path("handoffs/<int:handoff_id>/reject/", handoffs.handoff_reject, name="handoff-reject"),
    path("approvals/", handoffs.approval_list, name="approval-list"),
    path("approvals/<int:request_id>/approve/", handoffs.approval_decide, {"approve": True}, name="approval-approve"),
    path("approvals/<int:request_id>/decline/", handoffs.approval_decide, {"approve": False}, name="approval-decline"),
    path("definitions/", definitions.definition_list, name="definition-list"),
    path("definitions/<int:definition_id>/propose/", definitions.definition_propose, name="definition-propose"),
    path(
        "definitions/versions/<int:version_id>/sign-off/", definitions.definition_sign_off, name="definition-sign-off"
    ),
]
