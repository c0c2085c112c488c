"""Sales touches on a lead: a call report is logged here so it also stops the handoff's first-touch clock."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.validation import MAX_UTC_OFFSET
from crm.choices import InteractionChannel
from crm.models import CallReport
from funnel.services.handoff_open import handoff_first_touch_record
from leads.models import Lead

CALL_REPORT_YEARS_BACK = 10  # older history is imported as notes, not as call reports that feed insight


def years_from(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def call_report_log(
    *,
    author: User,
    lead: Lead,
    occurred_on: date,
    channel: str,
    outcome: str,
    notes: str = "",
    next_step: str = "",
    next_step_on: date | None = None,
) -> CallReport:
    """Records a call report on the lead (and its company); if `author` received the lead in a handoff whose
    first-touch clock still runs, this report is the first touch."""
    errors = {}
    # "Today" somewhere on Earth: a rep in Auckland logs this morning's call before UTC has reached that date.
    latest = (timezone.now() + MAX_UTC_OFFSET).date()
    earliest = years_from(latest, -CALL_REPORT_YEARS_BACK)
    if occurred_on > latest:
        errors["occurred_on"] = "A call report describes something that happened: the date cannot be in the future."
    elif occurred_on < earliest:
        errors["occurred_on"] = f"A call report cannot be dated before {earliest.isoformat()}."
    if channel not in InteractionChannel.values:
        errors["channel"] = f"{channel!r} is not a channel; use {', '.join(InteractionChannel.values)}."
    if not outcome.strip():
        errors["outcome"] = "Say what came of it."
    if next_step_on is not None and not occurred_on <= next_step_on <= years_from(occurred_on, 2):
        errors["next_step_on"] = "The next step falls on or after the call, within two years."
    if next_step_on is not None and not next_step.strip():
        errors["next_step"] = "Say what the next step is."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report = CallReport.objects.create(
            lead=lead,
            company_id=lead.company_id,
            author=author,
            occurred_on=occurred_on,
            channel=channel,
            outcome=outcome.strip(),
            notes=notes,
            next_step=next_step.strip(),
            next_step_on=next_step_on,
            lead_stage=lead.stage,
            segment=lead.segment,
            campaign_id=lead.source_campaign_id,
        )
        handoff_first_touch_record(lead=lead, by=author)
    return report
