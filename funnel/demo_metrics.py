"""The demo's year of funnel history for the joint metrics, lived through the same services the UI, the API and
the jobs use: leads captured by intake, touches recorded in bulk, every move through the one door at its own
time, handoffs answered (a few late, many late in one recent month), a call before every move into intent,
deals won and lost, sales expenses each month; then the metric snapshots of every month, quarter and week of
the year and of today, so the dashboard has charts from the first page view.

Idempotent: the year is added once (its first company is the marker), the snapshots computed once."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from crm.models import Campaign, Company
from crm.services.campaigns import campaign_spend_record
from crm.services.records import company_create
from funnel.attribution.services import attribution_rebuild
from funnel.demo_marketing import _touch
from funnel.demo_metrics_plan import (
    FORWARD,
    CompanyPlan,
    LeadPlan,
    lead_rng,
    plan_companies,
    plan_leads,
    slipped_month,
)
from funnel.exceptions import TransitionRefused
from funnel.metrics.choices import PeriodKind
from funnel.metrics.expenses import sales_expense_record
from funnel.metrics.models import MetricSnapshot
from funnel.metrics.periods import periods_between
from funnel.metrics.services import metrics_recompute
from funnel.models import Handoff
from funnel.services.call_reports import call_report_log
from funnel.services.handoff_open import handoff_first_touch_record
from funnel.services.handoffs import handoff_accept, handoff_reject
from funnel.services.intake import lead_create
from funnel.services.sla import handoff_sla_breaches_record
from funnel.services.transitions import lead_transition
from leads.models import Lead
from leads.scoring.services import lead_scores_refresh
from leads.touches import touches_record

SEED, COMPANIES, LEADS = 2026, 80, 300
SETTLED = timedelta(hours=2)  # nothing of the year happens later than this before now
# Who turns a handoff down, and why: SDRs screen marketing's leads, reps screen the SDRs'.
SCREEN = {
    "consideration": ["not_icp_fit", "not_icp_fit", "bad_data", "unreachable", "student_or_job_seeker"],
    "intent": ["no_budget", "bad_timing", "no_authority", "no_need", "competitor"],
}
LOST = {
    "awareness": ["Never engaged after the first visit"],
    "interest": ["Went silent after the download", "Only researching, no project"],
    "consideration": ["Unreachable after five attempts", "No project this year"],
    "intent": ["No budget this year", "Chose to build it in-house"],
    "evaluation": ["Chose a competitor: Salesforce", "Price: lost to a cheaper offer", "Project cancelled"],
}
NURTURE = "Not ready yet: marketing keeps them warm"
EXPENSES = [("Salaries", Decimal(38000), 0.0), ("Travel", Decimal(5000), 0.6), ("Tools", Decimal(1400), 0.1)]


class Year:
    """The walk's shared state: people, campaigns, the clock's end and the month when SLAs slipped."""

    def __init__(self, users: dict[str, User], now: datetime):
        self.users, self.now, self.rng = users, now, random.Random(SEED + 1)
        self.campaigns = {c.name: c for c in Campaign.objects.all()}
        self.slipping = slipped_month(now.date())
        self.sales = Team.objects.get(name="Sales")
        self.purchases = 0

    def late_share(self, at: datetime) -> float:
        return 0.7 if self.slipping.starts_at <= at < self.slipping.ends_at else 0.06


def _windows() -> dict[str, tuple[date, date | None]]:
    return {c.name: (c.starts_on, c.ends_on) for c in Campaign.objects.exclude(starts_on=None)}


def _companies(plans: list[CompanyPlan], user: User) -> None:
    for plan in plans:
        company_create(
            user=user,
            name=plan.name,
            domain=plan.domain,
            industry=plan.industry,
            segment=plan.segment,
            territory=plan.territory,
            employees=plan.employees,
        )


def _capture(plan: LeadPlan, year: Year) -> Lead:
    campaign = year.campaigns.get(plan.source) if plan.source else None
    # A sales-sourced lead is the SDR's own prospecting.
    owner = campaign.owner if campaign else year.users[year.rng.choice(["sid", "sid", "ned", "tia"])]
    data = {
        "first_name": plan.first,
        "last_name": plan.last,
        "email": plan.email,
        "company_name": plan.company.name,
        "company_domain": plan.company.domain,
        "segment": plan.company.segment,
        "territory": plan.company.territory,
        "industry": plan.company.industry,
        "expected_value": plan.value,
        "gross_margin": plan.margin,
        "source_campaign": campaign,
        **plan.facts,
    }
    return lead_create(actor=year.users["admin"], data=data, owner=owner, at=plan.created)


def _touches(leads: list[tuple[LeadPlan, Lead]], year: Year) -> None:
    """The campaigns' touches: the source's at arrival, the others' in the weeks after, none in the future."""
    items = []
    for plan, lead in leads:
        names = ([plan.source] if plan.source else []) + plan.influencers
        for step, name in enumerate(names):
            campaign = year.campaigns[name]
            at = plan.created - timedelta(hours=3) + timedelta(days=step * (2 + plan.lags[0]))
            runs = campaign.starts_on and campaign.starts_on <= at.date() <= (campaign.ends_on or at.date())
            if runs and at < year.now - SETTLED:
                items.append(_touch(lead, campaign, at, f"year-{lead.pk}-{step}"))
    batch = touches_record(user=year.users["bot"], items=items, all_or_nothing=True)
    if batch.rejected:
        raise ValueError(f"demo touches refused: {list(batch.rejected.items())[:3]}")


