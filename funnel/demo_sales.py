"""The demo company's sales side: key accounts, a complete "who to call" directory, a year of typed call
reports whose recurring objections and competitors the insight digest surfaces, key-account reviews with an
overdue action item, and last month's joint meeting.

The year of reports is history (past next steps included), so it is written directly in bulk; everything a
person does today — reviews, directory lines, the meeting — goes through the services.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.choices import InteractionChannel, InterestLevel, Sentiment, TagKind, TagStatus
from crm.directory import ROLES
from crm.models import CallReport, CallReportTag, Collateral, Company, Contact, Responsibility, Tag
from crm.services.directory import responsibility_create
from crm.services.reviews import ActionDraft, action_item_close, review_hold
from crm.taxonomy_defaults import default_terms_ensure
from funnel.insight import periods
from funnel.insight.choices import PeriodKind
from funnel.insight.models import Digest
from funnel.insight.services import digest_compute, insight_response_create
from funnel.meetings.models import JointMeeting
from funnel.meetings.services import meeting_action_item_add, meeting_create
from leads.models import Lead

KEY_ACCOUNTS = {  # domain: (tier, owner)
    "northwind.example": (1, "rob"),
    "acme-robotics.example": (1, "rae"),
    "kestrel.example": (2, "rob"),
    "irisbio.example": (3, "rae"),
}
COMPETITORS = [
    ("salesforce", "Salesforce", ["sfdc", "sales cloud"]),
    ("hubspot", "HubSpot", ["hub spot"]),
    ("pipedrive", "Pipedrive", []),
]
# (slug, weight before, weight in the last six weeks): price keeps coming up; a capability gap is rising.
OBJECTIONS = [
    ("price_value", 6, 6),
    ("competitor", 4, 4),
    ("timing", 3, 2),
    ("product_gap", 1, 6),
    ("status_quo", 2, 2),
    ("authority", 1, 1),
    ("budget", 2, 1),
]
# What reps wrote down, per objection; a competitor quote names the competitor the report is tagged with.
QUOTES = {
    "price_value": [
        "Twice what we pay today for the same seats.",
        "Finance wants the ROI before any pilot.",
        "Per-seat pricing hurts once the SDRs are in.",
    ],
    "product_gap": [
        "Needs offline mode for the warehouse floor.",
        "No native SAP connector is a blocker.",
        "They asked for territory planning; we have none.",
    ],
    "competitor": [
        ("Salesforce offered a free first year.", "salesforce"),
        ("HubSpot is already in marketing's hands.", "hubspot"),
        ("Pipedrive is cheaper for the small branches.", "pipedrive"),
    ],
    "timing": ["Come back after the Q1 reorganisation.", "Budget frozen until the new fiscal year."],
}
OUTCOMES = ["Discovery done", "Demo given", "Proposal discussed", "Pricing questions", "Follow-up agreed"]


def _key_accounts(users: dict[str, User]) -> None:
    for domain, (tier, owner) in KEY_ACCOUNTS.items():
        Company.objects.filter(domain=domain).update(is_key_account=True, key_account_tier=tier, owner=users[owner])
    roles = ["decision_maker", "champion", "influencer", "user", "blocker"]
    for i, contact in enumerate(Contact.objects.filter(buying_role="").order_by("id")):
        contact.buying_role = roles[i % len(roles)]
        contact.save(update_fields=["buying_role"])


def _competitor_tags(users: dict[str, User]) -> None:
    default_terms_ensure(Tag)
    for slug, label, synonyms in COMPETITORS:
        Tag.objects.get_or_create(kind=TagKind.COMPETITOR, slug=slug, defaults={"label": label, "synonyms": synonyms})
    # A rep's suggestion waiting for a curator: stored on reports, counted once accepted.
    Tag.objects.get_or_create(
        kind=TagKind.COMPETITOR,
        slug="zoho",
        defaults={"label": "Zoho", "status": TagStatus.SUGGESTED, "suggested_by": users["rae"]},
    )


def _pick(rng: random.Random, weighted: list[tuple[str, int]], k: int) -> set[str]:
    slugs, weights = zip(*weighted, strict=True)
    return set(rng.choices(slugs, weights=weights, k=k))


def _heard(rng: random.Random, *, recent: bool) -> tuple[set[str], set[str], str]:
    """A report's objections, competitors and, for four in ten, the rep's note quoting the one objection."""
    weighted = [(slug, recent_weight if recent else weight) for slug, weight, recent_weight in OBJECTIONS]
    if rng.random() >= 0.4:
        named = rng.random() < 0.5
        competitors = _pick(rng, [("salesforce", 5), ("hubspot", 3), ("pipedrive", 1), ("zoho", 1)], 1)
        return _pick(rng, weighted, 2), competitors if named else set(), ""
    objection = next(iter(_pick(rng, [(slug, w) for slug, w in weighted if slug in QUOTES], 1)))
    quote = rng.choice(QUOTES[objection])
    if isinstance(quote, tuple):
        return {objection}, {quote[1]}, quote[0]
    return {objection}, set(), quote


def _year_of_reports(users: dict[str, User], today: date, rng: random.Random) -> int:
    """About 15 reports a week for a year, on the demo's leads, by the reps and the SDR."""
    tags = {(t.kind, t.slug): t for t in Tag.objects.all()}
    leads = list(Lead.objects.exclude(company=None).select_related("company").order_by("id"))
    authors = [users["rob"], users["rae"], users["sid"]]
    reports, picked = [], []
    for days_ago in range(365, 0, -1):
        for _ in range(rng.choice([1, 2, 2, 3])):
            lead = rng.choice(leads)
            objections, competitors, quote = _heard(rng, recent=days_ago <= 42)
            occurred = today - timedelta(days=days_ago)
            reports.append(
                CallReport(
                    lead=lead,
                    company=lead.company,
                    author=rng.choice(authors),
                    occurred_on=occurred,
                    channel=rng.choice(InteractionChannel.values),
                    outcome=rng.choice(OUTCOMES),
                    notes=f"{quote} ({lead.company.name})" if quote else "",
                    next_step="Send the proposal" if rng.random() < 0.3 else "",
                    next_step_on=occurred + timedelta(days=7) if rng.random() < 0.3 else None,
                    interest_level=rng.choice(InterestLevel.values),
                    sentiment=rng.choice(Sentiment.values),
                    lead_stage=lead.stage,
                    segment=lead.segment or lead.company.segment,
                    campaign_id=lead.source_campaign_id,
                )
            )
            product = "analytics" if rng.random() < 0.35 else "core"
            needs = _pick(rng, [("lead_routing", 3), ("reporting", 2), ("integration", 2), ("alignment", 3)], 1)
            feedback = (
                _pick(rng, [("ease_of_use", 3), ("performance", 1), ("mobile", 2)], 1) if rng.random() < 0.25 else set()
            )
            picked.append(
                [("objection", s) for s in objections]
                + [("competitor", s) for s in competitors]
                + [("product", product)]
                + [("need", s) for s in needs]
                + [("feedback", s) for s in feedback]
            )
    CallReport.objects.bulk_create(reports, batch_size=1000)
    pairs = zip(reports, picked, strict=True)
    links = [CallReportTag(report=report, tag=tags[key]) for report, keys in pairs for key in keys]
    CallReportTag.objects.bulk_create(links, batch_size=2000)
    return len(reports)


