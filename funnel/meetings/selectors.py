"""Reads for the joint meeting: the meetings and their agendas, and what a meeting's agenda is made of.

The agenda's window is "since the previous meeting": the days after the previous meeting's day up to and
including this meeting's day (for the first meeting, the 30 days ending on its day). Consecutive meetings'
windows touch without overlapping, so nothing is discussed twice and nothing falls between two agendas.
Days are the installation's days (settings.TIME_ZONE), whoever generates the agenda.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.text import Truncator

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import User
from crm.choices import ActionStatus, KeyAccountTier, TagKind, TagStatus
from crm.models import ActionItem, CallReportTag, Company, Tag
from funnel.choices import HandoffStatus
from funnel.meetings.choices import AgendaKind
from funnel.models import AgendaItem, Handoff, JointMeeting, SlaBreach
from leads.choices import Stage
from leads.models import Lead

# Who runs the joint meeting, reads its agenda (it shows every large deal's value) and raises its actions.
MEETING_RUNNERS = MANAGER_ROLES | {Role.ADMIN}
OPPORTUNITY_STAGES = (Stage.INTENT, Stage.EVALUATION)  # open, and far enough along to be worth the room's time
FIRST_WINDOW_DAYS = 30
REVIEW_DUE_DAYS = 90
TOP_TAGS = 5
MAX_PER_KIND = 100  # a long agenda is read by nobody; positions stay far inside a small integer


def may_run_meetings(user: User) -> bool:
    return user.is_superuser or user.role in MEETING_RUNNERS


def meeting_list(*, user: User) -> QuerySet[JointMeeting]:
    """Every meeting, newest first, for those who run them; nobody else's (a 404, not a 403)."""
    if not may_run_meetings(user):
        return JointMeeting.objects.none()
    return JointMeeting.objects.select_related("created_by").annotate(
        agenda_size=Count("agenda", distinct=True),
        open_actions=Count("action_items", filter=Q(action_items__status=ActionStatus.OPEN), distinct=True),
    )


def meeting_get(*, user: User, meeting_id: int) -> JointMeeting:
    """The meeting with its agenda (linked records loaded) and action items; DoesNotExist if not visible."""
    agenda = AgendaItem.objects.select_related("lead", "handoff", "company", "tag", "action_item__owner").order_by(
        "position"
    )
    actions = ActionItem.objects.select_related("owner", "closed_by").order_by(F("due_on").asc(nulls_last=True), "id")
    return (
        meeting_list(user=user)
        .prefetch_related(Prefetch("agenda", queryset=agenda), Prefetch("action_items", queryset=actions))
        .get(pk=meeting_id)
    )


@dataclass(frozen=True)
class Window:
    """The days an agenda covers, both ends included, and the meeting before it (if any)."""

    first_day: date
    last_day: date
    previous: JointMeeting | None

    @staticmethod
    def _midnight(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())

    @property
    def starts(self) -> datetime:
        return self._midnight(self.first_day)

    @property
    def ends(self) -> datetime:
        """The first moment after the window."""
        return self._midnight(self.last_day + timedelta(days=1))


def agenda_window(*, meeting: JointMeeting) -> Window:
    previous = JointMeeting.objects.filter(held_on__lt=meeting.held_on).order_by("-held_on").first()
    if previous is None:
        return Window(meeting.held_on - timedelta(days=FIRST_WINDOW_DAYS - 1), meeting.held_on, None)
    return Window(previous.held_on + timedelta(days=1), meeting.held_on, previous)


def _name(user: User | None, empty: str = "nobody") -> str:
    return (user.get_full_name() or user.get_username()) if user else empty


def _title(text: str) -> str:
    return Truncator(text).chars(300)


def carried_actions(*, meeting: JointMeeting) -> list[dict]:
    """Open action items raised at earlier meetings, carried until done: the soonest due first."""
    items = (
        ActionItem.objects.filter(status=ActionStatus.OPEN)
        .annotate(raised_on=Min("meetings__held_on", filter=Q(meetings__held_on__lt=meeting.held_on)))
        .filter(raised_on__isnull=False)
        .select_related("owner")
        .order_by(F("due_on").asc(nulls_last=True), "id")[:MAX_PER_KIND]
    )
    return [
        {
            "kind": AgendaKind.CARRIED_ACTION,
            "action_item": item,
            "title": _title(f"{item.title} — {_name(item.owner)}" + (f", due {item.due_on}" if item.due_on else "")),
            "detail": {
                "owner": _name(item.owner),
                "due_on": item.due_on.isoformat() if item.due_on else None,
                "overdue": bool(item.due_on and item.due_on < meeting.held_on),
                "raised_on": item.raised_on.isoformat(),
            },
        }
        for item in items
    ]


def opportunities(*, meeting: JointMeeting) -> list[dict]:
    """Open leads in intent or evaluation worth at least the meeting's threshold, the biggest first."""
    leads = (
        Lead.objects.filter(stage__in=OPPORTUNITY_STAGES, expected_value__gte=meeting.opportunity_threshold)
        .select_related("owner", "company")
        .order_by("-expected_value", "id")[:MAX_PER_KIND]
    )
    return [
        {
            "kind": AgendaKind.OPPORTUNITY,
            "lead": lead,
            "company": lead.company,
            "title": _title(
                f"{lead.name}{f' ({lead.company_name})' if lead.company_name else ''} — "
                f"{Stage(lead.stage).label}, {lead.expected_value:,.0f} {lead.currency}"
            ),
            "detail": {
                "value": str(lead.expected_value),
                "currency": lead.currency,
                "stage": lead.stage,
                "owner": _name(lead.owner, "unassigned"),
            },
        }
        for lead in leads
    ]


