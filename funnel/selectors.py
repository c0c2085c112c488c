"""Reads of the funnel, each limited by lead visibility (leads.selectors) where leads are involved."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from funnel.models import (
    ApprovalRequest,
    Handoff,
    HandoffRule,
    LeadDefinition,
    LeadDefinitionVersion,
    Stage,
    Transition,
)
from leads.choices import VersionStatus
from leads.selectors import HIDDEN_REASON, lead_list, reveals_sales_data


def _visible_lead_ids(user: User):
    return lead_list(user=user).values("pk")


def stage_list() -> QuerySet[Stage]:
    return Stage.objects.prefetch_related("moves_out")


def transition_list(*, user: User, lead_id: int) -> QuerySet[Transition]:
    return (
        Transition.objects.filter(lead_id=lead_id, lead_id__in=_visible_lead_ids(user))
        .select_related("actor", "from_owner", "to_owner")
        .order_by("-occurred_at", "-id")
    )


def rule_results_for(results: list[dict], *, full_access: bool) -> list[dict]:
    """A transition's rule checks as a viewer may read them: for one who sees the lead's marketing data only,
    a reason that shows a sales-only value (the deal's size, a BANT fact) is replaced by a note saying so."""
    if full_access:
        return results
    return [
        {**check, "reason": HIDDEN_REASON}
        if reveals_sales_data(check.get("fields"), f"{check.get('check', '')} {check.get('reason', '')}")
        else check
        for check in results
    ]


def handoff_list(*, user: User) -> QuerySet[Handoff]:
    """Handoffs of leads the user sees, plus any handed to them."""
    return (
        Handoff.objects.filter(Q(lead_id__in=_visible_lead_ids(user)) | Q(to_owner=user))
        .select_related("lead", "to_owner", "from_owner", "decided_by", "reject_reason", "to_team")
        .prefetch_related("breaches__escalated_to")
    )


def definition_list() -> QuerySet[LeadDefinition]:
    return LeadDefinition.objects.prefetch_related(
        Prefetch(
            "versions",
            queryset=LeadDefinitionVersion.objects.select_related(
                "definition", "proposed_by", "marketing_approver", "sales_approver"
            ),
        )
    )


def definition_version_list() -> QuerySet[LeadDefinitionVersion]:
    return LeadDefinitionVersion.objects.select_related(
        "definition", "proposed_by", "marketing_approver", "sales_approver"
    )


def definition_version_for_evaluation(*, definition: LeadDefinition) -> LeadDefinitionVersion | None:
    versions = definition_version_list().filter(definition=definition)
    return (
        versions.filter(status=VersionStatus.ACTIVE).first()
        or versions.filter(status=VersionStatus.PROPOSED).order_by("-number").first()
    )


def handoff_rule_list() -> QuerySet[HandoffRule]:
    return HandoffRule.objects.all()


def approval_request_list(*, user: User) -> QuerySet[ApprovalRequest]:
    """Requests on leads the user sees (those for their role among them are theirs to decide), annotated with
    `lead_full_access`: False when the user sees the lead's marketing data only, so its value stays hidden."""
    full = lead_list(user=user).filter(pk=OuterRef("lead_id"), full_access=True)
    return (
        ApprovalRequest.objects.filter(lead_id__in=_visible_lead_ids(user))
        .annotate(lead_full_access=Exists(full))
        .select_related("requested_by", "decided_by", "rule", "lead", "lead__owner")
    )
