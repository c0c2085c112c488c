"""Row generation for bench/generate.py: leads, their stage histories and handoffs as COPY text lines.

Pure code, no database. Every lead's history is a legal walk of the default funnel graph (funnel migration
0002): forward one stage, back one stage, out to lost or nurture, nurture back in at the top, lost recycled to
nurture. Owners follow the stage's owning function, and a handoff row exists wherever the function changed
on the way into an open stage, as funnel.services.handoff_open would have written it.
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate

FUNNEL = ["awareness", "interest", "consideration", "intent", "evaluation", "purchase"]
LAST_OPEN = FUNNEL.index("evaluation")  # the furthest stage a lead can leave for lost or nurture
FUNCTION = {
    "awareness": "marketing",
    "interest": "marketing",
    "consideration": "shared",
    "intent": "sales",
    "evaluation": "sales",
    "purchase": "sales",
    "lost": "sales",
    "nurture": "marketing",
}
OUTCOMES = frozenset({"lost", "nurture"})
# Where leads stand: most never leave awareness; a few per cent buy.
STAGE_WEIGHTS = {
    "awareness": 38,
    "interest": 18,
    "consideration": 11,
    "intent": 7,
    "evaluation": 5,
    "purchase": 4,
    "lost": 9,
    "nurture": 8,
}
# How many times a lead went out to nurture (or lost) and came back before its last run; tuned so a lead
# has about five transitions on average.
RECYCLE_WEIGHTS = [50, 30, 14, 6]
SCORE_RANGE = {
    "awareness": (0, 45),
    "interest": (15, 60),
    "consideration": (30, 75),
    "intent": (45, 85),
    "evaluation": (55, 95),
    "purchase": (60, 100),
    "lost": (0, 70),
    "nurture": (5, 50),
}
LOST_REASONS = ["No budget this year", "Chose a competitor", "Unreachable after repeated attempts", "No need"]
NURTURE_REASONS = ["Bad timing: revisit next quarter", "Not ready to talk to sales", "Handoff rejected: bad timing"]
FIRST_NAMES = (  # noqa: SIM905 - a word list reads best as words
    "Ada Alan Amir Anna Ben Carla Chen Dana David Elena Emil Eva Farah Felix Grace Hana Hugo Ines Ivan "
    "Jamal Jana Jonas Kai Kim Lars Lea Luca Maria Mateo Mei Nadia Noah Olga Omar Paula Pedro Priya Quinn "
    "Rosa Sam Sara Sofia Tariq Tom Uma Vera Wei Yara Yusuf Zoe"
).split()
LAST_NAMES = (  # noqa: SIM905 - a word list reads best as words
    "Abara Baker Berg Costa Dubois Eriksen Fischer Garcia Hansen Ito Jensen Kaur Kowalski Larsen Lopez "
    "Meyer Moreau Nakamura Nguyen Novak Okafor Olsen Park Patel Petrov Quinn Rossi Santos Schmidt Silva "
    "Smith Suzuki Tanaka Torres Varga Wagner Walsh Weber Wong Yilmaz Zhang"
).split()
TITLES = ["CTO", "CFO", "Head of Operations", "IT Manager", "Procurement Lead", "VP Sales", "Engineer", "Analyst", ""]
FREE_MAIL = ["example.com", "example.net", "example.org"]
NULL = "\\N"


def ts(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(epoch))


def _opt(value: object) -> str:
    return NULL if value is None else str(value)


def _bool(value: bool | None) -> str:
    return NULL if value is None else ("t" if value else "f")


@dataclass(frozen=True)
class Refs:
    """Ids of the reference rows the leads point at, loaded from the database by generate.py."""

    owners: dict[str, list[tuple[int, int]]]  # function → [(user id, team id)]
    # id, name, domain, industry, segment, territory, employees, size_band, is_key_account
    companies: list[tuple[int, str, str, str, str, str, int | None, str, bool]]
    campaigns: list[int]


@dataclass
class Batch:
    leads: list[str] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)
    handoffs: list[str] = field(default_factory=list)
    stages: Counter = field(default_factory=Counter)


def stage_path(target: str, rng: random.Random) -> list[str]:
    """The stages a lead entered, in order, starting at awareness and ending at `target`."""
    path, at = ["awareness"], 0

    def forward(steps: int) -> int:
        path.extend(FUNNEL[at + 1 : at + 1 + steps])
        return at + steps

    for _ in range(rng.choices(range(len(RECYCLE_WEIGHTS)), RECYCLE_WEIGHTS)[0]):
        at = forward(rng.randint(0, min(2, LAST_OPEN - at)))
        if at >= 2 and rng.random() < 0.2:  # sales sent it back a stage, then it moved on again
            path += [FUNNEL[at - 1], FUNNEL[at]]
        path += ["lost", "nurture"] if rng.random() < 0.3 else ["nurture"]
        at = rng.choice((0, 0, 1, 1, 2))
        path.append(FUNNEL[at])
    if target in OUTCOMES:
        at = forward(rng.randint(0, max(0, min(2, LAST_OPEN - at))))
        path.append(target)
        return path
    goal = FUNNEL.index(target)
    while at > goal:
        at -= 1
        path.append(FUNNEL[at])
    return path + FUNNEL[at + 1 : goal + 1]


# The lead's criteria values in the order leads.criteria.FIELDS lists them (a test of the bench holds them equal).
CONTEXT_FIELDS = (
    "score",
    "expected_value",
    "employees",
    "size_band",
    "segment",
    "territory",
    "industry",
    "title",
    "email",
    "phone",
    "company",
    "source_campaign",
    "currency",
    "key_account",
    "has_budget",
    "has_authority",
    "has_need",
    "has_timeline",
)
FACT_DEPTH = (3, 3, 2, 4)  # budget, authority, need, timeline: the stage index by which each comes up
CALLING_STAGES = frozenset({"consideration", "intent", "evaluation", "purchase", "lost"})
COLLATERAL = (
    ("case_study", "Bench case study", 2),
    ("deck", "Bench sales deck", 3),
    ("price_sheet", "Bench prices", 1),
)
DAY = 86400


def _json_text(value: object) -> str:
    """A JSON scalar as COPY text carries it (no value here holds a quote, backslash, tab or newline)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


