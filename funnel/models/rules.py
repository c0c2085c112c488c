from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from funnel.choices import SlaClock
from funnel.simulation.choices import RuleState
from leads.choices import Stage as StageKey

# A year of working days: an SLA longer than that is a typing mistake, and the clock arithmetic would run
# past the calendar it searches.
MAX_SLA_HOURS = 2000


def _keep() -> dict:
    return {"kind": "keep"}


class HandoffRule(models.Model):
    EDITABLE_FIELDS = (
        "name",
        "description",
        "is_active",
        "priority",
        "from_stages",
        "to_stages",
        "preconditions",
        "routing",
        "escalations",
        "accept_within_hours",
        "first_touch_within_hours",
        "sla_clock",
    )

    """A rule of engagement attached to a class of transitions (from any of `from_stages` to any of `to_stages`;
    an empty list means any stage).

    Its parts are structured data validated on save (funnel.engine): `preconditions` that must all pass,
    `routing` that picks the new owner, `escalations` that involve or require a role above a threshold, and
    SLA hours copied onto the handoff the move opens.
    """

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, max_length=2000)
    is_active = models.BooleanField(default=True, help_text="Enforced; kept equal to state == enforced.")
    # draft → shadow → enforced (→ retired): a shadow rule is evaluated at every move and recorded, never obeyed.
    state = models.CharField(max_length=8, choices=RuleState.choices, default=RuleState.ENFORCED)
    state_since = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower runs first; the first routing wins.")
    from_stages = ArrayField(models.CharField(max_length=16, choices=StageKey.choices), default=list, blank=True)
    to_stages = ArrayField(models.CharField(max_length=16, choices=StageKey.choices), default=list, blank=True)
    preconditions = models.JSONField(default=list, blank=True)
    routing = models.JSONField(default=_keep, blank=True)
    escalations = models.JSONField(default=list, blank=True)
    accept_within_hours = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_SLA_HOURS)]
    )
    first_touch_within_hours = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_SLA_HOURS)]
    )
    sla_clock = models.CharField(
        max_length=10,
        choices=SlaClock.choices,
        default=SlaClock.WORKING_HOURS,
        help_text="Count SLA hours on the receiving team's working calendar, or round the clock.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_stages__contained_by=StageKey.values), name="rule_from_stages_valid"
            ),
            models.CheckConstraint(condition=Q(to_stages__contained_by=StageKey.values), name="rule_to_stages_valid"),
            models.CheckConstraint(
                condition=Q(accept_within_hours__isnull=True) | Q(accept_within_hours__range=(1, MAX_SLA_HOURS)),
                name="rule_sla_positive",
            ),
            models.CheckConstraint(
                condition=Q(first_touch_within_hours__isnull=True)
                | Q(first_touch_within_hours__range=(1, MAX_SLA_HOURS)),
                name="rule_first_touch_sla_range",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), 2000), name="rule_description_length"
            ),
            models.CheckConstraint(condition=Q(state__in=RuleState.values), name="rule_state_valid"),
            # One truth: the engine loads is_active rules, and only an enforced rule is active.
            models.CheckConstraint(
                condition=Q(state=RuleState.ENFORCED, is_active=True)
                | (~Q(state=RuleState.ENFORCED) & Q(is_active=False)),
                name="rule_active_iff_enforced",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, from_stage: str | None, to_stage: str) -> bool:
        return (not self.from_stages or from_stage in self.from_stages) and (
            not self.to_stages or to_stage in self.to_stages
        )


class RoutingCursor(models.Model):
    """Where round-robin routing stands in a team; its row lock serialises concurrent assignments."""

    team = models.OneToOneField("accounts.Team", primary_key=True, on_delete=models.CASCADE)
    position = models.PositiveBigIntegerField(default=0)
    # Smooth weighted round-robin: each member's running credit ({"user id": credit}); the person with the most
    # credit among those available wins and pays back the total weight, so shares follow the weights.
    credits = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.team} at {self.position}"
