"""Definition crossings: reads the score history (leads' outbox of score changes) and records each change that
made a lead newly meet, or stop meeting, an active definition, telling the lead's owner. It never moves a lead.
"""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.services import notification_send
from funnel.models import DefinitionCrossing, LeadDefinitionVersion, ScoreChangeCursor
from integrations.outbox import outbox_emit
from leads.choices import VersionStatus
from leads.criteria import evaluate_criteria, lead_snapshot
from leads.models import LeadScoreChange

BATCH = 5000
CURSOR = "definition-crossings"


def _meets(criteria: dict, snapshot: dict, score: int) -> bool:
    return all(result.passed for result in evaluate_criteria(criteria, {**snapshot, "score": score}))


def definition_crossings_record(*, batch: int = BATCH) -> int:
    """Processes up to `batch` score changes past the cursor; returns how many crossings it recorded. Safe to
    run twice at once (the cursor row lock) and again (the cursor moved; crossings are unique per change)."""
    with transaction.atomic():
        cursor, _ = ScoreChangeCursor.objects.select_for_update().get_or_create(name=CURSOR)
        changes = list(
            LeadScoreChange.objects.filter(pk__gt=cursor.last_change_id)
            .select_related("lead__company", "lead__owner")
            .order_by("pk")[:batch]
        )
        if not changes:
            return 0
        versions = [
            v
            for v in LeadDefinitionVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("definition")
            if any(c.get("field") == "score" for c in v.criteria["conditions"])
        ]
        crossings = [c for change in changes for c in _crossings(change, versions)]
        DefinitionCrossing.objects.bulk_create(crossings)
        cursor.last_change_id = changes[-1].pk
        cursor.save(update_fields=["last_change_id"])
        outbox_emit(task="funnel.tasks.definition_crossings_notify", crossing_ids=[c.pk for c in crossings])
    return len(crossings)


def _crossings(change: LeadScoreChange, versions: list[LeadDefinitionVersion]) -> list[DefinitionCrossing]:
    snapshot = lead_snapshot(change.lead)
    before = change.score_before or 0  # never scored: the lead held the default score, 0
    found = []
    for version in versions:
        then, now = _meets(version.criteria, snapshot, before), _meets(version.criteria, snapshot, change.score_after)
        if then != now:
            found.append(
                DefinitionCrossing(
                    lead=change.lead,
                    version=version,
                    change=change,
                    met=now,
                    score_before=before,
                    score_after=change.score_after,
                    at=timezone.now(),
                )
            )
    return found


def definition_crossings_notify(*, crossing_ids: list[int]) -> None:
    """Tells each crossing lead's owner; once per crossing."""
    crossings = DefinitionCrossing.objects.filter(pk__in=crossing_ids).select_related(
        "lead__owner", "version__definition"
    )
    for crossing in crossings.order_by("pk"):
        lead = crossing.lead
        if lead.owner is None:
            continue
        code = crossing.version.definition.code
        verb = "now meets" if crossing.met else "no longer meets"
        notification_send(
            recipient=lead.owner,
            kind="definition_crossed",
            subject_type="funnel.definitioncrossing",
            subject_id=crossing.pk,
            message=f"{lead.name} {verb} {code}: score {crossing.score_before} → {crossing.score_after}.",
            url=reverse("lead-detail", args=[lead.pk]),
        )