@transaction.atomic
def seed_sales_history(users: dict[str, User], *, seed: int = 11) -> int:
    """Key accounts, competitor tags and a year of call reports; returns how many reports were written."""
    rng = random.Random(seed)
    _key_accounts(users)
    _competitor_tags(users)
    return _year_of_reports(users, timezone.localdate(), rng)


# segment, territory, company domain, product slug; rep, marketer, liaison, manager; days since last confirmed
DIRECTORY = [
    ("", "", None, None, None, None, "sid", "rita", 20),
    ("enterprise", "", None, None, "rob", "mark", "sid", "sam", 30),
    ("mid_market", "", None, None, "rae", "meg", "sid", "sam", 45),
    ("smb", "", None, None, "rae", "meg", None, "sam", 240),
    ("enterprise", "APAC", None, None, "rae", None, None, None, 60),
    ("", "", None, "analytics", None, "meg", None, None, 10),
    ("", "", "northwind.example", None, "rob", "mark", None, None, 5),
    ("", "", "acme-robotics.example", None, "rae", "mark", None, None, 200),
]


def _directory(users: dict[str, User]) -> None:
    products = {t.slug: t for t in Tag.objects.filter(kind=TagKind.PRODUCT)}
    now = timezone.now()
    for segment, territory, domain, product, *people, days in DIRECTORY:
        line = responsibility_create(
            user=users["rita"],
            segment=segment,
            territory=territory,
            company=Company.objects.get(domain=domain) if domain else None,
            product=products[product] if product else None,
            **{role: users[name] if name else None for role, name in zip(ROLES, people, strict=True)},
        )
        # Lines age: the directory page flags those nobody confirmed for six months.
        Responsibility.objects.filter(pk=line.pk).update(confirmed_at=now - timedelta(days=days))