def _answer(lead: Lead, stage: str, at: datetime, year: Year) -> datetime | None:
    """The receiving side answers the handoff the move opened; returns when it was accepted, None when it was
    rejected or is still waiting (the lead's walk stops there)."""
    handoff = Handoff.objects.filter(lead=lead, status="pending").first()
    if handoff is None:
        return at
    rng = year.rng
    actor = handoff.to_owner or year.users[rng.choice(["rob", "rae"])]
    due = handoff.accept_due_at or at + timedelta(hours=8)
    late = rng.random() < year.late_share(at)
    answered = due + timedelta(hours=rng.uniform(2, 30)) if late else at + (due - at) * rng.uniform(0.1, 0.8)
    if answered > year.now - SETTLED:
        return None
    screened = 0.1 if lead.source_campaign_id is None else (0.4 if _no_customer(lead, year) else 0.12)
    if rng.random() < screened:
        reason = rng.choice(SCREEN[stage])
        handoff_reject(handoff_id=handoff.pk, actor=actor, reason_code=reason, at=answered)
        lead.stage, lead.owner = "nurture", handoff.from_owner
        return None
    handoff_accept(handoff_id=handoff.pk, actor=actor, at=answered)
    lead.owner = handoff.to_owner or actor  # a rep taking the lead from the team's queue owns it
    if handoff.first_touch_due_at:
        touch_late = late or rng.random() < 0.05
        touched = handoff.first_touch_due_at + timedelta(hours=3) if touch_late else answered + timedelta(minutes=20)
        handoff_first_touch_record(lead=lead, by=actor, at=max(touched, answered))
    return answered


def _no_customer(lead: Lead, year: Year) -> bool:
    campaign = year.campaigns.get("LinkedIn awareness ads")
    return campaign is not None and lead.source_campaign_id == campaign.pk


def _call(lead: Lead, at: datetime, year: Year) -> None:
    """The SDR's discovery call that confirms BANT: the rules want one in the fortnight before intent."""
    call_report_log(
        author=lead.owner,
        lead=lead,
        occurred_on=(at - timedelta(days=year.rng.randint(0, 6))).date(),
        channel=year.rng.choice(["call", "call", "video"]),
        outcome="Discovery call: budget, authority and need confirmed",
    )


def _move(lead: Lead, stage: str, to: str, at: datetime, year: Year, reason: str = "") -> bool:
    """One move through the one door, by the lead's owner. `lead` is kept in step with the moves (stage and
    owner) instead of being read again before each."""
    if to == "consideration":  # the MQL check reads the score as it stood then
        lead_scores_refresh(lead_ids=[lead.pk], as_of=at)
    try:
        moved = lead_transition(lead=lead, to_stage=to, actor=lead.owner, reason=reason, expected_from=stage, at=at)
    except TransitionRefused:
        return False
    lead.stage, lead.owner = to, moved.to_owner or lead.owner
    if to == "purchase":
        year.purchases += 1
    return True


def _drop(lead: Lead, stage: str, at: datetime, year: Year) -> str | None:
    """A lead that goes no further: lost, back to nurture, or left where it is (stale leads exist)."""
    if at > year.now - SETTLED:
        return None
    roll = year.rng.random()
    lost_share = 0.3 if stage in ("awareness", "interest") else 0.75
    if roll < lost_share:
        _move(lead, stage, "lost", at, year, reason=year.rng.choice(LOST[stage]))
        return "lost"
    if roll < lost_share + 0.2 or stage != "awareness":
        return "nurture" if _move(lead, stage, "nurture", at, year, reason=NURTURE) else None
    return None


