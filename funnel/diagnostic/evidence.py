"""Objective evidence of integration, read from the data: each item has its number, the threshold, a verdict
and the records behind it (the exact set counted, the failing ones first).

An item whose set is empty fails: the evidence must show the practice, and no call report at all shows no
marketer on one. Each item names the lowest level that needs it (see funnel.diagnostic.levels).
"""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.choices import Function
from accounts.models import User
from crm.models import AccountReview, ActionItem, CallReport, CollateralVersion
from crm.services.collateral import REVIEWERS
from funnel.choices import HandoffStatus, SlaKind
from funnel.diagnostic.choices import Level
from funnel.diagnostic.thresholds import Thresholds
from funnel.models import Handoff, JointMeeting, LeadDefinition, SlaBreach, Transition
from funnel.simulation.definitions import gated_stages
from funnel.targets.selectors import target_active
from leads.choices import Stage

MAX_RECORDS = 100  # listed per item; the counts always cover the whole set
OUTCOMES = (Stage.LOST, Stage.NURTURE)


@dataclass
class Evidence:
    key: str
    title: str
    needed_for: str  # the lowest level that needs it
    value: float | None  # a share 0–1, or days; None when the set is empty
    threshold: float
    passed: bool
    summary: str  # the number in words: "34 of 40 (85%)"
    unit: str = "share"  # share (at least the threshold) or days (at most)
    numerator: int = 0
    denominator: int = 0
    note: str = ""
    page: str = ""  # where the practice is done
    records: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def url(name: str, *args, fallback: str = "home") -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return reverse(fallback)


def _share(key, title, needed_for, ok: list[dict], bad: list[dict], threshold: float, **extra) -> Evidence:
    total = len(ok) + len(bad)
    value = len(ok) / total if total else None
    summary = f"{len(ok)} of {total} ({value:.0%})" if total else "nothing in the window"
    records = [*({**r, "ok": False} for r in bad), *({**r, "ok": True} for r in ok)][:MAX_RECORDS]
    passed = value is not None and value >= threshold
    return Evidence(
        key, title, needed_for, value, threshold, passed, summary, "share", len(ok), total, records=records, **extra
    )


def _lead(lead_id: int, label: str) -> dict:
    # `lead` lets a reader who may not open the lead see the record without its name (selectors.evidence_for).
    return {"label": label, "url": url("lead-detail", lead_id), "lead": lead_id}


def qualification(at: datetime, t: Thresholds) -> Evidence:
    """Moves into the stages a signed definition gates (an enforced rule requires it) in the window: the share
    that recorded the signed-off definition version they were checked against."""
    stages = sorted({s for code in LeadDefinition.objects.values_list("code", flat=True) for s in gated_stages(code)})
    # A rule with no target stages gates every move, so every move into the funnel counts.
    into = ~Q(to_stage__in=OUTCOMES) if "" in stages else Q(to_stage__in=stages)
    moves = Transition.objects.filter(into, occurred_at__gt=at - timedelta(days=t.evidence_window_days))
    moves = moves.filter(occurred_at__lte=at).select_related("lead").order_by("-occurred_at", "-id")
    ok, bad = [], []
    for move in moves.only("lead__last_name", "lead__first_name", "to_stage", "occurred_at", "definition_versions"):
        record = _lead(move.lead_id, f"{move.lead} → {move.to_stage} on {move.occurred_at:%Y-%m-%d}")
        versions = move.definition_versions or []
        (ok if versions else bad).append(
            {**record, "detail": ", ".join(f"{v['code']} v{v['number']}" for v in versions)}
        )
    note = "" if stages else "No enforced rule makes a move wait for a signed definition."
    return _share(
        "qualification",
        "Qualifications made under a signed definition",
        Level.DEFINED,
        ok,
        bad,
        t.qualification_share,
        note=note,
        page=url("definition-list"),
    )


