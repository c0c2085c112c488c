"""Scoring: versions proposed and signed off by both teams, scores kept set-based, explanations per lead.

Scores are written only by scores_write (one SQL statement); a lead's explanation recomputes its score in
Python from the same rules and the same moment, and must come to the same number.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from config.validation import json_problems
from crm.models import Touch
from integrations.choices import EventType
from integrations.outbox import outbox_emit
from integrations.webhooks.events import webhook_event_emit
from leads.choices import VersionStatus
from leads.criteria import lead_snapshot
from leads.exceptions import NotAllowed, NotPending
from leads.models import Lead, LeadScore
from leads.scoring import rules
from leads.scoring.models import ScoringModelVersion
from leads.scoring.sql import scores_write
from leads.selectors import HIDDEN_REASON, reveals_sales_data
from leads.signoff import side_for, sign

PROPOSERS = frozenset({Role.MARKETER, Role.MARKETING_MANAGER, Role.REVENUE_LEADER, Role.ADMIN})


def scoring_version_active() -> ScoringModelVersion | None:
    return ScoringModelVersion.objects.filter(status=VersionStatus.ACTIVE).first()


def scoring_version_propose(
    *, user: User, fit_rules: list, engagement_rules: list, note: str = ""
) -> ScoringModelVersion:
    if user.role not in PROPOSERS and not user.is_superuser:
        raise NotAllowed("Marketing manages the lead score: marketers, their managers and revenue leaders propose.")
    errors = json_problems({"fit_rules": fit_rules, "engagement_rules": engagement_rules}) or rules.model_problems(
        fit_rules, engagement_rules
    )
    if errors:
        raise ValidationError({"rules": errors})
    with transaction.atomic():
        # One proposal at a time takes the next number; the unique key catches anything that slips past.
        last = ScoringModelVersion.objects.select_for_update().aggregate(n=Max("number"))["n"] or 0
        return ScoringModelVersion.objects.create(
            number=last + 1,
            fit_rules=fit_rules,
            engagement_rules=engagement_rules,
            note=note.strip(),
            proposed_by=user,
        )


def scoring_version_sign_off(*, version_id: int, user: User, side: str | None = None) -> ScoringModelVersion:
    """The second side's signature activates the version, supersedes the active one and rescores every lead
    (after commit, in the background: a million leads take seconds, not a request's time)."""

    side = side_for(user, side)
    with transaction.atomic():
        version = ScoringModelVersion.objects.select_for_update().get(pk=version_id)
        now = timezone.now()
        if sign(version, side=side, user=user, now=now, what=f"Scoring version {version.number}"):
            ScoringModelVersion.objects.filter(status=VersionStatus.ACTIVE).update(status=VersionStatus.SUPERSEDED)
            version.status, version.activated_at = VersionStatus.ACTIVE, now
            part = {"id": version.pk, "number": version.number, "activated_at": now.isoformat()}
            webhook_event_emit(type=EventType.SCORING_MODEL_ACTIVATED, data={"scoring_model": part})
            outbox_emit(task="leads.tasks.lead_scores_recompute", cause="activation")
        version.save()
    return version


def scoring_version_withdraw(*, version_id: int, user: User) -> ScoringModelVersion:
    with transaction.atomic():
        version = ScoringModelVersion.objects.select_for_update().get(pk=version_id)
        if version.status != VersionStatus.PROPOSED:
            raise NotPending(f"Only a proposed version can be withdrawn; this one is {version.status}.")
        if user.pk != version.proposed_by_id and user.role not in (Role.MARKETING_MANAGER, Role.REVENUE_LEADER):
            raise NotAllowed("A proposal is withdrawn by its proposer, a marketing manager or a revenue leader.")
        version.status = VersionStatus.WITHDRAWN
        version.save(update_fields=["status"])
    return version


def lead_scores_refresh(
    *, lead_ids: list[int] | None = None, cause: str = "touches", as_of: datetime | None = None
) -> tuple[int, list]:
    """Rescores the given leads (every lead when None) under the active version; nothing without one.
    Returns (leads scored, [(lead, score before, score after)] for every score or grade that changed)."""
    version = scoring_version_active()
    if version is None:
        return 0, []
    with transaction.atomic():
        return scores_write(version=version, as_of=as_of or timezone.now(), lead_ids=lead_ids, cause=cause)


def touch_facts(*, lead: Lead) -> list[rules.TouchFact]:
    touches = Touch.objects.filter(lead=lead).select_related("campaign").order_by("occurred_at", "id")
    return [rules.TouchFact(t.id, t.kind, t.occurred_at, t.weight, t.campaign.name) for t in touches]


def lead_score_explain(*, lead: Lead) -> rules.Explanation | None:
    """The lead's stored score, line by line: its version's rules applied as of the moment it was scored."""
    stored = LeadScore.objects.filter(lead=lead).select_related("version").first()
    if stored is None:
        return None
    return rules.explain(
        fit_rules=stored.version.fit_rules,
        engagement_rules=stored.version.engagement_rules,
        lead=lead_snapshot(lead),
        touches=touch_facts(lead=lead),
        as_of=stored.scored_at,
    )


def lead_score_explanation(*, lead: Lead) -> dict | None:
    """The explanation as this reader may see it (`lead` comes from a visibility selector, with full_access):
    a fit rule over sales-only data keeps its points (the score is shared) but not what it tested, for a
    reader who sees the lead's marketing data only. None when the lead has not been scored."""
    explained = lead_score_explain(lead=lead)
    if explained is None:
        return None
    return _shown(lead, explained)


def _shown(lead, explained) -> dict:
    stored = lead.score_detail
    lines = [
        {
            "part": line.part,
            "label": HIDDEN_REASON if not lead.full_access and reveals_sales_data(line.fields) else line.label,
            "points": line.points,
            "touch": line.touch_id,
        }
        for line in explained.lines
    ]
    return {
        "lead": lead.pk,
        "version": stored.version.number,
        "scored_at": stored.scored_at,
        **{name: getattr(explained, name) for name in ("score", "grade", "fit", "engagement", "total")},
        "lines": lines,
    }
