from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from accounts.choices import Function, Role
from funnel.choices import ApprovalStatus, HandoffStatus, SlaKind
from leads.choices import Stage as StageKey


class RejectionReason(models.Model):
    """A managed reason code for rejecting a handoff. Procedural codes (wrong routing, bad data, …) are about
    the process, not the buyer; the rest say the lead was not ready."""

    code = models.SlugField(max_length=40, primary_key=True)
    label = models.CharField(max_length=100)
    procedural = models.BooleanField(default=False)
    note_required = models.BooleanField(default=False, help_text="E.g. 'other' needs free text.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class Handoff(models.Model):
    """Opened when a transition moves a lead into a stage owned by another function; pending until the
    receiving side accepts it or rejects it with a reason (which sends the lead to nurture)."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="handoffs")
    transition = models.OneToOneField("funnel.Transition", on_delete=models.PROTECT, related_name="handoff")
    from_function = models.CharField(max_length=16, choices=Function.choices)
    to_function = models.CharField(max_length=16, choices=Function.choices)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(  # indexed by handoff_inbox (to_owner, status)
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handoffs_received",
        db_index=False,
    )
    to_team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=HandoffStatus.choices, default=HandoffStatus.PENDING)
    created_at = models.DateTimeField()
    accept_due_at = models.DateTimeField(null=True, blank=True)
    first_touch_due_at = models.DateTimeField(null=True, blank=True)
    first_touched_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reject_reason = models.ForeignKey(RejectionReason, null=True, blank=True, on_delete=models.PROTECT)
    reject_note = models.TextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "accept_due_at"], name="handoff_accept_due"),
            models.Index(fields=["to_owner", "status"], name="handoff_inbox"),
            # The handoff metrics select a period's handoffs by any of these four times (OR-ed, so a bitmap of
            # each); without them every period read all handoffs, 0.5 s a day at 1.16M handoffs.
            models.Index(fields=["created_at"], name="handoff_created"),
            models.Index(fields=["decided_at"], name="handoff_decided", condition=Q(decided_at__isnull=False)),
            models.Index(fields=["accept_due_at"], name="handoff_accept_due_at"),
            models.Index(fields=["first_touch_due_at"], name="handoff_first_touch_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status=HandoffStatus.PENDING), name="handoff_one_pending_per_lead"
            ),
            models.CheckConstraint(condition=~Q(from_function=models.F("to_function")), name="handoff_crosses"),
            models.CheckConstraint(
                condition=~Q(status=HandoffStatus.REJECTED) | Q(reject_reason__isnull=False),
                name="handoff_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=HandoffStatus.PENDING) | Q(decided_at__isnull=False),
                name="handoff_decision_has_time",
            ),
            models.CheckConstraint(condition=LessThanOrEqual(Length("reject_note"), 1000), name="handoff_note_length"),
        ]

    def __str__(self) -> str:
        return f"Handoff of lead {self.lead_id} to {self.to_function} ({self.status})"


class SlaBreach(models.Model):
    """A missed SLA clock, stored once per handoff and kind (the unique key makes the job safe to repeat)."""

    handoff = models.ForeignKey(Handoff, on_delete=models.PROTECT, related_name="breaches")
    kind = models.CharField(max_length=12, choices=SlaKind.choices)
    due_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [models.UniqueConstraint(fields=["handoff", "kind"], name="sla_breach_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} SLA missed on handoff {self.handoff_id}"


class ApprovalRequest(models.Model):
    """A request that a user with `role` approve moving a lead to `to_stage`, demanded by an escalation rule.
    An approved request is consumed by the transition it allowed."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="approval_requests")
    to_stage = models.CharField(max_length=16, choices=StageKey.choices)
    rule = models.ForeignKey("funnel.HandoffRule", on_delete=models.CASCADE, related_name="approval_requests")
    role = models.CharField(max_length=32, choices=Role.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, max_length=1000)
    used_by = models.OneToOneField(
        "funnel.Transition", null=True, blank=True, on_delete=models.PROTECT, related_name="approval"
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "to_stage", "rule"],
                condition=Q(status=ApprovalStatus.PENDING),
                name="approval_one_pending",
            ),
            models.CheckConstraint(condition=LessThanOrEqual(Length("note"), 1000), name="approval_note_length"),
        ]

    def __str__(self) -> str:
        return f"Approval by {self.role} to move lead {self.lead_id} to {self.to_stage} ({self.status})"
