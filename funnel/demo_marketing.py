"""The demo company's marketing year, through the same services the UI and API use: a campaign of every channel
with monthly spend, a year of customers and lost deals whose touches tell a story (the Berlin summit pays back
several times over, the LinkedIn ads never do), collateral in review and released, a signed scoring model and a
proposed one with its preview, and every purchase credited under every attribution model."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.models import Campaign, Company, Touch
from crm.services.campaigns import (
    campaign_complete,
    campaign_create,
    campaign_preview_decide,
    campaign_spend_record,
    campaign_submit_for_preview,
    campaign_update,
)
from crm.services.collateral import collateral_create, collateral_version_release, collateral_version_review
from funnel.attribution.selectors import campaign_performance
from funnel.attribution.services import attribution_rebuild
from funnel.demo import _walk
from funnel.services.intake import lead_create
from leads.models import Lead
from leads.scoring.services import lead_scores_refresh, scoring_version_propose, scoring_version_sign_off
from leads.touches import touches_record

# name, channel, days ago it started, days it ran (None: still running), monthly spend
CAMPAIGNS = [
    ("Logistics Summit Berlin", "event", 330, 3, Decimal("54500")),
    ("Spring product webinar", "webinar", 250, 60, Decimal("1500")),
    ("Q4 paid search", "paid_search", 120, None, Decimal("4000")),
    ("Partner referrals", "partner", 360, None, Decimal("1000")),
    ("LinkedIn awareness ads", "paid_social", 300, None, Decimal("5000")),
    ("Monthly newsletter", "email", 360, None, Decimal("300")),
    ("Warehouse ROI guide", "content", 200, None, Decimal("800")),
    ("LogiMAT trade show", "trade_show", 280, 4, Decimal("9000")),
    ("Executive gift box", "direct_mail", 150, 30, Decimal("3500")),
    ("Analyst briefing", "other", 100, 10, Decimal("2000")),
]
# The year's closed deals: company, contact, outcome, value, the campaigns that touched them (in order).
DEALS = [
    ("northwind.example", "Lena Andersen", "purchase", 180000, ["Partner referrals", "Logistics Summit Berlin"]),
    ("acme-robotics.example", "Omar Ito", "purchase", 150000, ["Logistics Summit Berlin", "Monthly newsletter"]),
    ("bluefjord.example", "Kai Fischer", "purchase", 120000, ["Monthly newsletter", "Logistics Summit Berlin"]),
    ("kestrel.example", "Hana Brooks", "purchase", 95000, ["Logistics Summit Berlin", "Warehouse ROI guide"]),
    ("deltafreight.example", "Chen Jensen", "purchase", 60000, ["Q4 paid search", "Spring product webinar"]),
    ("evergreenfoods.example", "Bea Garcia", "purchase", 40000, ["Warehouse ROI guide", "Spring product webinar"]),
    ("irisbio.example", "Jo Kowalski", "purchase", 55000, ["LogiMAT trade show", "Analyst briefing"]),
    ("harborfin.example", "Alex Eriksen", "lost", 70000, ["LinkedIn awareness ads", "Q4 paid search"]),
    ("granitelegal.example", "Farah Costa", "lost", 25000, ["LinkedIn awareness ads", "Executive gift box"]),
    ("fable.example", "Goran Haddad", "lost", 30000, ["LinkedIn awareness ads", "Monthly newsletter"]),
]
# How many days ago each deal's lead arrived (its walk takes a fortnight). Two are won late in the year, where
# the metric year's own wins are few (its enterprise deals take a quarter): with them, wins fall in 11 or more
# of the year's 13 calendar months whatever day it is loaded.
ARRIVED = [300, 275, 250, 225, 200, 112, 60, 125, 100, 75]
FIT_RULES = [
    {"label": "Enterprise account", "when": {"field": "segment", "op": "eq", "value": "enterprise"}, "points": 30},
    {"label": "Mid-market account", "when": {"field": "segment", "op": "eq", "value": "mid_market"}, "points": 15},
    {"label": "1,000+ employees", "when": {"field": "employees", "op": "gte", "value": 1000}, "points": 15},
    {
        "label": "Industry we win in",
        "when": {"field": "industry", "op": "in", "value": ["Logistics", "Manufacturing", "Energy"]},
        "points": 15,
    },
    {"label": "Budget confirmed", "when": {"field": "has_budget", "op": "is_true"}, "points": 10},
    {"label": "No email to reach them", "when": {"field": "email", "op": "absent"}, "points": -20},
]
ENGAGEMENT_RULES = [
    {"kind": "form_fill", "points": 25, "half_life_days": 30, "cap": 50},
    {"kind": "webinar_attended", "points": 15, "half_life_days": 30, "cap": 30},
    {"kind": "event_met", "points": 20, "half_life_days": 45, "cap": 40},
    {"kind": "meeting_booked", "points": 30, "half_life_days": 30, "cap": 30},
    {"kind": "download", "points": 8, "half_life_days": 30, "cap": 24},
    {"kind": "email_click", "points": 3, "half_life_days": 14, "cap": 12},
    {"kind": "visit", "points": 1, "half_life_days": 14, "cap": 10},
    {"kind": "ad_click", "points": 2, "half_life_days": 7, "cap": 6},
]
KIND_OF = {
    "event": "event_met",
    "trade_show": "event_met",
    "webinar": "webinar_attended",
    "email": "email_click",
    "content": "download",
    "paid_search": "ad_click",
    "paid_social": "ad_click",
    "partner": "meeting_booked",
    "direct_mail": "visit",
    "other": "form_fill",
}


def campaign_dates(today: date) -> dict[str, tuple[date, date | None]]:
    """Each campaign's first and last day (None: still running), counted back from today."""
    dates = {}
    for name, _, ago, ran, _ in CAMPAIGNS:
        starts = today - timedelta(days=ago)
        dates[name] = (starts, starts + timedelta(days=ran) if ran else None)
    return dates


