from django.conf import settings
from django.db import models
from django.db.models import Q

from funnel.simulation.choices import RuleState, SimulationKind, SimulationStatus

MAX_WINDOW_DAYS = 3660


class Simulation(models.Model):
    """What a proposed definition version or handoff rule would have done: over the leads as they are now and
    over the moves of the last `window_days`. Run as a job; its result is kept, so signers see the same numbers
    the proposer saw, and a sign-off or an enforcement records which simulation was in front of them."""

    kind = models.CharField(max_length=12, choices=SimulationKind.choices)
    definition_version = models.ForeignKey(
        "funnel.LeadDefinitionVersion", null=True, blank=True, on_delete=models.CASCADE, related_name="simulations"
    )
    rule = models.ForeignKey(
        "funnel.HandoffRule", null=True, blank=True, on_delete=models.CASCADE, related_name="simulations"
    )
    # The rule as simulated (its parts at the time), so a later edit never changes what this result means.
    rule_spec = models.JSONField(null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(default=90)
    status = models.CharField(max_length=8, choices=SimulationStatus.choices, default=SimulationStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    result = models.JSONField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The newest transition the history part read: every number says how fresh it is.
    history_until_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["definition_version", "-requested_at"], name="simulation_version_time"),
            models.Index(fields=["rule", "-requested_at"], name="simulation_rule_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SimulationKind.values), name="simulation_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=SimulationStatus.values), name="simulation_status_valid"),
            models.CheckConstraint(
                condition=Q(kind=SimulationKind.DEFINITION, definition_version__isnull=False)
                | Q(kind=SimulationKind.RULE, rule_spec__isnull=False),
                name="simulation_has_subject",
            ),
            models.CheckConstraint(condition=Q(window_days__range=(1, MAX_WINDOW_DAYS)), name="simulation_window"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="simulation_progress_percent"),
        ]

    def __str__(self) -> str:
        return f"Simulation {self.pk} ({self.kind}, {self.status})"


class ShadowResult(models.Model):
    """A shadow rule's verdict on one real transition: recorded beside the enforced rules' results, never used."""

    # Indexed by shadow_rule_time and shadow_once_per_move, which both lead with it.
    rule = models.ForeignKey(
        "funnel.HandoffRule", on_delete=models.CASCADE, related_name="shadow_results", db_index=False
    )
    transition = models.ForeignKey("funnel.Transition", on_delete=models.CASCADE, related_name="shadow_results")
    passed = models.BooleanField()
    failed = models.JSONField(default=list, help_text="The checks that would have refused the move.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rule", "at"], name="shadow_rule_time")]
        constraints = [models.UniqueConstraint(fields=["rule", "transition"], name="shadow_once_per_move")]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.transition_id}: {'pass' if self.passed else 'would refuse'}"


class RuleStateChange(models.Model):
    """A rule moving between draft, shadow, enforced and retired: who decided, when, and with which simulation
    in front of them. Append-only."""

    rule = models.ForeignKey("funnel.HandoffRule", on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(max_length=8, choices=RuleState.choices)
    to_state = models.CharField(max_length=8, choices=RuleState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    simulation = models.ForeignKey(Simulation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.from_state} → {self.to_state}"
