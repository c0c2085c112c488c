"""A routing pool's people as their manager runs it: weights, caps, pauses and working hours (set here, by
whom the rules below allow), each person's state now, and their share of the pool's leads against their
weight over a period.

Who sets what: a person's manager (their own manager up the reporting line, or the manager of their team or
of a team above it), revenue leaders and administrators set everything; a person sets their own working
hours and pauses themselves, but never their own weight or cap."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone

from accounts.choices import Role
from accounts.models import MAX_ROUTING_WEIGHT, Team, User
from accounts.selectors import managed_people_sql
from config.errors import NotAllowed
from funnel.models import Transition
from funnel.routing import availability
from funnel.routing.engine import SKIP_WORDS, Person
from funnel.routing.services import ROUTABLE_ROLES
from leads.criteria import shown

MAX_CAP = 10_000
MAX_PERIOD_DAYS = 366
DEFAULT_DAYS = 30
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
MANAGED = frozenset({"routing_weight", "routing_cap"})
OWN = frozenset({"routing_paused", "time_zone", "work_days", "work_starts", "work_ends"})
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


def _is_leader(actor: User) -> bool:
    return actor.is_administrator or actor.role == Role.REVENUE_LEADER


def manageable_ids(*, actor: User, user_ids: list[int]) -> set[int]:
    """Which of `user_ids` `actor` sets the weight, cap and pause of (and, for others, the working hours): whom
    a manager answers for, as out-of-office has it (funnel.routing.absences); never themselves. One query."""
    if _is_leader(actor):
        return set(user_ids) - {actor.pk}
    people = User.objects.filter(pk__in=user_ids).filter(pk__in=managed_people_sql(user=actor)).exclude(pk=actor.pk)
    return set(people.values_list("pk", flat=True))


def _check_allowed(actor: User, user: User, fields: set[str]) -> None:
    if actor.pk == user.pk and fields & MANAGED:
        raise NotAllowed("You may not set your own routing weight or cap; your manager does.")
    if actor.pk == user.pk:
        return  # only their own hours and pause are left
    if user.pk not in manageable_ids(actor=actor, user_ids=[user.pk]):
        raise NotAllowed(
            f"Only {user.get_username()}'s manager, a revenue leader or an administrator sets their routing."
        )


def _weight(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise _refuse("routing_weight", f"{shown(value)} is not a number.")
    try:
        weight = Decimal(str(value).strip()) if len(str(value)) <= 40 else Decimal("NaN")
    except InvalidOperation:
        weight = Decimal("NaN")
    if not weight.is_finite():
        raise _refuse("routing_weight", f"{shown(value)} is not a number.")
    if weight <= 0:
        raise _refuse("routing_weight", "The weight must be above 0; pause the person to give them no leads.")
    if weight > MAX_ROUTING_WEIGHT:
        raise _refuse("routing_weight", f"The weight may be at most {MAX_ROUTING_WEIGHT}.")
    if weight != weight.quantize(Decimal("0.01")):
        raise _refuse("routing_weight", "The weight has at most two decimals, e.g. 0.5 or 1.25.")
    return weight.quantize(Decimal("0.01"))


def _cap(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse("routing_cap", f"{shown(value)} is not a whole number; leave it empty for no cap.")
    if value < 0:
        raise _refuse("routing_cap", "The cap may not be below 0; leave it empty for no cap.")
    if value > MAX_CAP:
        raise _refuse("routing_cap", f"The cap may be at most {MAX_CAP:,}; leave it empty for no cap.")
    return value


def _time_zone(value: object) -> str:
    if not isinstance(value, str):
        raise _refuse("time_zone", f"{shown(value)} is not a time zone name.")
    if value == "":
        return value
    try:
        known = len(value) <= 64 and bool(ZoneInfo(value))
    except (ZoneInfoNotFoundError, ValueError):
        known = False
    if not known:
        raise _refuse("time_zone", f"{shown(value)} is not a known time zone (e.g. Europe/Berlin).")
    return value


def _work_days(value: object) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not value or len(value) > 7:
        raise _refuse("work_days", "List 1 to 7 days (0 = Monday … 6 = Sunday), or none for the team's days.")
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise _refuse("work_days", f"{shown(day)} is not a day; days run from 0 (Monday) to 6 (Sunday).")
    if len(set(value)) != len(value):
        repeated = next(day for day in value if list(value).count(day) > 1)
        raise _refuse("work_days", f"{DAY_NAMES[repeated]} ({repeated}) is listed twice.")
    return sorted(value)


def _clock(field: str, value: object) -> time | None:
    if value is None or isinstance(value, time):
        return value
    raise _refuse(field, f"{shown(value)} is not a time of day.")


def _check_hours(user: User, values: dict) -> None:
    """The hours the person ends up with, each bound theirs or else their team's, must end after they start."""
    starts = values.get("work_starts", user.work_starts)
    ends = values.get("work_ends", user.work_ends)
    team = user.team
    starts_own, ends_own = starts is not None, ends is not None
    starts = starts if starts_own else (team.work_starts if team else None)
    ends = ends if ends_own else (team.work_ends if team else None)
    if starts is None or ends is None or ends > starts:
        return
    field = "work_ends" if "work_ends" in values or "work_starts" not in values else "work_starts"
    whose = {True: "", False: " (the team's)"}
    raise _refuse(
        field,
        f"Work must end after it starts: {ends:%H:%M}{whose[ends_own]} is not after {starts:%H:%M}{whose[starts_own]}.",
    )


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _refuse("routing_paused", f"{shown(value)} is not true or false.")
    return value