def _campaigns(users: dict[str, User], today: date) -> dict[str, Campaign]:
    made, dates = {}, campaign_dates(today)
    for name, channel, ago, ran, monthly in CAMPAIGNS:
        campaign = Campaign.objects.filter(name=name).first()
        owner = users["mark"] if len(made) % 2 == 0 else users["meg"]
        starts, ends = dates[name]
        months = max((ran or ago) // 30, 1)
        budget = (monthly * months * Decimal("1.1")).quantize(Decimal(1))
        fields = {"starts_on": starts, "ends_on": ends, "budget": budget, "requires_sales_preview": True}
        if campaign is None:
            campaign = campaign_create(user=users["mia"], name=name, channel=channel, owner=owner, **fields)
        else:  # the funnel story's campaigns: give them a plan and a budget
            campaign = campaign_update(user=users["mia"], campaign_id=campaign.pk, **fields)
        campaign_submit_for_preview(user=users["mia"], campaign_id=campaign.pk)
        campaign_preview_decide(user=users["sam"], campaign_id=campaign.pk, decision="approved", comments="Agreed.")
        _spend(users, campaign, monthly, starts, ends or today)
        if ends and ends < today:
            campaign_complete(user=users["mia"], campaign_id=campaign.pk)
        made[name] = campaign
    return made


def _spend(users, campaign: Campaign, monthly: Decimal, starts: date, ends: date) -> None:
    """A spend line a month (one line for a short event), inside the campaign's dates."""
    months = max((ends - starts).days // 30, 1)
    for month in range(months):
        day = min(starts + timedelta(days=30 * month), ends)
        campaign_spend_record(user=users["mia"], campaign_id=campaign.pk, spent_on=day, amount=monthly, note="Invoice")


def _deals(users: dict[str, User], campaigns: dict[str, Campaign], now) -> list[dict]:
    touches = []
    for index, (domain, contact, outcome, value, path) in enumerate(DEALS):
        first, last = contact.split()
        company = Company.objects.get(domain=domain)
        start = now - timedelta(days=ARRIVED[index])
        lead = lead_create(
            actor=users["admin"],
            owner=users["mark"],
            at=start,
            data={
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@{domain}",
                "company_name": company.name,
                "company_domain": domain,
                "segment": company.segment,
                "industry": company.industry,
                "territory": company.territory,
                "expected_value": Decimal(value),
                "gross_margin": Decimal(value) * Decimal("0.6"),
                "source_campaign": campaigns[path[0]],
                "has_need": True,
                "has_budget": True,
                "has_authority": True,
                "has_timeline": True,
            },
        )
        Lead.objects.filter(pk=lead.pk).update(score=75)  # walked to purchase under the story's manual scores
        for step, name in enumerate(path):
            campaign = campaigns[name]
            at = start - timedelta(days=10) + timedelta(days=4 * step)
            touches.append(_touch(lead, campaign, at, f"deal-{index}-{step}"))
        _walk(lead, outcome, users, start)
    return touches


def _touch(lead: Lead, campaign: Campaign, at, key: str) -> dict:
    if campaign.channel in ("event", "trade_show"):  # people are met where the event was, when it was
        at = min(at, timezone.make_aware(datetime.combine(campaign.starts_on, time(11))))
    return {
        "key": key,
        "lead": lead.pk,
        "campaign": campaign.pk,
        "kind": KIND_OF[campaign.channel],
        "occurred_at": at.isoformat(),
    }


def _story_touches(campaigns: dict[str, Campaign], now) -> list[dict]:
    """The funnel story's open leads: a few touches each, from their source campaign and others."""
    rng = random.Random(11)
    names = list(campaigns)
    touches = []
    for lead in Lead.objects.filter(purchases__isnull=True).exclude(email__startswith="dana.haddad"):
        source = lead.source_campaign.name if lead.source_campaign else rng.choice(names)
        for step in range(rng.randint(1, 4)):
            name = source if step == 0 else rng.choice(names)
            at = max(lead.created_at - timedelta(days=2), now - timedelta(days=300)) + timedelta(days=5 * step)
            touches.append(_touch(lead, campaigns[name], min(at, now - timedelta(hours=1)), f"story-{lead.pk}-{step}"))
    dana = Lead.objects.get(email="dana.haddad@cedarhealth.example")  # the story needs her under MQL's 40
    touches.append(_touch(dana, campaigns["Monthly newsletter"], now - timedelta(days=3), "story-dana"))
    return touches


def _story_customer_touches(campaigns: dict[str, Campaign], touched: set[int]) -> list[dict]:
    """The story's customers a campaign sourced came in through its touch: without one, this month's
    marketing-sourced revenue and campaign return read nothing though the leads name their campaign."""
    customers = Lead.objects.filter(purchases__isnull=False, source_campaign__isnull=False).exclude(pk__in=touched)
    return [
        _touch(lead, campaigns[lead.source_campaign.name], lead.created_at - timedelta(hours=3), f"story-in-{lead.pk}")
        for lead in customers.select_related("source_campaign").distinct()
    ]


def _collateral(users: dict[str, User]) -> None:
    deck = collateral_create(
        user=users["mark"],
        title="Enterprise logistics deck",
        kind="deck",
        stages=["intent", "evaluation"],
        link="https://docs.example/decks/enterprise-logistics-v1.pdf",
    )
    collateral_version_review(user=users["sam"], version_id=deck.pk, decision="approved", comments="Use it.")
    collateral_version_release(user=users["mark"], version_id=deck.pk)
    study = collateral_create(
        user=users["meg"],
        title="Northwind ROI case study",
        kind="case_study",
        stages=["evaluation"],
        link="https://docs.example/case-studies/northwind-v1.pdf",
        notes="Numbers approved by Northwind's CFO.",
    )
    collateral_version_review(
        user=users["rob"],
        version_id=study.pk,
        decision="changes_requested",
        comments="Lead with the 14 % fuel saving; buyers skip page one.",
    )
    collateral_create(
        user=users["meg"],
        title="2027 price sheet",
        kind="price_sheet",
        stages=["evaluation"],
        link="https://docs.example/pricing/2027-v1.pdf",
        notes="Awaiting sales review before it goes to any buyer.",
    )


def _scoring(users: dict[str, User]) -> None:
    active = scoring_version_propose(
        user=users["mark"], fit_rules=FIT_RULES, engagement_rules=ENGAGEMENT_RULES, note="Agreed at the kickoff."
    )
    scoring_version_sign_off(version_id=active.pk, user=users["mia"])
    scoring_version_sign_off(version_id=active.pk, user=users["sam"])
    heavier_events = [{**rule, "points": 30} if rule["kind"] == "event_met" else rule for rule in ENGAGEMENT_RULES]
    scoring_version_propose(
        user=users["meg"],
        fit_rules=FIT_RULES,
        engagement_rules=heavier_events,
        note="Events close deals: weigh meeting someone at an event more.",
    )


@transaction.atomic
def seed_marketing(users: dict[str, User]) -> list[str]:
    """Returns the story's marketing lines; a second run adds nothing."""
    if Touch.objects.exists():
        return []
    now = timezone.now()
    campaigns = _campaigns(users, timezone.localdate())  # the installation's day, as the metric year's
    touches = _deals(users, campaigns, now) + _story_touches(campaigns, now)
    touches += _story_customer_touches(campaigns, {t["lead"] for t in touches})
    batch = touches_record(user=users["bot"], items=touches, all_or_nothing=True)
    if batch.rejected:
        raise ValueError(f"demo touches refused: {batch.rejected}")
    _collateral(users)
    _scoring(users)
    lead_scores_refresh(cause="recompute")
    attribution_rebuild()
    rows = {row.name: row for row in campaign_performance(model="linear")}
    summit, ads = rows["Logistics Summit Berlin"], rows["LinkedIn awareness ads"]
    return [
        "The marketing year to try:",
        f"  - campaigns: Logistics Summit Berlin returned {summit.return_on_spend}× its spend (linear credit); "
        f"LinkedIn awareness ads returned {ads.return_on_spend or 0}× on ${ads.spend:,.0f} spent;",
        "  - scoring: v1 is signed; meg's v2 weighs events more — open it to see what it would change, then sign;",
        "  - collateral: rob asked for changes to the Northwind case study; the 2027 price sheet awaits sales review.",
    ]
