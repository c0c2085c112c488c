"""Reads for the workspace's home pages — "what do I do now" — each limited by the same visibility as every
other read (leads.selectors), each one indexed query whatever the number of leads."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from accounts.selectors import user_subtree_ids
from crm.models import CallReport
from funnel.choices import ApprovalStatus, HandoffStatus, SlaKind
from funnel.models import ApprovalRequest, Handoff, SlaBreach
from funnel.selectors import approval_request_list
from leads.choices import FUNNEL_STAGES, Stage
from leads.selectors import lead_list, owner_stage_counts

OPEN_STAGES = [stage for stage in FUNNEL_STAGES if stage != Stage.PURCHASE]
HOME_LIMIT = 25  # the most urgent first; the full list is a link away


def handoffs_awaiting(*, user: User) -> QuerySet[Handoff]:
    """Pending handoffs this person answers: handed to them, or to their team with nobody named."""
    mine = Q(to_owner=user) | Q(to_owner__isnull=True, to_team_id=user.team_id)
    return (
        Handoff.objects.filter(mine, status=HandoffStatus.PENDING)
        .select_related("lead", "from_owner", "to_team")
        .prefetch_related("breaches")
        .order_by("accept_due_at", "id")
    )


def next_steps_due(*, user: User) -> QuerySet[CallReport]:
    """The newest call report of each of the person's leads whose next step is due today or overdue."""
    # Newer: a later day, or the same day logged later (two calls on one day are one lead's one next step).
    later = Q(occurred_on__gt=OuterRef("occurred_on")) | Q(occurred_on=OuterRef("occurred_on"), id__gt=OuterRef("id"))
    newer = CallReport.objects.filter(later, lead_id=OuterRef("lead_id"))
    return (
        CallReport.objects.filter(author=user, next_step_on__lte=timezone.localdate(), lead__owner=user)
        .exclude(lead__stage__in=[Stage.LOST, Stage.PURCHASE])
        .filter(~Exists(newer))
        .select_related("lead")
        .order_by("next_step_on", "id")
    )


def approvals_asked_by(*, user: User) -> QuerySet[ApprovalRequest]:
    """The person's own requests still waiting, or approved and not yet used by a move."""
    waiting = Q(status=ApprovalStatus.PENDING) | Q(status=ApprovalStatus.APPROVED, used_by__isnull=True)
    return (
        ApprovalRequest.objects.filter(waiting, requested_by=user)
        .select_related("lead", "decided_by", "rule")
        .order_by("-requested_at")
    )


def approvals_awaiting(*, user: User) -> QuerySet[ApprovalRequest]:
    """Pending requests this person decides: their role, on leads they see, not asked by themselves."""
    return (
        approval_request_list(user=user)
        .filter(status=ApprovalStatus.PENDING, role=user.role)
        .exclude(requested_by=user)
        .order_by("requested_at")
    )


def open_sla_breaches(*, user: User) -> QuerySet[SlaBreach]:
    """Breaches still open — the handoff still unanswered (accept clock) or untouched (first-touch clock) —
    on leads the person sees; they leave this list when resolved, not when a notification is read."""
    still_open = Q(kind=SlaKind.ACCEPT, handoff__status=HandoffStatus.PENDING) | Q(
        kind=SlaKind.FIRST_TOUCH,
        handoff__first_touched_at__isnull=True,
        handoff__status__in=[HandoffStatus.PENDING, HandoffStatus.ACCEPTED],
    )
    return (
        SlaBreach.objects.filter(still_open, handoff__lead_id__in=lead_list(user=user).values("pk"))
        .select_related("handoff__lead", "handoff__to_owner", "handoff__to_team", "escalated_to")
        .order_by("due_at")
    )


@dataclass(frozen=True)
class Workload:
    person: User
    by_stage: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())


def team_workload(*, user: User) -> list[Workload]:
    """Open leads per person in the user's reporting line (the user included; an administrator: everyone
    who works leads), by stage, from the counts the database keeps: one indexed read."""
    members = User.objects.filter(is_active=True).exclude(role=Role.INTEGRATION).select_related("team")
    members = members.order_by("username")
    if not user.is_administrator:
        members = members.filter(pk__in=user_subtree_ids(user=user))
    people = {person.pk: person for person in members}
    counts = owner_stage_counts(owner_ids=list(people), stages=OPEN_STAGES)
    return [
        Workload(person, {stage: counts.get((pk, stage), 0) for stage in OPEN_STAGES}) for pk, person in people.items()
    ]


def open_lead_count(*, user: User) -> int:
    return sum(owner_stage_counts(owner_ids=[user.pk], stages=OPEN_STAGES).values())