CLEANERS = {
    "routing_weight": _weight,
    "routing_cap": _cap,
    "routing_paused": _flag,
    "time_zone": _time_zone,
    "work_days": _work_days,
    "work_starts": lambda value: _clock("work_starts", value),
    "work_ends": lambda value: _clock("work_ends", value),
}


def _cleaned(changes: dict) -> dict:
    values, errors = {}, {}
    for field, value in changes.items():
        try:
            values[field] = CLEANERS[field](value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return values


def routing_settings_update(*, actor: User, user: User, **changes: object) -> User:
    """Sets some of `user`'s routing settings (routing_weight, routing_cap, routing_paused, time_zone,
    work_days, work_starts, work_ends; a blank time zone and None days or hours mean the team's). Raises
    NotAllowed when `actor` may not set them, ValidationError naming each field with a bad value. The user's row
    is locked while read and written, so two managers' edits do not interleave."""
    unknown = set(changes) - set(CLEANERS)
    if unknown:
        raise TypeError(f"Not routing settings: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = User.objects.select_for_update(of=("self",)).select_related("team__parent").get(pk=user.pk)
        _check_allowed(actor, locked, set(changes))
        values = _cleaned(changes)
        _check_hours(locked, values)
        for field, value in values.items():
            setattr(locked, field, value)
        if values:
            locked.save(update_fields=list(values))
    return locked


# Selectors ----------------------------------------------------------------------------------------------------

_VISIBLE_TEAMS_SQL = """
    WITH RECURSIVE tree(id) AS (
        SELECT id FROM accounts_user WHERE id = %s
        UNION
        SELECT u.id FROM accounts_user u JOIN tree t ON u.manager_id = t.id
    ), managed(id) AS (
        SELECT t.id FROM accounts_team t JOIN tree ON t.manager_id = tree.id
        UNION
        SELECT c.id FROM accounts_team c JOIN managed m ON c.parent_id = m.id
    )
    SELECT id FROM managed
    UNION SELECT u.team_id FROM accounts_user u JOIN tree ON u.id = tree.id WHERE u.team_id IS NOT NULL
"""


def routing_team_list(*, user: User) -> QuerySet[Team]:
    """Teams whose routing `user` may see: revenue leaders and administrators all; a manager the teams they
    or their reports manage (with the teams below them) and their reports' teams; anyone else their own."""
    teams = Team.objects.select_related("manager", "parent")
    if _is_leader(user):
        return teams
    if user.is_manager:
        return teams.filter(pk__in=RawSQL(_VISIBLE_TEAMS_SQL, [user.pk]))
    return teams.filter(pk=user.team_id) if user.team_id else teams.none()


def default_team(*, user: User, teams: Iterable[Team]) -> Team | None:
    """The pool a person's routing page and API open on: the first team they manage, else their own."""
    teams = list(teams)
    return next((t for t in teams if t.manager_id == user.pk), None) or next(
        (t for t in teams if t.pk == user.team_id), teams[0] if teams else None
    )


def routable_members(team: Team) -> QuerySet[User]:
    return (
        User.objects.filter(team=team, is_active=True, role__in=ROUTABLE_ROLES)
        .select_related("team__parent")
        .order_by("first_name", "last_name", "username")
    )


@dataclass(frozen=True)
class RoutingPerson:
    """A pool member's settings and where they stand now; `state` is that in words."""

    user: User
    now: Person
    hours: str

    @property
    def state(self) -> str:
        skipped = self.now.unavailable()
        if skipped is not None:
            return skipped[1]
        return "available" if self.now.in_hours else f"available, {SKIP_WORDS['off_hours']}"

    @property
    def available(self) -> bool:
        return self.now.unavailable() is None

    @property
    def at_cap(self) -> bool:
        return self.now.cap is not None and self.now.pending >= self.now.cap


def hours_in_words(user: User) -> str:
    calendar = availability.work_calendar(user)
    if calendar is None:
        return "any time"
    return f"{days_in_words(calendar.days)} {calendar.starts:%H:%M}–{calendar.ends:%H:%M} {calendar.zone.key}"


def days_in_words(days: Iterable[int]) -> str:
    """[0, 1, 2, 3, 4, 6] → "Mon–Fri, Sun": runs of three days or more as a range."""  # noqa: RUF002
    runs: list[list[int]] = []
    for day in sorted(set(days)):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = [
        f"{DAY_NAMES[run[0]]}–{DAY_NAMES[run[-1]]}" if len(run) > 2 else ", ".join(DAY_NAMES[d] for d in run)
        for run in runs
    ]
    return ", ".join(parts) or "no days"


def routing_people(team: Team, *, now: datetime | None = None) -> list[RoutingPerson]:
    """Each routable member of `team` with their settings and state at `now`, in as many queries for a team of
    two as of two hundred."""
    members = list(routable_members(team))
    states = availability.people(members, now or timezone.now())
    return [RoutingPerson(m, s, hours_in_words(m)) for m, s in zip(members, states, strict=True)]


def routing_person(user: User, *, now: datetime | None = None) -> RoutingPerson:
    [state] = availability.people([user], now or timezone.now())
    return RoutingPerson(user, state, hours_in_words(user))


@dataclass(frozen=True)
class Share:
    id: int
    name: str
    weight: Decimal | None  # None: not in the team now
    won: int
    expected: Decimal  # weight / the current members' total weight
    actual: Decimal  # won / every lead the pool routed to someone in the period


@dataclass(frozen=True)
class ShareReport:
    team: Team
    since: date
    until: date
    routed: int
    queued: int
    people: list[Share]


def _in_calendar(field: str, day: date | None) -> None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise _refuse(field, f"{day} is outside {EARLIEST} … {LATEST}.")


def share_days(team: Team, since: date | None, until: date | None) -> tuple[date, date]:
    """The period asked for, checked; a missing end is today (in the team's zone), a missing start 30 days
    before the end."""
    _in_calendar("since", since)
    _in_calendar("until", until)
    until = until or last_days(team)[1]
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    share_period(since, until)
    return since, until


def share_period(since: date, until: date) -> None:
    """Refuses a period that runs backwards, is longer than MAX_PERIOD_DAYS or leaves the calendar we keep."""
    _in_calendar("since", since)
    _in_calendar("until", until)
    if since > until:
        raise _refuse("since", f"The period starts ({since}) after it ends ({until}).")
    if (until - since).days + 1 > MAX_PERIOD_DAYS:
        raise _refuse(
            "until", f"The period may cover at most {MAX_PERIOD_DAYS} days; it covers {(until - since).days + 1}."
        )


def _zone(team: Team) -> ZoneInfo:
    try:
        return ZoneInfo(team.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def last_days(team: Team, days: int = DEFAULT_DAYS) -> tuple[date, date]:
    today = timezone.now().astimezone(_zone(team)).date()
    return today - timedelta(days=days - 1), today


def _ratio(part: Decimal | int, whole: Decimal | int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")) if whole else Decimal(0)


def _wins(team: Team, since: date, until: date) -> dict[tuple[int | None, str], int]:
    """{(winner id, name): decisions} in the team's pool over the days (in the team's time zone); one query."""
    zone = _zone(team)
    starts = datetime.combine(since, time.min, tzinfo=zone)
    ends = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    winner = KeyTransform("winner", "routing")
    rows = (
        Transition.objects.filter(Q(routing__pool__team=team.pk), occurred_at__gte=starts, occurred_at__lt=ends)
        .values(winner_id=KeyTextTransform("id", winner), winner_name=KeyTextTransform("name", winner))
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(int(r["winner_id"]) if r["winner_id"] else None, r["winner_name"] or ""): r["n"] for r in rows}


def routing_share(team: Team, since: date, until: date) -> ShareReport:
    """Per person, the leads the team's pool routed to them from `since` to `until` (whole days in the team's
    time zone), their expected share (their weight over the current members' total) and their actual share
    (over every lead routed to someone), and how many leads went to the team's queue because nobody could take
    them. People who left the team but won leads in the period are listed with no weight."""
    share_period(since, until)
    wins = _wins(team, since, until)
    queued = sum(n for (winner, _), n in wins.items() if winner is None)
    won: dict[int, int] = {}
    names: dict[int, str] = {}
    for (winner, name), n in wins.items():
        if winner is not None:
            won[winner] = won.get(winner, 0) + n
            names.setdefault(winner, name)
    routed = sum(won.values())
    members = list(routable_members(team))
    total_weight = sum((m.routing_weight for m in members), Decimal(0))
    people = [
        Share(
            m.pk,
            display_name(m),
            m.routing_weight,
            won.get(m.pk, 0),
            _ratio(m.routing_weight, total_weight),
            _ratio(won.get(m.pk, 0), routed),
        )
        for m in members
    ]
    current = {m.pk for m in members}
    left = {pk: n for pk, n in won.items() if pk not in current}
    if left:  # their names as they are now; the decision's own (the username then) if the user is gone
        names |= {u.pk: display_name(u) for u in User.objects.filter(pk__in=left)}
    people += [
        Share(pk, names[pk], None, n, Decimal(0), _ratio(n, routed))
        for pk, n in sorted(left.items(), key=lambda item: -item[1])
    ]
    return ShareReport(team, since, until, routed, queued, people)


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()
