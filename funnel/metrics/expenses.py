"""Sales expense entries: what a sales team spent (salaries, travel, tools), recorded by its manager, a revenue
leader or an administrator. They feed cost per lead, MQL and customer and sales expense to sales
(funnel.metrics.families.money). A correction is a deletion and a new entry, as with campaign spend."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.choices import Function, Role
from accounts.models import Team, User
from accounts.selectors import managed_team_sql
from config.errors import NotAllowed
from config.validation import MAX_UTC_OFFSET, NUL
from crm.models.campaigns import MAX_AMOUNT
from funnel.metrics.invalidation import days_changed
from funnel.metrics.models import SalesExpense

RECORDERS = frozenset({Role.SALES_MANAGER, Role.REVENUE_LEADER, Role.ADMIN})
# Books older than this are not a CRM's business; a year like 0001 is a typo, not an expense.
EARLIEST = date(2000, 1, 1)
NOTE_LENGTH, CATEGORY_LENGTH = 300, 40


def expense_teams(*, user: User) -> QuerySet[Team]:
    """The sales teams `user` records expenses for: every one for revenue leaders and administrators, the
    teams a sales manager (or anyone reporting to them) manages otherwise; none for anyone else."""
    teams = Team.objects.filter(function=Function.SALES)
    if user.is_administrator or user.role == Role.REVENUE_LEADER:
        return teams
    if user.role == Role.SALES_MANAGER:
        return teams.filter(id__in=managed_team_sql(user=user))
    return teams.none()


def sales_expense_list(
    *, team_id: int | None = None, since: date | None = None, until: date | None = None
) -> QuerySet[SalesExpense]:
    """Entries newest first, optionally one team's and dated from `since` to `until` (both inclusive)."""
    expenses = SalesExpense.objects.select_related("team", "recorded_by")
    if team_id is not None:
        expenses = expenses.filter(team_id=team_id)
    if since is not None:
        expenses = expenses.filter(spent_on__gte=since)
    if until is not None:
        expenses = expenses.filter(spent_on__lte=until)
    return expenses


def _problems(*, spent_on: date, amount: Decimal, currency: str, category: str, note: str) -> dict[str, str]:
    errors = {}
    if not Decimal(0) < amount <= MAX_AMOUNT:
        errors["amount"] = f"An expense is more than 0 and at most {MAX_AMOUNT:,}; got {amount}."
    today_somewhere = (timezone.now() + MAX_UTC_OFFSET).date()
    if spent_on > today_somewhere:
        errors["spent_on"] = "An expense records what was paid: the date cannot be in the future."
    elif spent_on < EARLIEST:
        errors["spent_on"] = f"Expenses start from {EARLIEST:%Y-%m-%d}; {spent_on} looks like a typo."
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
        errors["currency"] = "A currency is a three-letter ISO code such as USD or EUR."
    for field, text, limit in (("category", category, CATEGORY_LENGTH), ("note", note, NOTE_LENGTH)):
        if NUL in text:
            errors[field] = "The text contains a NUL character, which is not allowed."
        elif len(text) > limit:
            errors[field] = f"At most {limit} characters; got {len(text)}."
    return errors


def sales_expense_record(
    *,
    user: User,
    team_id: int,
    spent_on: date,
    amount: Decimal,
    currency: str = "USD",
    category: str = "",
    note: str = "",
) -> SalesExpense:
    """Adds one expense line for a sales team. NotAllowed unless `user` records for that team (see
    `expense_teams`); ValidationError naming the field for an amount out of (0, 10^11], a date in the future or
    before 2000, a currency that is not an ISO code, or text too long or holding a NUL."""
    if user.role not in RECORDERS and not user.is_superuser:
        raise NotAllowed("Sales expenses are recorded by sales managers, revenue leaders and administrators.")
    if not Team.objects.filter(pk=team_id, function=Function.SALES).exists():
        raise ValidationError({"team": f"There is no sales team {team_id}."})
    if not expense_teams(user=user).filter(pk=team_id).exists():
        raise NotAllowed("A sales manager records expenses for the sales teams they manage.")
    category, note = category.strip(), note.strip()
    errors = _problems(spent_on=spent_on, amount=amount, currency=currency, category=category, note=note)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        days_changed(moments=[spent_on], cause="sales expense")
        return SalesExpense.objects.create(
            team_id=team_id,
            spent_on=spent_on,
            amount=amount,
            currency=currency,
            category=category,
            note=note,
            recorded_by=user,
        )


def sales_expense_delete(*, user: User, expense_id: int) -> None:
    """Removes an entry: whoever may record for its team may remove it (SalesExpense.DoesNotExist if gone)."""
    with transaction.atomic():
        expense = SalesExpense.objects.select_for_update().get(pk=expense_id)
        if not expense_teams(user=user).filter(pk=expense.team_id).exists():
            raise NotAllowed("A sales expense is removed by a manager of its team, a revenue leader or an admin.")
        expense.delete()
        days_changed(moments=[expense.spent_on], cause="sales expense removed")
