"""The demo's year of leads, decided up front with a seeded random generator (pure code, no database):
who each lead is, where it came from, when it arrived, how far it will go and how long each step takes.
funnel.demo_metrics then lives that year through the services, step by step.

The story the numbers tell:
- enterprise converts best but slowly (weeks per stage; a deal takes a quarter or more), small business
  converts fast and seldom, mid-market sits between;
- LinkedIn awareness ads bring the most leads and never a customer: the SDRs reject many as not our profile;
- sales-sourced leads (no campaign) are fewer and convert well; some were influenced by the newsletter or the
  ROI guide before they became opportunities.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from crm.choices import Segment
from funnel.metrics.choices import PeriodKind
from funnel.metrics.periods import Period, period_of

# The year's sources: campaign name and weight (how many leads it brings while it runs). None = sales-sourced.
# The Berlin summit is left to the marketing story (its return is the number that story quotes).
SOURCES = [
    ("LinkedIn awareness ads", 6),
    ("Q4 paid search", 4),
    ("Spring product webinar", 4),
    ("Warehouse ROI guide", 2),
    ("Monthly newsletter", 1),
    ("Partner referrals", 1),
    ("Executive gift box", 2),
    ("Analyst briefing", 2),
    ("LogiMAT trade show", 25),
    (None, 4),
]
SEED_WALK = 2027  # the walk's draws, apart from the plan's
NO_CUSTOMER = "LinkedIn awareness ads"  # its leads never buy: the marketing story's "never pays back"
# Campaigns that may touch a lead besides its source (never the two whose returns the marketing story quotes).
INFLUENCERS = ["Monthly newsletter", "Warehouse ROI guide", "Spring product webinar", "Q4 paid search"]
FORWARD = ["interest", "consideration", "intent", "evaluation", "purchase"]
YEAR_DAYS = 360  # the first lead arrives this many days before the start of today


@dataclass(frozen=True)
class Profile:
    """A segment's funnel: its share of leads, deal size, margin, the chance of each forward step and the
    typical days before each (FORWARD order)."""

    share: float
    values: tuple[int, int]
    margin: float
    chances: tuple[float, ...]
    lags: tuple[float, ...]
    employees: tuple[int, int]


PROFILES = {
    Segment.ENTERPRISE: Profile(
        0.25, (80_000, 260_000), 0.62, (0.9, 0.85, 0.8, 0.85, 0.7), (5, 14, 12, 20, 40), (1500, 15000)
    ),
    Segment.MID_MARKET: Profile(
        0.35, (25_000, 90_000), 0.55, (0.85, 0.75, 0.7, 0.8, 0.6), (3, 7, 5, 9, 16), (200, 1400)
    ),
    Segment.SMB: Profile(0.40, (5_000, 25_000), 0.45, (0.75, 0.6, 0.6, 0.7, 0.55), (2, 4, 3, 4, 8), (10, 190)),
}
PREFIXES = ["Alder", "Birch", "Cobalt", "Dune", "Ember", "Falcon", "Garnet", "Heron", "Indigo", "Jasper", "Kite"]
PREFIXES += ["Larch", "Maple", "Nimbus", "Onyx", "Pike", "Quartz", "Raven", "Sable", "Tundra", "Vale", "Willow"]
SUFFIXES = [
    ("Logistics", "Logistics"),
    ("Freight", "Logistics"),
    ("Foods", "Retail"),
    ("Health", "Healthcare"),
    ("Systems", "Manufacturing"),
    ("Energy", "Energy"),
    ("Labs", "Healthcare"),
    ("Finance", "Finance"),
    ("Works", "Manufacturing"),
    ("Media", "Media"),
]
TERRITORIES = [("EMEA", 4), ("NA-East", 3), ("NA-West", 2), ("APAC", 1)]
FIRST = ["Ava", "Ben", "Cleo", "Dev", "Elif", "Finn", "Gia", "Hugo", "Isla", "Jon", "Kira", "Leo", "Mina", "Noah"]
FIRST += ["Oona", "Paul", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wes", "Yara", "Zoe"]
LAST = ["Adler", "Berg", "Chen", "Diaz", "Egan", "Ford", "Gupta", "Holm", "Iqbal", "Jones", "Klein", "Lopez"]
LAST += ["Moreno", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Silva", "Tran", "Ueda", "Varga", "Wolff"]


@dataclass(frozen=True)
class CompanyPlan:
    name: str
    domain: str
    industry: str
    segment: str
    territory: str
    employees: int


@dataclass
class LeadPlan:
    company: CompanyPlan
    first: str
    last: str
    source: str | None
    created: datetime
    value: Decimal | None
    margin: Decimal | None
    facts: dict[str, bool | None]
    reach: int  # how many FORWARD steps it is meant to take
    lags: list[float]  # days before each FORWARD step
    influencers: list[str] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"{self.first.lower()}.{self.last.lower()}@{self.company.domain}"


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights, k=1)[0]


def plan_companies(rng: random.Random, count: int) -> list[CompanyPlan]:
    names = [(p, s) for p in PREFIXES for s in SUFFIXES]
    rng.shuffle(names)
    segments = [(segment, profile.share) for segment, profile in PROFILES.items()]
    companies = []
    for prefix, (suffix, industry) in names[:count]:
        segment = _weighted(rng, segments)
        low, high = PROFILES[segment].employees
        companies.append(
            CompanyPlan(
                name=f"{prefix} {suffix}",
                domain=f"{prefix}{suffix}.example".lower(),
                industry=industry,
                segment=segment,
                territory=_weighted(rng, TERRITORIES),
                employees=rng.randint(low, high),
            )
        )
    return companies


def _running(windows: dict[str, tuple[date, date | None]], day: date) -> list[tuple[str | None, int]]:
    """The sources a lead arriving on `day` may come from: campaigns running that day, and sales."""
    live = []
    for name, weight in SOURCES:
        if name is None:
            live.append((None, weight))
            continue
        starts, ends = windows.get(name, (None, None))
        if starts is not None and starts <= day and (ends is None or day <= ends):
            live.append((name, weight))
    return live


def _reach(rng: random.Random, profile: Profile, source: str | None) -> int:
    reach = 0
    for step, chance in enumerate(profile.chances):
        if source == NO_CUSTOMER:
            chance *= (1, 0.45, 0.6, 0.8, 0)[step]
        elif source is None:
            chance = min(0.95, chance * 1.15)
        if rng.random() >= chance:
            break
        reach += 1
    return reach


def _money(rng: random.Random, profile: Profile) -> tuple[Decimal, Decimal]:
    value = Decimal(rng.randrange(*profile.values, 500))
    margin = (value * Decimal(str(profile.margin + rng.uniform(-0.08, 0.08)))).quantize(Decimal(1))
    return value, margin


def plan_leads(
    rng: random.Random, companies: list[CompanyPlan], windows: dict, now: datetime, count: int
) -> list[LeadPlan]:
    """`count` leads arriving over the last year, more of them lately (marketing grew), oldest first."""
    plans, used = [], set()
    first_day = now - timedelta(days=YEAR_DAYS)
    for _ in range(count):
        days = (YEAR_DAYS - 3) * rng.random() ** 0.9  # a little more lately: marketing grew
        created = (first_day + timedelta(days=days)).replace(minute=rng.randrange(60), second=0, microsecond=0)
        created = created.replace(hour=rng.choice([8, 9, 10, 11, 13, 14, 15, 16]))
        source = _weighted(rng, _running(windows, created.date()))
        company = rng.choice(companies)
        profile = PROFILES[company.segment]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        while (first, last, company.domain) in used:
            first, last = rng.choice(FIRST), rng.choice(LAST)
        used.add((first, last, company.domain))
        reach = _reach(rng, profile, source)
        value, margin = _money(rng, profile) if reach >= 2 or rng.random() < 0.3 else (None, None)
        qualified = reach >= 3  # SQL needs three of BANT confirmed and a value
        facts = {
            "has_need": qualified or rng.random() < 0.5,
            "has_budget": qualified or None,
            "has_authority": qualified or None,
            "has_timeline": (rng.random() < 0.6) if qualified else None,
        }
        lags = [lag * rng.uniform(0.5, 1.7) for lag in profile.lags]
        pool = [name for name in INFLUENCERS if name != source]
        influencers = rng.sample(pool, k=rng.choice([0, 1, 1, 2])) if source != NO_CUSTOMER else []
        plans.append(LeadPlan(company, first, last, source, created, value, margin, facts, reach, lags, influencers))
    return sorted(plans, key=lambda plan: plan.created)


def slipped_month(today: date) -> Period:
    """The month the SLAs slipped (two SDRs off sick, a rep on leave): the month before last. Not last month:
    on the first days of a month, last month holds the funnel story's handoffs of the last five weeks
    (funnel.demo, all answered in time), and they outvoted the slip on some dates."""
    last_month = period_of(kind=PeriodKind.MONTH, day=today.replace(day=1) - timedelta(days=1))
    return period_of(kind=PeriodKind.MONTH, day=last_month.start - timedelta(days=1))


def lead_rng(index: int) -> random.Random:
    """The draws of one lead's walk, its own: a lead whose walk takes another turn on another date (a handoff
    answered after a weekend, a score a point under the bar) must not reshuffle every later lead's year."""
    return random.Random(f"{SEED_WALK}-{index}")
