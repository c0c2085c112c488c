"""Call reports: what a rep heard on a call, visit, video, email or event, in the typed fields marketing reads
(needs, objections, competitors, product feedback, products — terms of the managed taxonomies — interest and
sentiment). Logged on a lead (and its company) or on a company alone; on a lead it stops the first-touch clock
of the author's open handoff and counts for `call_report_within_days`."""

from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.choices import Function
from accounts.models import User
from config.validation import MAX_UTC_OFFSET
from crm.choices import InteractionChannel, InterestLevel, Sentiment, TagKind
from crm.models import CallReport, CallReportTag, Company, Contact, Tag
from crm.services.taxonomy import tag_resolve
from funnel.services.handoff_open import handoff_first_touch_record
from leads.models import Lead

CALL_REPORT_YEARS_BACK = 10  # older history is imported as notes, not as call reports that feed insight
# The westernmost zones (UTC-12) are the last to leave a date: before their today, a day is past everywhere.
MIN_UTC_OFFSET = timedelta(hours=12)
MAX_LINE = CallReport._meta.get_field("outcome").max_length
MAX_NOTES = CallReport._meta.get_field("notes").max_length
MAX_PEOPLE = 50  # contacts met, or marketers, on one report
# The report's tag fields and the taxonomy each chooses from.
TAG_FIELDS = {
    "needs": TagKind.NEED,
    "objections": TagKind.OBJECTION,
    "competitors": TagKind.COMPETITOR,
    "feedback": TagKind.FEEDBACK,
    "products": TagKind.PRODUCT,
}


