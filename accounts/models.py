from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from accounts.choices import MANAGER_ROLES, Function, Role
from accounts.scopes import SCOPE_CHOICES, SCOPES

MAX_ROUTING_WEIGHT = 10


def _weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class Team(models.Model):
    """A group of people with one function; teams nest (a region under a sales org) and each has a manager."""

    name = models.CharField(max_length=100, unique=True)
    function = models.CharField(max_length=16, choices=Function.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    manager = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    # The team's working calendar: SLA clocks on handoffs it receives count these hours only.
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin.")
    work_days = ArrayField(models.PositiveSmallIntegerField(), default=_weekdays, help_text="0 = Monday … 6 = Sunday.")
    work_starts = models.TimeField(default=time(9))
    work_ends = models.TimeField(default=time(17))

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(function__in=Function.values), name="team_function_valid"),
            models.CheckConstraint(condition=Q(work_ends__gt=models.F("work_starts")), name="team_hours_ordered"),
            models.CheckConstraint(
                condition=Q(work_days__contained_by=[0, 1, 2, 3, 4, 5, 6]), name="team_work_days_valid"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="team_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": f"{self.time_zone!r} is not a known time zone."}) from None


class User(AbstractUser):
    """A person (or an integration) using the system: one role, one team, one manager above them."""

    role = models.CharField(max_length=32, choices=Role.choices, default=Role.SALES_REP)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="direct_reports")
    title = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    # Routing: a share of the team's leads in proportion to the weight (a new rep 0.5, a senior 2), never more
    # pending handoffs than the cap, nothing at all while paused or out of office.
    routing_weight = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal(1))
    routing_cap = models.PositiveIntegerField(
        null=True, blank=True, help_text="At most this many handoffs awaiting their answer; empty = no cap."
    )
    routing_paused = models.BooleanField(default=False)
    # Working hours: each blank falls back to the team's calendar.
    time_zone = models.CharField(max_length=64, blank=True, help_text="IANA name; blank = the team's.")
    work_days = ArrayField(models.PositiveSmallIntegerField(), null=True, blank=True)
    work_starts = models.TimeField(null=True, blank=True)
    work_ends = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(condition=~Q(manager=models.F("id")), name="user_not_own_manager"),
            models.CheckConstraint(
                condition=Q(routing_weight__gt=0, routing_weight__lte=MAX_ROUTING_WEIGHT), name="user_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(work_days__isnull=True) | Q(work_days__contained_by=[0, 1, 2, 3, 4, 5, 6]),
                name="user_work_days_valid",
            ),
            models.CheckConstraint(
                condition=Q(work_starts__isnull=True) | Q(work_ends__isnull=True) | Q(work_ends__gt=F("work_starts")),
                name="user_hours_ordered",
            ),
        ]

    @property
    def function(self) -> str | None:
        return self.team.function if self.team_id else None

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGER_ROLES

    @property
    def is_administrator(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class OutOfOffice(models.Model):
    """A period a person is away: routing skips them and their pending handoffs go to the delegate (or back to
    their team). Set by the person or their manager; ending it early shortens `ends_at`."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="absences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    delegate = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="delegations")
    note = models.CharField(max_length=200, blank=True)
    set_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # When the pending handoffs were last handed on: the sweep does it once per absence.
    rerouted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["user", "ends_at"], name="absence_user_end")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="absence_ends_after_start"),
            models.CheckConstraint(condition=~Q(delegate=F("user")), name="absence_not_own_delegate"),
        ]

    def __str__(self) -> str:
        return f"{self.user} away {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"


class ApiToken(models.Model):
    """A revocable credential for an integration. Only a SHA-256 of the secret is stored; the prefix finds the row."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What this token is for, e.g. 'website form sync'.")
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = ArrayField(
        models.CharField(max_length=32, choices=SCOPE_CHOICES),
        default=list,
        help_text="What the token may do, e.g. leads:read, touches:write (accounts/scopes.py lists them).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(scopes__contained_by=list(SCOPES)), name="api_token_scopes_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def state(self, now: datetime) -> str:
        """ "revoked", "expired" or "active" at `now` (a revoked token stays revoked after its expiry)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class WorkerHeartbeat(models.Model):
    """Last time the beat schedule reached a worker: proves background jobs really run."""

    name = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """Something a person should see: a handoff to accept, an SLA breach on their team, an approval to give.

    `subject_type`/`subject_id` name the record by app label, not by foreign key, because accounts sits
    below every other app. The unique key makes every producer safe to run twice.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField()
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id"], name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return f"To {self.recipient}: {self.message}"


class SavedView(models.Model):
    """A list's filters and order saved under a name by a person, e.g. "My EMEA intent leads, by score"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    page = models.CharField(max_length=40, help_text="Which list: the page's URL name, e.g. lead-list.")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, blank=True, help_text="The list's query string, without a page cursor.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "page", "name"], name="saved_view_name_once")]

    def __str__(self) -> str:
        return f"{self.name} ({self.page})"