def _missed(handoff: Handoff, kind: str, due: datetime | None, stopped: datetime | None, at, breached) -> bool | None:
    """True missed, False met, None still running (not yet due, not stopped) or no clock at all."""
    if due is None:
        return None
    if (handoff.pk, kind) in breached:
        return True
    if stopped is not None and stopped <= at:
        return stopped > due
    return True if due < at else None


def sla(at: datetime, t: Thresholds) -> Evidence:
    """Handoffs opened in the window whose clocks are settled: the share that met every clock they had (accept
    or reject by its due time; first touch by its). A stored breach counts as missed even before the clock
    job would have seen it; a handoff with a clock still running and none missed is left out."""
    handoffs = Handoff.objects.filter(created_at__gt=at - timedelta(days=t.evidence_window_days), created_at__lte=at)
    handoffs = list(handoffs.select_related("lead").order_by("-created_at", "-id"))
    breached = set(SlaBreach.objects.filter(handoff__in=handoffs).values_list("handoff_id", "kind"))
    ok, bad = [], []
    for h in handoffs:
        touch_stop = h.first_touched_at or (h.decided_at if h.status == HandoffStatus.REJECTED else None)
        clocks = [
            _missed(h, SlaKind.ACCEPT, h.accept_due_at, h.decided_at, at, breached),
            _missed(h, SlaKind.FIRST_TOUCH, h.first_touch_due_at, touch_stop, at, breached),
        ]
        running = (h.accept_due_at and clocks[0] is None) or (h.first_touch_due_at and clocks[1] is None)
        if True in clocks:
            bad.append(_lead(h.lead_id, f"{h.lead} → {h.to_function}, {h.created_at:%Y-%m-%d}: clock missed"))
        elif not running and any(c is False for c in clocks):
            ok.append(_lead(h.lead_id, f"{h.lead} → {h.to_function}, {h.created_at:%Y-%m-%d}: on time"))
    return _share(
        "sla", "Handoffs that met their SLA", Level.DEFINED, ok, bad, t.sla_compliance, page=url("sla-breaches")
    )


def _marketer_present(relation: str) -> Exists:
    return Exists(User.objects.filter(**{relation: OuterRef("pk")}, team__function=Function.MARKETING))


def call_reports(at: datetime, t: Thresholds) -> Evidence:
    """Call reports of the window: the share a marketer took part in."""
    since = (at - timedelta(days=t.evidence_window_days)).date()
    reports = CallReport.objects.filter(occurred_on__gt=since, occurred_on__lte=at.date())
    reports = reports.annotate(joined=_marketer_present("call_reports_joined")).select_related("lead", "company")
    ok, bad = [], []
    for report in reports.order_by("-occurred_on", "-id"):
        subject = report.lead or report.company
        label = f"{subject}, {report.occurred_on}: {report.outcome}"
        record = (
            _lead(report.lead_id, label)
            if report.lead_id
            else {"label": label, "url": url("company-detail", report.company_id)}
        )
        (ok if report.joined else bad).append(record)
    return _share(
        "call_reports",
        "Call reports with a marketer on the call",
        Level.ALIGNED,
        ok,
        bad,
        t.call_reports_with_marketer,
        page=url("call-report-list"),
    )


def reviews(at: datetime, t: Thresholds) -> Evidence:
    """Key-account reviews of the window: the share with a marketer among the attendees."""
    since = (at - timedelta(days=t.evidence_window_days)).date()
    rows = AccountReview.objects.filter(held_on__gt=since, held_on__lte=at.date(), company__is_key_account=True)
    rows = rows.annotate(joined=_marketer_present("account_reviews")).select_related("company")
    ok, bad = [], []
    for review in rows.order_by("-held_on", "-id"):
        record = {"label": f"{review.company}, {review.held_on}", "url": url("review-detail", review.pk)}
        (ok if review.joined else bad).append(record)
    return _share(
        "reviews",
        "Key-account reviews with a marketer present",
        Level.ALIGNED,
        ok,
        bad,
        t.reviews_with_marketer,
        page=url("company-list"),
    )


