"""Writes of the diagnostic: a person's answers, and an assessment (on demand, or the monthly job's).

Whose side an answer counts for: a member of a marketing or a sales team answers for their team's function,
always. Someone whose team is shared (the SDRs, the revenue leader) or who has no team picks the side they answer
for; nobody picks a side other than their own team's. Integration accounts do not answer.
"""

from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import User
from config.errors import NotAllowed
from funnel.diagnostic import evidence, levels, questionnaire, selectors, thresholds
from funnel.diagnostic.choices import Respondent, Trigger
from funnel.diagnostic.models import Assessment, DiagnosticResponse

ASSESSORS = MANAGER_ROLES | {Role.ADMIN}


def may_assess(user: User) -> bool:
    return user.is_superuser or user.role in ASSESSORS


def respondent_function(*, user: User, chosen: str | None) -> str:
    """The side `user` answers for (see the module docstring); ValidationError on `function` otherwise."""
    own = user.function if user.function in Respondent.values else None
    if chosen not in (None, "") and chosen not in Respondent.values:
        raise ValidationError({"function": [f"{str(chosen)[:20]!r} is not a side: marketing or sales."]})
    if own is not None:
        if chosen and chosen != own:
            raise ValidationError({"function": [f"You answer for your team's side, {own}, not {chosen}."]})
        return own
    if not chosen:
        raise ValidationError({"function": ["Your team is not marketing or sales: say which side you answer for."]})
    return chosen


def response_submit(
    *, user: User, answers: object, function: str | None = None, now: datetime | None = None
) -> DiagnosticResponse:
    """Records `user`'s ratings of all twenty statements (ValidationError naming each bad one). Submitting
    again adds a newer answer; an assessment counts only the newest in its window."""
    if user.role == Role.INTEGRATION:
        raise NotAllowed("Integration accounts do not answer the questionnaire; people do.")
    checked = questionnaire.answers_check(answers)
    side = respondent_function(user=user, chosen=function)
    return DiagnosticResponse.objects.create(
        respondent=user,
        function=side,
        answers={str(n): v for n, v in checked.items()},
        total=sum(checked.values()),
        submitted_at=now or timezone.now(),
    )


def _fields(at: datetime) -> dict:
    t = thresholds.current()
    summary = selectors.summary_get(at=at, window_days=t.response_window_days)
    items = evidence.evidence_collect(at=at, thresholds=t)
    by_evidence = levels.evidence_level(items)
    level = levels.level_combine(summary.level, by_evidence)
    (m_mean, m_count), (s_mean, s_count) = (summary.by_function[f] for f in (Respondent.MARKETING, Respondent.SALES))
    return {
        "computed_at": at,
        "level": level,
        "questionnaire_level": summary.level or "",
        "evidence_level": by_evidence,
        "respondents": summary.respondents,
        "mean_total": summary.mean_total,
        "marketing_mean": m_mean,
        "marketing_respondents": m_count,
        "sales_mean": s_mean,
        "sales_respondents": s_count,
        "gap": summary.gap,
        "groups": summary.groups,
        "response_ids": summary.response_ids,
        "evidence": [item.as_dict() for item in items],
        "next_steps": levels.next_steps(
            level=level, questionnaire=summary.level, items=items, groups=summary.groups["all"]
        ),
        "thresholds": asdict(t),
    }


def assessment_create(*, user: User | None, now: datetime | None = None) -> Assessment:
    """Assesses now, on demand; managers and administrators only (the page and the API offer it to them)."""
    if user is not None and not may_assess(user):
        raise NotAllowed("Only managers and administrators run an assessment; everyone reads them.")
    return Assessment.objects.create(trigger=Trigger.ON_DEMAND, requested_by=user, **_fields(now or timezone.now()))


def assessment_monthly_run(*, now: datetime | None = None) -> Assessment:
    """The month's scheduled assessment, once: a second run in the same month returns the first one's row."""
    at = now or timezone.now()
    month = timezone.localtime(at).date().replace(day=1)
    existing = Assessment.objects.filter(trigger=Trigger.SCHEDULED, month=month).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Assessment.objects.create(trigger=Trigger.SCHEDULED, month=month, **_fields(at))
    except IntegrityError:  # a concurrent run wrote it first: the unique key keeps one per month
        return Assessment.objects.get(trigger=Trigger.SCHEDULED, month=month)


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