@dataclass
class Profile:
    """What a lead is, drawn once: its contact and company columns, and how its score, value and facts
    develop as it gets deeper into the funnel (`deepest`: the furthest FUNNEL index it has reached)."""

    columns: str  # first_name … industry of the lead row
    static: str  # the JSON members of its snapshot that never change along the path
    quality: float  # where in each stage's score range it sits: the score rises along the path
    value: str | None
    early_value: bool
    facts: tuple[tuple[bool, bool | None], ...]  # (confirmed once deep enough, the value before)
    company_id: int | None
    campaign: int | None
    states: dict[int, str] = field(default_factory=dict)  # deepest → the snapshot's members after the score

    def score(self, stage: str) -> int:
        low, high = SCORE_RANGE[stage]
        return low + int(self.quality * (high - low))

    def expected_value(self, deepest: int) -> str | None:
        return self.value if deepest >= 2 or self.early_value else None

    def fact_values(self, deepest: int) -> list[bool | None]:
        return [
            done if deepest >= needed else before for (done, before), needed in zip(self.facts, FACT_DEPTH, strict=True)
        ]

    def state(self, deepest: int) -> str:
        """The snapshot's JSON members after the score, as deep as `deepest` (a lead has few depths: cached)."""
        if deepest not in self.states:
            facts = ", ".join(
                f'"{name}": {_json_text(value)}'
                for name, value in zip(CONTEXT_FIELDS[-4:], self.fact_values(deepest), strict=True)
            )
            value = _json_text(self.expected_value(deepest))
            self.states[deepest] = f'"expected_value": {value}, {self.static}, {facts}}}'
        return self.states[deepest]