def _reviews(users: dict[str, User], today: date) -> None:
    northwind = Company.objects.get(domain="northwind.example")
    review_hold(
        company=northwind,
        held_on=today - timedelta(days=20),
        attendees=[users["rob"], users["sam"], users["mark"]],
        notes="Rollout to the Hamburg hub went well; the Rotterdam team still works from spreadsheets.",
        decisions="Marketing builds a Rotterdam case study; sales proposes the analytics add-on in Q1.",
        action_items=[
            ActionDraft("Draft the Rotterdam case study", users["mark"], today - timedelta(days=6)),
            ActionDraft("Send the analytics add-on proposal", users["rob"], today + timedelta(days=10)),
        ],
        by=users["sam"],
    )
    review_hold(
        company=Company.objects.get(domain="acme-robotics.example"),
        held_on=today - timedelta(days=150),
        attendees=[users["rae"], users["sam"], users["meg"]],
        notes="Renewal is safe; procurement asks for a price review every year.",
        decisions="Offer a two-year term at this year's price.",
        by=users["sam"],
    )


def _meetings(users: dict[str, User], today: date) -> JointMeeting:
    last = meeting_create(held_on=today - timedelta(days=30), opportunity_threshold=Decimal("50000"), by=users["rita"])
    meeting_action_item_add(
        meeting=last,
        title="Refresh the price objection handling sheet",
        owner=users["meg"],
        due_on=today - timedelta(days=9),
        by=users["rita"],
    )
    done = meeting_action_item_add(
        meeting=last,
        title="Agree the SQL definition's budget criterion",
        owner=users["sam"],
        due_on=today - timedelta(days=20),
        by=users["rita"],
    )
    action_item_close(item_id=done.pk, status="done", by=users["sam"])
    return meeting_create(held_on=today + timedelta(days=5), opportunity_threshold=Decimal("50000"), by=users["rita"])


def _digests(users: dict[str, User], today: date) -> Digest:
    week = periods.period_containing(period_kind=PeriodKind.WEEK, day=today)
    for weeks_back in range(1, 9):
        digest_compute(period_kind=PeriodKind.WEEK, period_start=week - timedelta(weeks=weeks_back))
    month = today.replace(day=1)
    for start in (periods.previous_start(period_kind=PeriodKind.MONTH, period_start=month), month):
        digest_compute(period_kind=PeriodKind.MONTH, period_start=start)
    price = Tag.objects.get(kind=TagKind.OBJECTION, slug="price_value")
    study = Collateral.objects.filter(kind="case_study").order_by("id").first()
    if study is not None:
        insight_response_create(
            user=users["mark"],
            tag_id=price.pk,
            collateral_id=study.pk,
            note="ROI case study with payback in months, for 'too expensive'.",
        )
    return digest_compute(period_kind=PeriodKind.WEEK, period_start=week - timedelta(weeks=1))


def seed_sales(users: dict[str, User]) -> list[str]:
    """Returns the story's sales lines; a second run adds nothing."""
    if Responsibility.objects.exists():
        return []
    reports = seed_sales_history(users)
    today = timezone.localdate()
    with transaction.atomic():
        _directory(users)
        _reviews(users, today)
        upcoming = _meetings(users, today)
    digest = _digests(users, today)
    top = digest.counts.filter(dimension="all", tag__kind=TagKind.OBJECTION).order_by("-count").first()
    heard = f"{top.tag.label} ({top.count} times)" if top else "nothing yet"
    return [
        "The sales side to try:",
        f"  - {reports:,} call reports over the year; last week's digest leads with {heard} (Insights);",
        "  - Northwind's review left mark an overdue action item; Acme was last reviewed 150 days ago;",
        f"  - the joint meeting on {upcoming.held_on} has its agenda ready, with last meeting's open item carried;",
        "  - Who to call: the Acme line was not confirmed for 200 days and is flagged.",
    ]