def _live(plan: LeadPlan, lead: Lead, year: Year) -> None:
    stage, at, step, recycled = "awareness", plan.created, 0, False
    while step < len(FORWARD):
        at = at + timedelta(days=plan.lags[step])
        if at > year.now - SETTLED:
            return
        if step >= plan.reach:
            if _drop(lead, stage, at, year) == "nurture" and not recycled and year.rng.random() < 0.35:
                stage, at, step, recycled = _recycle(plan, lead, at, year)
                continue
            return
        to = FORWARD[step]
        if to == "intent":
            _call(lead, at, year)
        if not _move(lead, stage, to, at, year):
            _drop(lead, stage, at + timedelta(days=1), year)
            return
        stage, step = to, step + 1
        if to in SCREEN:
            answered = _answer(lead, to, at, year)
            if answered is None:
                return
            at = answered


def _recycle(plan: LeadPlan, lead: Lead, at: datetime, year: Year) -> tuple[str, datetime, int, bool]:
    """A nurtured lead that comes back a month or two later, at interest; half get as far as the SDRs."""
    back = at + timedelta(days=year.rng.randint(30, 75))
    if back > year.now - SETTLED:
        return "nurture", at, len(FORWARD), True
    if year.rng.random() < 0.5:
        plan.reach = max(plan.reach, 2)
    _move(lead, "nurture", "interest", back, year)
    return "interest", back, 1, True


def _expenses(user: User, team: Team, now: datetime, rng: random.Random) -> None:
    """The sales team's books: salaries, travel (busier in spring and autumn) and tools, once a month."""
    for month in periods_between(kind=PeriodKind.MONTH, first=now.date() - timedelta(days=365), last=now.date()):
        for category, amount, swing in EXPENSES:
            spent = (amount * Decimal(str(1 + rng.uniform(-swing, swing)))).quantize(Decimal(1))
            sales_expense_record(
                user=user, team_id=team.pk, spent_on=month.start, amount=spent, category=category, note="Monthly"
            )


def _spend_this_month(user: User, today: date) -> None:
    """This month's invoice of every running campaign (the marketing story books one every thirty days from
    each start, so the current month would otherwise read as free)."""
    first = today.replace(day=1)
    for campaign in Campaign.objects.exclude(starts_on=None).filter(starts_on__lte=today):
        booked = campaign.spend_entries.filter(spent_on__gte=first).exists()
        if booked or (campaign.ends_on and campaign.ends_on < first):
            continue
        last = campaign.spend_entries.order_by("-spent_on").first()
        if last is not None:
            spent_on = max(first, campaign.starts_on)
            campaign_spend_record(user=user, campaign_id=campaign.pk, spent_on=spent_on, amount=last.amount)


@transaction.atomic
def seed_metric_year(users: dict[str, User]) -> list[str]:
    """Lives the year once; returns the story's lines (none on a second run)."""
    rng = random.Random(SEED)
    companies = plan_companies(rng, COMPANIES)
    if Company.objects.filter(domain=companies[0].domain).exists():
        return []
    # The year is planned back from the start of today, not this second: several choices depend on how long
    # ago a move was, so a run at 03:25 and one at 03:45 drew different years.
    now = datetime.combine(timezone.localdate(), time.min, tzinfo=timezone.get_current_timezone())
    year = Year(users, now)
    _companies(companies, users["mia"])
    plans = plan_leads(rng, companies, _windows(), now, LEADS)
    leads = [(plan, _capture(plan, year)) for plan in plans]
    _touches(leads, year)
    for index, (plan, lead) in enumerate(leads):
        year.rng = lead_rng(index)
        _live(plan, lead, year)
    _expenses(users["sam"], year.sales, now, rng)
    _spend_this_month(users["mia"], now.date())
    handoff_sla_breaches_record(now=now)
    lead_scores_refresh(lead_ids=[lead.pk for _, lead in leads], cause="recompute")
    attribution_rebuild()
    return [
        "The year in numbers (/metrics/):",
        f"  - {len(leads)} more leads over twelve months, {year.purchases} of them bought; enterprise converts best"
        " but takes a quarter, LinkedIn ads bring the most leads and no customer;",
        f"  - SLAs slipped in {year.slipping.start:%B}: the SDRs and reps answered late most of the time.",
    ]


def seed_metric_snapshots() -> int:
    """Every month, quarter and week of the last year, and today: the dashboard's charts. Returns how many
    snapshots it computed (none when some exist already)."""
    if MetricSnapshot.objects.exists():
        return 0
    today = timezone.localdate()
    first = today - timedelta(days=365)
    count = 0
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.WEEK):
        starts = [p.start for p in periods_between(kind=kind, first=first, last=today)]
        metrics_recompute(period_kind=kind, starts=starts)
        count += len(starts)
    metrics_recompute(period_kind=PeriodKind.DAY, starts=[today])
    return count + 1
