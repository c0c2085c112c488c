from django.conf import settings
from django.db import models
from django.db.models import Q

from leads.choices import Stage as StageKey


class Transition(models.Model):
    """One stage change of a lead, immutable: the database refuses UPDATE and DELETE on this table.

    `rule_results` lists every rule check made ({rule, check, passed, reason}); `definition_versions` the
    signed-off definition versions the checks used ({code, version_id, number}).
    """

    # Indexed by transition_lead_time (lead, occurred_at): a second index on the lead alone only costs writes.
    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="transitions", db_index=False)
    from_stage = models.CharField(max_length=16, choices=StageKey.choices, null=True, blank=True)
    to_stage = models.CharField(max_length=16, choices=StageKey.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule_results = models.JSONField(default=list)
    definition_versions = models.JSONField(default=list)
    # Why the lead went to whom: the pool, every candidate with their weight and why any was skipped, the
    # winner (funnel.routing.engine.Decision as a dict). Null when no rule routed the move.
    routing = models.JSONField(null=True, blank=True)
    # What the rules saw: the lead's criteria values, its last call report's day and the collateral used at
    # the stage it left (funnel.services.context.context_record), so any rule or definition can be replayed
    # on this move exactly as the lead was then. Null on moves recorded before it was kept.
    context = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-occurred_at"], name="transition_lead_time"),
            models.Index(fields=["to_stage", "occurred_at"], name="transition_stage_time"),
            # A period's first MQL crossings (funnel.metrics.families.money's cost per MQL) without reading every move.
            models.Index(
                fields=["occurred_at"],
                condition=Q(definition_versions__contains=[{"code": "MQL"}]),
                name="transition_mql_time",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(to_stage__in=StageKey.values), name="transition_to_valid"),
            models.CheckConstraint(
                condition=Q(from_stage__isnull=True) | ~Q(from_stage=models.F("to_stage")), name="transition_moves"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_stage or '—'} → {self.to_stage}"


class Reassignment(models.Model):
    """A lead given to another owner without a stage change (a manager's call: holidays, a departing rep, a
    rebalanced team), immutable like the transition history and shown beside it."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="reassignments")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # No new owner: the lead waits in its team's queue. No actor: a job did it (an absence began).
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500)
    occurred_at = models.DateTimeField()
    routing = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["lead", "-occurred_at"], name="reassignment_lead_time")]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="reassignment_says_why")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_owner_id} → {self.to_owner_id}"
