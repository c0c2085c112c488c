"""Key-account reviews and the action items raised at them (and at joint meetings).

The rule of engagement: a review of a key account whose tier is in `REVIEW_NEEDS_MARKETER_TIERS` is not held
without at least one active person from marketing at the table. A review and its action items are written
together or not at all. An action item is open until its owner, its creator or a manager closes it as done
or dropped; closing it again the same way changes nothing, the other way is a conflict (reopen it first).
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.choices import MANAGER_ROLES, Function, Role
from accounts.models import User
from config.errors import NotPending
from config.validation import MAX_UTC_OFFSET, NUL
from crm.choices import REVIEW_NEEDS_MARKETER_TIERS, ActionStatus, KeyAccountTier
from crm.exceptions import NotAllowed
from crm.models import AccountReview, ActionItem, Company

# Who holds a review: managers on both sides, the revenue leader, an administrator — and the account's owner.
REVIEW_HOLDERS = MANAGER_ROLES | {Role.ADMIN}
# Who raises action items outside a review (at a joint meeting), and closes anyone's.
ACTION_OVERSEERS = MANAGER_ROLES | {Role.ADMIN}
MARKETING_ROLES = frozenset({Role.MARKETER, Role.MARKETING_MANAGER})
EARLIEST = date(2000, 1, 1)  # before the product existed: a typo, not a review
MAX_ATTENDEES = 50
MAX_ACTION_ITEMS = 50
MAX_TITLE = 300
CLOSED = (ActionStatus.DONE, ActionStatus.DROPPED)


@dataclass(frozen=True)
class ActionDraft:
    """An action item to create: what, who owes it, by when."""

    title: str
    owner: User
    due_on: date | None = None


def today_anywhere() -> date:
    """The latest date it is somewhere on Earth now: a review "today" in Auckland is not in the future."""
    return (timezone.now() + MAX_UTC_OFFSET).date()


def may_hold_review(user: User, company: Company) -> bool:
    if user.is_superuser or user.role in REVIEW_HOLDERS:
        return True
    return company.owner_id is not None and company.owner_id == user.pk


def may_close(user: User, item: ActionItem) -> bool:
    if user.is_superuser or user.role in ACTION_OVERSEERS:
        return True
    return user.pk in (item.owner_id, item.created_by_id)


def is_marketer(user: User) -> bool:
    """Someone from marketing: in a marketing team, or holding a marketing role."""
    return user.role in MARKETING_ROLES or user.function == Function.MARKETING


def _person_problem(user: User) -> str | None:
    if not user.is_active:
        return f"{user.get_username()} is no longer active."
    if user.role == Role.INTEGRATION:
        return f"{user.get_username()} is an integration, not a person."
    return None


def _text_problem(value: str, limit: int) -> str | None:
    if NUL in value:
        return "Contains a NUL character (\\u0000), which is not allowed."
    if len(value) > limit:
        return f"At most {limit:,} characters; this is {len(value):,}."
    return None


def _check_review(company: Company, held_on: date, attendees: list[User], notes: str, decisions: str) -> None:
    errors: dict[str, str] = {}
    if not company.is_key_account:
        errors["company"] = f"{company.name} is not a key account: only key accounts are reviewed."
    if held_on > today_anywhere():
        errors["held_on"] = f"A review is recorded once held: {held_on} is in the future."
    elif held_on < EARLIEST:
        errors["held_on"] = f"{held_on} is before {EARLIEST:%Y}: check the year."
    problems = [problem for user in attendees if (problem := _person_problem(user))]
    if not attendees:
        errors["attendees"] = "Name who attended the review."
    elif len(attendees) > MAX_ATTENDEES:
        errors["attendees"] = f"At most {MAX_ATTENDEES} attendees."
    elif problems:
        errors["attendees"] = " ".join(problems)
    elif company.key_account_tier in REVIEW_NEEDS_MARKETER_TIERS and not any(map(is_marketer, attendees)):
        tier = KeyAccountTier(company.key_account_tier).label
        errors["attendees"] = (
            f"Rule of engagement: a review of a {tier} key account needs at least one marketer among its "
            "attendees. Invite someone from marketing."
        )
    for field, value, limit in (("notes", notes, 20000), ("decisions", decisions, 5000)):
        if problem := _text_problem(value, limit):
            errors[field] = problem
    if errors:
        raise ValidationError(errors)


def _draft_problems(draft: ActionDraft, raised_on: date) -> dict[str, str]:
    """What is wrong with an action item, by field."""
    problems: dict[str, str] = {}
    title = draft.title.strip()
    if not title:
        problems["title"] = "Say what is to be done."
    elif problem := _text_problem(title, MAX_TITLE):
        problems["title"] = problem
    if problem := _person_problem(draft.owner):
        problems["owner"] = problem
    if draft.due_on is not None and draft.due_on < raised_on:
        problems["due_on"] = f"Due {draft.due_on}, before it was raised ({raised_on})."
    return problems


def _check_drafts(drafts: list[ActionDraft], raised_on: date) -> None:
    if len(drafts) > MAX_ACTION_ITEMS:
        raise ValidationError({"action_items": f"At most {MAX_ACTION_ITEMS} action items at a time."})
    problems = [
        f"Item {n}: {' '.join(found.values())}"
        for n, draft in enumerate(drafts, 1)
        if (found := _draft_problems(draft, raised_on))
    ]
    if problems:
        raise ValidationError({"action_items": problems})


def review_hold(
    *,
    company: Company,
    held_on: date,
    attendees: list[User],
    notes: str = "",
    decisions: str = "",
    action_items: list[ActionDraft] = (),
    by: User,
) -> AccountReview:
    """Records a review of a key account held on `held_on`, with its attendees and action items, all at once.

    NotAllowed unless `by` holds reviews (managers, the revenue leader, an administrator) or owns the account;
    ValidationError naming the field for a company that is not a key account, a date in the future, an
    inactive attendee, no marketer at a top-tier review (the rule of engagement), or a bad action item."""
    attendees = list(dict.fromkeys(attendees))
    drafts = list(action_items)
    with transaction.atomic():
        # Locked so the key-account flag and tier checked here are the ones the review is held under.
        company = Company.objects.select_for_update().get(pk=company.pk)
        if not may_hold_review(by, company):
            raise NotAllowed("Key-account reviews are held by managers, the revenue leader, and the account's owner.")
        _check_review(company, held_on, attendees, notes, decisions)
        _check_drafts(drafts, held_on)
        review = AccountReview.objects.create(
            company=company, held_on=held_on, notes=notes.strip(), decisions=decisions.strip(), created_by=by
        )
        review.attendees.set(attendees)
        ActionItem.objects.bulk_create(_item(draft, by, review) for draft in drafts)
    return review


def _item(draft: ActionDraft, by: User, review: AccountReview | None) -> ActionItem:
    return ActionItem(title=draft.title.strip(), owner=draft.owner, due_on=draft.due_on, review=review, created_by=by)


def action_item_create(
    *,
    title: str,
    owner: User,
    due_on: date | None = None,
    by: User,
    review: AccountReview | None = None,
    raised_on: date | None = None,
) -> ActionItem:
    """Adds an action item to a review (its holders and attendees may), or — with no review — one a joint
    meeting raises (managers, the revenue leader and administrators may; the caller links it to the meeting
    in the same transaction and passes the meeting's date as `raised_on`). The due date is not before the
    review or meeting (by default: not before today)."""
    if review is not None:
        allowed = may_hold_review(by, review.company) or review.attendees.filter(pk=by.pk).exists()
        if not allowed:
            raise NotAllowed("Action items are added to a review by the people who may hold it, or attended it.")
        raised_on = review.held_on
    elif not (by.is_superuser or by.role in ACTION_OVERSEERS):
        raise NotAllowed("Managers, the revenue leader and administrators raise action items at a joint meeting.")
    draft = ActionDraft(title=title, owner=owner, due_on=due_on)
    problems = _draft_problems(draft, raised_on or _earliest_today())
    if problems:
        raise ValidationError(problems)
    item = _item(draft, by, review)
    item.save()
    return item


def _earliest_today() -> date:
    """The earliest date it is anywhere now: a due date of "today" typed at 23:00 in Hawaii is not past."""
    return (timezone.now() - MAX_UTC_OFFSET).date()


def action_item_close(*, item_id: int, status: str, by: User) -> ActionItem:
    """Closes the item as done or dropped. The same close again changes nothing; the other one is a conflict
    (NotPending) — reopen the item first."""
    if status not in CLOSED:
        raise ValidationError({"status": f"Close an action item as {' or '.join(CLOSED)}; got {status!r}."})
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=item_id)
        if not may_close(by, item):
            raise NotAllowed("An action item is closed by its owner, whoever raised it, or a manager.")
        if item.status == status:
            return item
        if item.status != ActionStatus.OPEN:
            raise NotPending(
                f"This action item is already {item.get_status_display().lower()}; reopen it first.",
                action_status=item.status,
            )
        item.status, item.closed_at, item.closed_by = status, timezone.now(), by
        item.save(update_fields=["status", "closed_at", "closed_by"])
    return item


def action_item_reopen(*, item_id: int, by: User) -> ActionItem:
    """Opens a closed item again (an open one stays as it is)."""
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=item_id)
        if not may_close(by, item):
            raise NotAllowed("An action item is reopened by its owner, whoever raised it, or a manager.")
        if item.status != ActionStatus.OPEN:
            item.status, item.closed_at, item.closed_by = ActionStatus.OPEN, None, None
            item.save(update_fields=["status", "closed_at", "closed_by"])
    return item