class Generator:
    """Deterministic for a seed: the same arguments give the same rows."""

    def __init__(self, refs: Refs, seed: int, now: float) -> None:
        self.refs, self.rng, self.now = refs, random.Random(seed), now
        self.stages, self.weights = list(STAGE_WEIGHTS), list(STAGE_WEIGHTS.values())

    def batch(self, first_lead: int, count: int, first_transition: int, first_handoff: int) -> Batch:
        batch = Batch()
        next_ids = [first_transition, first_handoff]
        targets = self.rng.choices(self.stages, self.weights, k=count)
        for offset, target in enumerate(targets):
            self._lead(first_lead + offset, target, batch, next_ids)
        return batch

    def _lead(self, lead_id: int, target: str, batch: Batch, next_ids: list[int]) -> None:
        rng = self.rng
        path = stage_path(target, rng)
        people = {function: rng.choice(pool) for function, pool in self.refs.owners.items()}
        gaps = [rng.uniform(600, 14 * DAY) for _ in path]
        created = self.now - sum(gaps) - rng.uniform(0, 400 * DAY)
        times = [*accumulate(gaps[:-1], initial=created), self.now]
        profile = self._profile(lead_id)
        previous_stage, previous_owner, reason, deepest = None, None, "", 0
        for step, stage in enumerate(path):
            owner, team = people[FUNCTION[stage]]
            transition_id, at = next_ids[0], times[step]
            next_ids[0] += 1
            reason = rng.choice(LOST_REASONS if stage == "lost" else NURTURE_REASONS) if stage in OUTCOMES else ""
            context = self._context(profile, previous_stage or stage, stage, deepest, at)
            batch.transitions.append(
                f"{transition_id}\t{lead_id}\t{previous_stage or NULL}\t{stage}\t{ts(at)}\t{reason}\t[]\t[]\t"
                f"{_opt(previous_owner)}\t{_opt(previous_owner)}\t{owner}\t{context}\n"
            )
            if previous_stage and FUNCTION[previous_stage] != FUNCTION[stage] and stage not in OUTCOMES:
                crossing = (FUNCTION[previous_stage], FUNCTION[stage], previous_owner, owner, team)
                batch.handoffs.append(self._handoff(next_ids[1], lead_id, transition_id, crossing, at, times[step + 1]))
                next_ids[1] += 1
            previous_stage, previous_owner = stage, owner
            deepest = max(deepest, FUNNEL.index(stage) if stage in FUNNEL else 0)
        owner, team = people[FUNCTION[target]]
        batch.leads.append(
            self._lead_line(lead_id, profile, target, deepest, (times[-2], created), owner, team, reason)
        )
        batch.stages[target] += 1

    def _context(self, profile: Profile, left: str, to_stage: str, deepest: int, at: float) -> str:
        """Transition.context as funnel.services.context.context_record writes it: the lead as it stood in the
        stage it `left` (for the capture, as captured), the last call report's day and the collateral used."""
        lead = f'{{"score": {profile.score(left)}, {profile.state(deepest)}'
        report, used = "null", "[]"
        draw = self.rng.random()
        if left in CALLING_STAGES or to_stage == "intent":
            if draw < 0.9:  # sales called within the last weeks: what "call report within N days" reads
                report = f'"{time.strftime("%Y-%m-%d", time.gmtime(at - draw * 28 * DAY))}"'
            elif draw < 0.95:
                report = f'"{time.strftime("%Y-%m-%d", time.gmtime(at - draw * 100 * DAY))}"'
            if draw < 0.06:
                kind, title, number = COLLATERAL[int(draw * 50) % len(COLLATERAL)]
                used = f'[["{kind}", "{title}", {number}]]'
        elif draw < 0.03:  # a marketer's early call
            report = f'"{time.strftime("%Y-%m-%d", time.gmtime(at - draw * 300 * DAY))}"'
        return f'{{"lead": {lead}, "last_call_report_on": {report}, "collateral_used": {used}}}'

    def _profile(self, lead_id: int) -> Profile:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = rng.choice(self.refs.companies) if rng.random() < 0.85 else None
        company_id, name, domain, industry, segment, territory, employees, size_band, key = company or (
            None,
            "",
            rng.choice(FREE_MAIL),
            "",
            "",
            "",
            None,
            "",
            None,
        )
        local = f"{first}.{last}.{lead_id}".lower()
        email = "" if rng.random() < 0.04 else f"{local}{'+ads' if rng.random() < 0.05 else ''}@{domain}"
        normalized = f"{local}@{domain}" if email else ""
        phone = f"+1 555 {rng.randrange(10**7):07d}" if rng.random() < 0.8 else ""
        title = rng.choice(TITLES)
        campaign = rng.choice(self.refs.campaigns) if rng.random() < 0.7 else None
        snapshot = {
            "employees": employees,
            "size_band": size_band,
            "segment": segment,
            "territory": territory,
            "industry": industry,
            "title": title,
            "email": email,
            "phone": phone,
            "company": name,
            "source_campaign": "" if campaign is None else str(campaign),
            "currency": "USD",
            "key_account": key,
        }
        return Profile(
            columns=f"{first}\t{last}\t{email}\t{normalized}\t{phone}\t{title}\t{name}\t{segment}\t{territory}\t"
            f"{industry}",
            static=", ".join(f'"{key}": {_json_text(value)}' for key, value in snapshot.items()),
            quality=rng.random(),
            value=f"{rng.lognormvariate(10.5, 1.2):.2f}",
            early_value=rng.random() < 0.1,
            facts=tuple((rng.random() < 0.9, None if rng.random() < 0.8 else False) for _ in FACT_DEPTH),
            company_id=company_id,
            campaign=campaign,
        )

    def _handoff(self, handoff_id, lead_id, transition_id, crossing, at: float, next_move: float) -> str:
        """Accepted by its receiver within hours, or at the latest by the lead's next move (which accepts a
        pending handoff); still pending only when opened by the lead's last move in the last hours."""
        from_function, to_function, from_owner, owner, team = crossing
        decided = min(at + self.rng.uniform(900, 40 * 3600), next_move)
        if decided >= self.now:
            status, decided_at, decided_by = "pending", NULL, NULL
        else:
            status, decided_at, decided_by = "accepted", ts(decided), str(owner)
        return (
            f"{handoff_id}\t{lead_id}\t{transition_id}\t{from_function}\t{to_function}\t{_opt(from_owner)}\t"
            f"{owner}\t{team}\t{status}\t{ts(at)}\t{ts(at + 48 * 3600)}\t{NULL}\t{NULL}\t{decided_at}\t"
            f"{decided_by}\t{NULL}\t\n"
        )

    def _lead_line(self, lead_id, profile: Profile, stage, deepest, moments, owner, team, reason) -> str:
        """The lead as its last move left it: its score in the stage it is in, its value and facts as deep as
        it has been."""
        entered, created = moments
        value = profile.expected_value(deepest)
        facts = "\t".join(_bool(fact) for fact in profile.fact_values(deepest))
        outcome = reason if stage in OUTCOMES else ""
        return (
            f"{lead_id}\t{profile.columns}\t{stage}\t{ts(entered)}\t{FUNCTION[stage]}\t{outcome}\t{_opt(value)}\t"
            f"USD\t{facts}\t{profile.score(stage)}\t{ts(created)}\t{ts(entered)}\t"
            f"{_opt(profile.company_id)}\t{owner}\t{_opt(profile.campaign)}\t{team}\n"
        )
