"""The shared target's writes: a manager proposes a number for a period (optionally split by team and/or
segment), a marketing and a sales signer commit to it (two different people, as for lead definitions), and the
second signature activates it and supersedes the period's previous number. A proposal is withdrawn, never
edited: a different number is a new proposal."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import Team, User
from crm.choices import Segment
from crm.models.campaigns import MAX_AMOUNT
from funnel.exceptions import NotAllowed, NotPending
from funnel.targets.models import RevenueTarget, TargetSplit
from funnel.targets.periods import target_period
from leads.choices import VersionStatus
from leads.signoff import side_for, sign

PROPOSERS = MANAGER_ROLES | {Role.ADMIN}
EARLIEST = date(2000, 1, 1)
HORIZON_YEARS = 5  # a plan further out is a typo (and 9999's year would end past the calendar)
MAX_SPLITS = 50  # a target shared among more slices than that is read by nobody


@dataclass(frozen=True)
class Split:
    amount: Decimal
    team: Team | None = None
    segment: str = ""


def split_problem(index: int, problem: str) -> ValidationError:
    """A problem of the split at `index`, read "[0]: …" by the API. The index and the plain problem stay apart
    in `params` so a form can show the problem beside its own row."""
    return ValidationError("[%(index)s]: %(problem)s", code="split", params={"index": index, "problem": problem})


def _check_splits(splits: list[Split], amount: Decimal) -> None:
    problems = []
    if len(splits) > MAX_SPLITS:
        problems.append(f"At most {MAX_SPLITS} splits; got {len(splits)}.")
    seen = set()
    for n, split in enumerate(splits[:MAX_SPLITS]):
        key = (split.team.pk if split.team else None, split.segment)
        if key == (None, ""):
            problems.append(split_problem(n, "name a team, a segment or both."))
        elif split.segment and split.segment not in Segment.values:
            problems.append(split_problem(n, f"{split.segment!r} is not a segment ({', '.join(Segment.values)})."))
        elif key in seen:
            problems.append(split_problem(n, "this team and segment is split twice."))
        if not Decimal(0) < split.amount <= MAX_AMOUNT:
            problems.append(split_problem(n, f"the amount must be above 0 and at most {MAX_AMOUNT:,}."))
        seen.add(key)
    total = sum((s.amount for s in splits), Decimal(0))
    if splits and not problems and total != amount:
        problems.append(f"The splits add up to {total:,}, not the target's {amount:,}: they must match exactly.")
    if problems:
        raise ValidationError({"splits": problems})


def _check_target(kind: str, start: date, amount: Decimal, currency: str):
    errors = {}
    period = None
    latest = date(timezone.localdate().year + HORIZON_YEARS + 1, 1, 1)
    if start < EARLIEST:
        errors["period_start"] = f"{start} is before {EARLIEST:%Y}: check the year."
    elif start >= latest:
        errors["period_start"] = f"{start} is more than {HORIZON_YEARS} years ahead: check the year."
    else:
        try:
            period = target_period(kind=kind, start=start)
        except ValueError as exc:
            errors["period_start" if kind in ("month", "quarter", "year") else "period_kind"] = str(exc)
    if not Decimal(0) < amount <= MAX_AMOUNT:
        errors["amount"] = f"The target must be above 0 and at most {MAX_AMOUNT:,}; got {amount}."
    if not (len(currency) == 3 and currency.isascii() and currency.isupper() and currency.isalpha()):
        errors["currency"] = f"{currency!r} is not a three-letter ISO currency code such as USD."
    if errors:
        raise ValidationError(errors)
    return period


def target_propose(
    *,
    period_kind: str,
    period_start: date,
    amount: Decimal,
    currency: str,
    proposed_by: User,
    splits: list[Split] = (),
    note: str = "",
) -> RevenueTarget:
    """A new number for the period, awaiting both sides' signatures; the period's active target (if any) stays
    in force until this one is signed."""
    if not (proposed_by.is_superuser or proposed_by.role in PROPOSERS):
        raise NotAllowed("Sales and marketing managers, revenue leaders and administrators propose the target.")
    period = _check_target(period_kind, period_start, amount, currency)
    splits = list(splits)
    _check_splits(splits, amount)
    with transaction.atomic():
        target = RevenueTarget.objects.create(
            period_kind=period_kind,
            period_start=period.start,
            period_end=period.end,
            amount=amount,
            currency=currency,
            note=note,
            proposed_by=proposed_by,
        )
        TargetSplit.objects.bulk_create(
            TargetSplit(target=target, team=s.team, segment=s.segment, amount=s.amount) for s in splits
        )
    return target


def target_sign_off(*, target_id: int, user: User, side: str | None = None) -> RevenueTarget:
    """Records `user`'s commitment for their side (a marketing manager signs for marketing, a sales manager for
    sales, a revenue leader for the side they name). The second side's signature, by another person, makes the
    target active and supersedes the period's previous active one. Signing one's side again changes nothing."""
    side = side_for(user, side)
    try:
        with transaction.atomic():
            target = RevenueTarget.objects.select_for_update().get(pk=target_id)
            already = target.marketing_approver_id if side == "marketing" else target.sales_approver_id
            if already == user.pk and target.status in (VersionStatus.PROPOSED, VersionStatus.ACTIVE):
                return target
            now = timezone.now()
            if sign(target, side=side, user=user, now=now, what=f"The target for {target}"):
                _activate(target, now)
            target.save()
    except IntegrityError:  # another activation for the same period won the race: the partial index held
        raise NotPending("Another target for this period was activated at the same moment; reload.") from None
    return target


def _activate(target: RevenueTarget, now) -> None:
    RevenueTarget.objects.filter(
        period_kind=target.period_kind, period_start=target.period_start, status=VersionStatus.ACTIVE
    ).update(status=VersionStatus.SUPERSEDED)
    target.status, target.activated_at = VersionStatus.ACTIVE, now


def _may_withdraw(user: User, target: RevenueTarget) -> bool:
    return user.pk == target.proposed_by_id or user.is_superuser or user.role in (Role.REVENUE_LEADER, Role.ADMIN)


def target_withdraw(*, target_id: int, user: User) -> RevenueTarget:
    """Takes back a proposal nobody has finished signing; an active target is replaced by signing a new one."""
    with transaction.atomic():
        target = RevenueTarget.objects.select_for_update().get(pk=target_id)
        if target.status != VersionStatus.PROPOSED:
            raise NotPending(f"Only a proposed target can be withdrawn; this one is {target.status}.")
        if not _may_withdraw(user, target):
            raise NotAllowed("A proposal is withdrawn by its proposer, a revenue leader or an administrator.")
        target.status = VersionStatus.WITHDRAWN
        target.save(update_fields=["status"])
    return target