def collateral(at: datetime, t: Thresholds) -> Evidence:
    """Collateral versions released in the (longer) window: the share a sales reviewer approved before the
    release, someone other than its author."""
    versions = CollateralVersion.objects.filter(
        released_at__gt=at - timedelta(days=t.collateral_window_days), released_at__lte=at
    ).select_related("collateral", "reviewer")
    ok, bad = [], []
    for v in versions.order_by("-released_at", "-id"):
        reviewed = (
            v.reviewer is not None
            and v.reviewer.role in REVIEWERS
            and v.reviewer_id != v.submitted_by_id
            and v.reviewed_at is not None
            and v.reviewed_at <= v.released_at
        )
        record = {
            "label": f"{v.collateral.title} v{v.number}, released {v.released_at:%Y-%m-%d}",
            "url": url("collateral"),
        }
        (ok if reviewed else bad).append(record)
    return _share(
        "collateral",
        "Collateral released only after a sales review",
        Level.ALIGNED,
        ok,
        bad,
        t.collateral_reviewed,
        page=url("collateral"),
    )


def meetings_held(at: datetime, t: Thresholds) -> Evidence:
    """Days since the latest joint meeting (held on or before the day): at most `meeting_max_days`."""
    today = timezone.localtime(at).date()
    held = JointMeeting.objects.filter(held_on__lte=today, held_on__gt=today - timedelta(days=t.meeting_window_days))
    held = list(held.order_by("-held_on"))
    days = (today - held[0].held_on).days if held else None
    passed = days is not None and days <= t.meeting_max_days
    summary = f"{days} days ago" if held else f"none in {t.meeting_window_days} days"
    records = [{"label": f"{m.title}, {m.held_on}", "url": url("meeting-detail", m.pk), "ok": True} for m in held]
    return Evidence(
        "meetings",
        "A joint meeting in the last quarter",
        Level.ALIGNED,
        days,
        t.meeting_max_days,
        passed,
        summary,
        "days",
        len(held),
        len(held),
        page=url("meeting-list"),
        records=records[:MAX_RECORDS],
    )


def meeting_actions(at: datetime, t: Thresholds) -> Evidence:
    """Action items raised at joint meetings of the window and due by the day (or with no due day): the share
    done or dropped."""
    today = timezone.localtime(at).date()
    items = ActionItem.objects.filter(
        meetings__held_on__gt=today - timedelta(days=t.meeting_window_days), meetings__held_on__lte=today
    ).filter(Q(due_on__lte=today) | Q(due_on__isnull=True))
    items = items.distinct().select_related("owner").prefetch_related("meetings")
    ok, bad = [], []
    for item in items.order_by("due_on", "id"):
        closed = item.closed_at is not None and item.closed_at <= at
        meeting = min(item.meetings.all(), key=lambda m: m.held_on)
        record = {
            "label": f"{item.title} ({item.owner}), due {item.due_on or 'any time'}",
            "url": url("meeting-detail", meeting.pk),
        }
        (ok if closed else bad).append(record)
    return _share(
        "meeting_actions",
        "Joint-meeting action items closed when due",
        Level.ALIGNED,
        ok,
        bad,
        t.meeting_actions_closed,
        page=url("meeting-list"),
    )


def shared_target(at: datetime, _t: Thresholds) -> Evidence:
    """A revenue target for the current period signed by both sides (funnel.targets decides what counts)."""
    target = target_active(on=timezone.localtime(at).date())
    records = [] if target is None else [{"label": str(target), "url": url("target-detail", target.pk), "ok": True}]
    return Evidence(
        "target",
        "A shared target signed by both sides for this period",
        Level.INTEGRATED,
        1.0 if target else 0.0,
        1.0,
        target is not None,
        "signed" if target else "none signed",
        "share",
        int(target is not None),
        1,
        page=url("target-list"),
        records=records,
    )


ITEMS = [qualification, sla, meetings_held, meeting_actions, call_reports, reviews, collateral, shared_target]


def evidence_collect(*, at: datetime, thresholds: Thresholds) -> list[Evidence]:
    return [item(at, thresholds) for item in ITEMS]
