from django.db import models
from django.db.models import Q

from accounts.choices import Function
from leads.choices import Stage as StageKey


class Stage(models.Model):
    """A funnel stage or outcome and the function that owns leads in it (configurable by an administrator)."""

    key = models.CharField(max_length=16, primary_key=True, choices=StageKey.choices)
    position = models.PositiveSmallIntegerField(unique=True)
    owning_function = models.CharField(max_length=16, choices=Function.choices)
    is_outcome = models.BooleanField(default=False, help_text="Lost and nurture sit beside the funnel, not in it.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=Q(key__in=StageKey.values), name="stage_key_valid"),
            models.CheckConstraint(condition=Q(owning_function__in=Function.values), name="stage_function_valid"),
        ]

    def __str__(self) -> str:
        return self.get_key_display()


class StageMove(models.Model):
    """An allowed edge of the funnel graph: a lead may move from `from_stage` to `to_stage` (rules permitting)."""

    from_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="moves_out")
    to_stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="moves_in")

    class Meta:
        ordering = ["from_stage__position", "to_stage__position"]
        constraints = [
            models.UniqueConstraint(fields=["from_stage", "to_stage"], name="stage_move_once"),
            models.CheckConstraint(condition=~Q(from_stage=models.F("to_stage")), name="stage_move_not_loop"),
        ]

    def __str__(self) -> str:
        return f"{self.from_stage_id} → {self.to_stage_id}"
