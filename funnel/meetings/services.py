"""The joint meeting's writes: scheduling a meeting, (re)generating its agenda from the data, and the action
items it raises (crm.ActionItems, linked through JointMeeting.action_items and carried to later agendas until
done)."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from crm.models import ActionItem
from crm.models.campaigns import MAX_AMOUNT
from crm.services.reviews import EARLIEST, action_item_create
from funnel.exceptions import NotAllowed
from funnel.meetings.selectors import agenda_rows, may_run_meetings
from funnel.models import AgendaItem, JointMeeting

MAX_AHEAD = timedelta(days=366)  # a meeting is planned at most a year ahead


def _refuse_unless_runner(user: User) -> None:
    if not may_run_meetings(user):
        raise NotAllowed("Sales and marketing managers, the revenue leader and administrators run the joint meeting.")


def _check_meeting(held_on: date, opportunity_threshold: Decimal) -> None:
    errors = {}
    if held_on < EARLIEST:
        errors["held_on"] = f"{held_on} is before {EARLIEST:%Y}: check the year."
    elif held_on > timezone.localdate() + MAX_AHEAD:
        errors["held_on"] = f"{held_on} is more than a year ahead: plan meetings at most a year out."
    elif JointMeeting.objects.filter(held_on=held_on).exists():
        errors["held_on"] = f"There is already a joint meeting on {held_on}."
    if not Decimal(0) <= opportunity_threshold <= MAX_AMOUNT:
        errors["opportunity_threshold"] = f"The threshold runs from 0 to {MAX_AMOUNT:,}; got {opportunity_threshold}."
    if errors:
        raise ValidationError(errors)


def meeting_create(*, held_on: date, opportunity_threshold: Decimal, by: User) -> JointMeeting:
    """Schedules the meeting on `held_on` (one a day) and generates its agenda, in one transaction."""
    _refuse_unless_runner(by)
    _check_meeting(held_on, opportunity_threshold)
    try:
        with transaction.atomic():
            meeting = JointMeeting.objects.create(
                held_on=held_on, opportunity_threshold=opportunity_threshold, created_by=by
            )
            meeting_agenda_generate(meeting=meeting, by=by)
    except IntegrityError:  # another request scheduled the same day between the check and the insert
        raise ValidationError({"held_on": f"There is already a joint meeting on {held_on}."}) from None
    return meeting


def meeting_agenda_generate(*, meeting: JointMeeting, by: User | None = None) -> list[AgendaItem]:
    """Replaces the meeting's agenda with one generated from the data now (see funnel.meetings.selectors for
    what goes on it and in which order). Running it twice on unchanged data gives the same agenda. `by` is
    None for the system (a scheduled job); a person must run meetings."""
    if by is not None:
        _refuse_unless_runner(by)
    with transaction.atomic():
        # Locked: two regenerations at once queue instead of colliding on the agenda's positions.
        meeting = JointMeeting.objects.select_for_update().get(pk=meeting.pk)
        rows = agenda_rows(meeting=meeting)
        AgendaItem.objects.filter(meeting=meeting).delete()
        items = AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, position=position, **row) for position, row in enumerate(rows, 1)
        )
        meeting.agenda_generated_at = timezone.now()
        meeting.save(update_fields=["agenda_generated_at"])
    return items


def meeting_action_item_add(
    *, meeting: JointMeeting, title: str, owner: User, due_on: date | None = None, by: User
) -> ActionItem:
    """Raises an action item at the meeting: it is on the meeting's list, and on every later agenda until it
    is done or dropped."""
    _refuse_unless_runner(by)
    with transaction.atomic():
        item = action_item_create(title=title, owner=owner, due_on=due_on, by=by, raised_on=meeting.held_on)
        meeting.action_items.add(item)
    return item
