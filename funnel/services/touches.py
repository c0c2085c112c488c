"""Sales touches on a lead: a call report is logged here so it also stops the handoff's first-touch clock."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.choices import InteractionChannel
from crm.models import CallReport
from funnel.services.handoff_open import handoff_first_touch_record
from leads.models import Lead


def call_report_log(
    *, author: User, lead: Lead, occurred_on: date, channel: str, outcome: str, notes: str = ""
) -> CallReport:
    """Records a call report on the lead (and its company); if `author` received the lead in a handoff whose
    first-touch clock still runs, this report is the first touch."""
    errors = {}
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = "A call report describes something that happened: the date cannot be in the future."
    if channel not in InteractionChannel.values:
        errors["channel"] = f"{channel!r} is not a channel; use {', '.join(InteractionChannel.values)}."
    if not outcome.strip():
        errors["outcome"] = "Say what came of it."
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
        )
        handoff_first_touch_record(lead=lead, by=author)
    return report