def years_from(day: date, years: int) -> date:
    """The same day `years` later (or earlier); 29 February becomes 28 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _date_problems(occurred_on: date, next_step: str, next_step_on: date | None) -> dict[str, str]:
    errors = {}
    now = timezone.now()
    # "Today" somewhere on Earth: a rep in Auckland logs this morning's call before UTC has reached that date.
    latest, earliest_today = (now + MAX_UTC_OFFSET).date(), (now - MIN_UTC_OFFSET).date()
    earliest = years_from(latest, -CALL_REPORT_YEARS_BACK)
    if occurred_on > latest:
        errors["occurred_on"] = "A call report describes something that happened: the date cannot be in the future."
    elif occurred_on < earliest:
        errors["occurred_on"] = f"A call report cannot be dated before {earliest.isoformat()}."
    if next_step_on is not None:
        if next_step_on < earliest_today:
            errors["next_step_on"] = (
                f"The next step is due {next_step_on.isoformat()}, a day already past: give today or a later date."
            )
        elif not occurred_on <= next_step_on <= years_from(occurred_on, 2):
            errors["next_step_on"] = "The next step falls on or after the call, within two years."
        if not next_step.strip():
            errors["next_step"] = "Say what the next step is."
    return errors


def _subject(lead: Lead | None, company: Company | None) -> tuple[Company | None, dict[str, str]]:
    if lead is None and company is None:
        return None, {"lead": "Say which lead or company the report is about."}
    if lead is not None and lead.company_id and company is not None and company.pk != lead.company_id:
        return None, {"company": f"The lead works at company {lead.company_id}, not {company.pk}: leave it out."}
    return (lead.company if lead is not None and lead.company_id else company), {}


def _contacts(ids: Sequence[int], company: Company | None) -> tuple[list[Contact], str | None]:
    if not ids:
        return [], None
    if len(ids) > MAX_PEOPLE:
        return [], f"At most {MAX_PEOPLE} contacts on one report."
    if company is None:
        return [], "The report has no company, so it has no contacts to name."
    found = {c.pk: c for c in Contact.objects.filter(pk__in=ids, company=company)}
    strangers = [str(i) for i in dict.fromkeys(ids) if i not in found]
    if strangers:
        return [], f"Not contacts of {company.name}: {', '.join(strangers[:10])}. Name the people of its company."
    return list(found.values()), None


def _marketers(ids: Sequence[int]) -> tuple[list[User], str | None]:
    if not ids:
        return [], None
    if len(ids) > MAX_PEOPLE:
        return [], f"At most {MAX_PEOPLE} marketers on one report."
    found = {
        u.pk: u for u in User.objects.filter(pk__in=ids, is_active=True, team__function=Function.MARKETING).only("id")
    }
    wrong = [str(i) for i in dict.fromkeys(ids) if i not in found]
    if wrong:
        return [], f"Not active marketing people: {', '.join(wrong[:10])}. Name the marketers who took part."
    return list(found.values()), None


def _text_problems(notes: str, next_step: str) -> dict[str, str]:
    errors = {}
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"At most {MAX_NOTES} characters."
    if len(next_step.strip()) > MAX_LINE:
        errors["next_step"] = f"At most {MAX_LINE} characters."
    return errors


def _choice_problems(channel: str, outcome: str, interest_level: str, sentiment: str) -> dict[str, str]:
    errors = {}
    if channel not in InteractionChannel.values:
        errors["channel"] = f"{channel!r} is not a channel; use {', '.join(InteractionChannel.values)}."
    if not outcome.strip():
        errors["outcome"] = "Say what came of it."
    elif len(outcome.strip()) > MAX_LINE:
        errors["outcome"] = f"At most {MAX_LINE} characters: the notes take the rest."
    if interest_level and interest_level not in InterestLevel.values:
        errors["interest_level"] = f"Interest is one of {', '.join(InterestLevel.values)}."
    if sentiment and sentiment not in Sentiment.values:
        errors["sentiment"] = f"Sentiment is one of {', '.join(Sentiment.values)}."
    return errors


def _tags(values_by_field: dict[str, Sequence[str | int]], errors: dict) -> list[Tag]:
    tags: list[Tag] = []
    for field, kind in TAG_FIELDS.items():
        values = values_by_field.get(field) or ()
        if not values:
            continue
        try:
            tags.extend(tag_resolve(kind=kind, values=list(values), field=field))
        except ValidationError as exc:
            errors.update({key: " ".join(messages) for key, messages in exc.message_dict.items()})
    return tags


def call_report_log(
    *,
    author: User,
    lead: Lead | None = None,
    company: Company | None = None,
    occurred_on: date,
    channel: str,
    outcome: str,
    notes: str = "",
    next_step: str = "",
    next_step_on: date | None = None,
    contacts: Sequence[int] = (),
    marketers: Sequence[int] = (),
    interest_level: str = "",
    sentiment: str = "",
    **tag_values: Sequence[str | int],
) -> CallReport:
    """Records a call report on `lead` (and its company) or on `company` alone, with the contacts met (ids of
    the company's contacts), the marketers who took part (ids of active marketing people) and, per field of
    TAG_FIELDS, the terms heard (slugs or ids). The caller has checked the author may see the lead in full.

    Every problem is reported at once, by field (ValidationError); nothing is written unless all is well. If
    `author` received the lead in a handoff whose first-touch clock still runs, this report is the first touch.
    """
    unknown = set(tag_values) - set(TAG_FIELDS)
    if unknown:
        raise TypeError(f"call_report_log got {', '.join(sorted(unknown))}")
    company, errors = _subject(lead, company)
    errors.update(_choice_problems(channel, outcome, interest_level, sentiment))
    errors.update(_text_problems(notes, next_step))
    errors.update(_date_problems(occurred_on, next_step, next_step_on))
    met, problem = _contacts(contacts, company)
    if problem:
        errors["contacts"] = problem
    joined, problem = _marketers(marketers)
    if problem:
        errors["marketers"] = problem
    with transaction.atomic():
        tags = _tags(tag_values, errors)
        if errors:
            raise ValidationError(errors)
        report = CallReport.objects.create(
            lead=lead,
            company=company,
            author=author,
            occurred_on=occurred_on,
            channel=channel,
            outcome=outcome.strip(),
            notes=notes,
            next_step=next_step.strip(),
            next_step_on=next_step_on,
            interest_level=interest_level,
            sentiment=sentiment,
            lead_stage=lead.stage if lead is not None else "",
            # A lead without a segment is sliced by its company's, as the directory reads it.
            segment=(lead.segment if lead is not None else "") or (company.segment if company is not None else ""),
            campaign_id=lead.source_campaign_id if lead is not None else None,
        )
        report.contacts.set(met)
        report.marketers.set(joined)
        CallReportTag.objects.bulk_create(CallReportTag(report=report, tag=tag) for tag in tags)
        if lead is not None:
            handoff_first_touch_record(lead=lead, by=author)
    return report
