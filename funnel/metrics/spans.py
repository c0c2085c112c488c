"""Stage spans kept at write time: the one door (and lead capture) call `span_advance` inside the
transaction that writes the transition, so the spans always match the history row for row."""

from funnel.metrics.invalidation import transition_days_changed
from funnel.metrics.models import StageSpan
from funnel.models.transitions import Transition


def span_advance(*, transition: Transition, team_id: int | None) -> StageSpan:
    """Closes the lead's open span at the transition (if it has one) and opens the span it enters; the closed
    metric snapshots this changes are invalidated with the move."""
    transition_days_changed(lead_id=transition.lead_id, occurred_at=transition.occurred_at)
    StageSpan.objects.filter(lead_id=transition.lead_id, left_at__isnull=True).update(
        left_at=transition.occurred_at, next_stage=transition.to_stage
    )
    return StageSpan.objects.create(
        lead_id=transition.lead_id,
        stage=transition.to_stage,
        entered_at=transition.occurred_at,
        opened_by=transition,
        owner_id=transition.to_owner_id,
        team_id=team_id,
    )