def sla_breaches(*, window: Window) -> list[dict]:
    """SLA clocks that ran out inside the window, in the order they ran out."""
    breaches = (
        SlaBreach.objects.filter(due_at__gte=window.starts, due_at__lt=window.ends)
        .select_related("handoff__lead", "handoff__to_owner", "handoff__to_team")
        .order_by("due_at", "id")[:MAX_PER_KIND]
    )
    rows = []
    for breach in breaches:
        handoff = breach.handoff
        receiver = _name(handoff.to_owner, str(handoff.to_team or handoff.get_to_function_display()))
        rows.append(
            {
                "kind": AgendaKind.SLA_BREACH,
                "handoff": handoff,
                "lead": handoff.lead,
                "title": _title(f"{handoff.lead.name}: {breach.get_kind_display().lower()} SLA missed by {receiver}"),
                "detail": {
                    "clock": breach.kind,
                    "due_at": breach.due_at.isoformat(),
                    "owner": receiver,
                    "handoff_status": handoff.status,
                },
            }
        )
    return rows


def rejected_handoffs(*, window: Window) -> list[dict]:
    """Handoffs rejected inside the window, in the order they were rejected."""
    handoffs = (
        Handoff.objects.filter(status=HandoffStatus.REJECTED, decided_at__gte=window.starts, decided_at__lt=window.ends)
        .select_related("lead", "reject_reason", "decided_by")
        .order_by("decided_at", "id")[:MAX_PER_KIND]
    )
    return [
        {
            "kind": AgendaKind.REJECTED_HANDOFF,
            "handoff": handoff,
            "lead": handoff.lead,
            "title": _title(f"{handoff.lead.name}: rejected by {_name(handoff.decided_by)} — {handoff.reject_reason}"),
            "detail": {
                "reason": handoff.reject_reason.label,
                "procedural": handoff.reject_reason.procedural,
                "note": handoff.reject_note,
                "owner": _name(handoff.decided_by),
                "decided_at": handoff.decided_at.isoformat(),
                "to_function": handoff.to_function,
            },
        }
        for handoff in handoffs
    ]


def top_tags(*, window: Window, kind: str) -> list[dict]:
    """The TOP_TAGS accepted tags of `kind` most often on call reports dated in the window (a suggested tag
    counts only once accepted); ties by label."""
    counts = (
        CallReportTag.objects.filter(
            tag__kind=kind,
            tag__status=TagStatus.ACCEPTED,
            report__occurred_on__gte=window.first_day,
            report__occurred_on__lte=window.last_day,
        )
        .values("tag_id", "tag__label")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__label", "tag_id")[:TOP_TAGS]
    )
    counts = list(counts)
    tags = Tag.objects.in_bulk([row["tag_id"] for row in counts])
    agenda_kind = AgendaKind.OBJECTION if kind == TagKind.OBJECTION else AgendaKind.COMPETITOR
    return [
        {
            "kind": agenda_kind,
            "tag": tags[row["tag_id"]],
            "title": _title(f"{row['tag__label']} — on {row['n']} call report{'s' if row['n'] != 1 else ''}"),
            "detail": {"count": row["n"], "slug": tags[row["tag_id"]].slug},
        }
        for row in counts
    ]


def unreviewed_accounts(*, meeting: JointMeeting) -> list[dict]:
    """Key accounts with no review in the REVIEW_DUE_DAYS before the meeting: top tier first, then the
    longest unreviewed (never reviewed first)."""
    cutoff = meeting.held_on - timedelta(days=REVIEW_DUE_DAYS)
    companies = (
        Company.objects.filter(is_key_account=True)
        .annotate(last_review=Max("reviews__held_on", filter=Q(reviews__held_on__lte=meeting.held_on)))
        .filter(Q(last_review__isnull=True) | Q(last_review__lt=cutoff))
        .select_related("owner")
        .order_by("key_account_tier", F("last_review").asc(nulls_first=True), "name", "id")[:MAX_PER_KIND]
    )
    rows = []
    for company in companies:
        last = company.last_review
        since = f"last reviewed {last}" if last else "never reviewed"
        rows.append(
            {
                "kind": AgendaKind.UNREVIEWED_ACCOUNT,
                "company": company,
                "title": _title(f"{company.name} ({KeyAccountTier(company.key_account_tier).label}) — {since}"),
                "detail": {
                    "tier": company.key_account_tier,
                    "owner": _name(company.owner, "no owner"),
                    "last_review": last.isoformat() if last else None,
                    "days_since": (meeting.held_on - last).days if last else None,
                },
            }
        )
    return rows


def agenda_rows(*, meeting: JointMeeting) -> list[dict]:
    """What the meeting's agenda is made of, in the order it is discussed (AgendaKind's order)."""
    window = agenda_window(meeting=meeting)
    return [
        *carried_actions(meeting=meeting),
        *opportunities(meeting=meeting),
        *sla_breaches(window=window),
        *rejected_handoffs(window=window),
        *top_tags(window=window, kind=TagKind.OBJECTION),
        *top_tags(window=window, kind=TagKind.COMPETITOR),
        *unreviewed_accounts(meeting=meeting),
    ]
