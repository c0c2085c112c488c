"""The routing choice, pure: who among a pool's people takes the lead, and why each of the others did not.

Smooth weighted round-robin: every available person's credit grows by their weight at each assignment; the
one with most credit wins and pays back the total weight of those available. Over N assignments a person's
count stays within about one lead of N * weight / total weight (the tests pin it for 0.5 / 1 / 2), and someone away
neither earns credit nor owes it, so they come back to a fair share rather than a burst.

People outside their working hours are passed over while someone in hours can take the lead; when nobody
is in hours the lead still goes to someone available rather than waiting for the morning.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

AWAY, PAUSED, AT_CAP, OFF_HOURS = "away", "paused", "at_cap", "off_hours"
SKIP_WORDS = {AWAY: "away", PAUSED: "paused", AT_CAP: "at cap", OFF_HOURS: "outside working hours"}


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    weight: Decimal = Decimal(1)
    away_until: datetime | None = None
    paused: bool = False
    pending: int = 0
    cap: int | None = None
    in_hours: bool = True
    delegate_id: int | None = None

    def unavailable(self) -> tuple[str, str] | None:
        """(reason, detail) why nobody may route to this person now, else None (working hours aside)."""
        if self.away_until is not None:
            return AWAY, f"out of office until {self.away_until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if self.paused:
            return PAUSED, "routing paused"
        if self.cap is not None and self.pending >= self.cap:
            return AT_CAP, f"{self.pending} of {self.cap} handoffs pending"
        return None


@dataclass
class Decision:
    """What routing decided and why, stored on the transition (`as_dict`) and shown on the lead page."""

    how: str
    pool: dict | None = None  # {"team": id, "name": ...}
    candidates: list[dict] = field(default_factory=list)
    winner: dict | None = None  # {"id": ..., "name": ...}
    queued: bool = False  # nobody could take it: it waits in the pool's queue
    kept: bool = False  # nobody routed to: the owner stays
    note: str = ""

    def as_dict(self) -> dict:
        return {
            "how": self.how,
            "pool": self.pool,
            "candidates": self.candidates,
            "winner": self.winner,
            "queued": self.queued,
            "kept": self.kept,
            "note": self.note,
            "sentence": self.sentence(),
        }

    def sentence(self) -> str:
        skipped = [c for c in self.candidates if c.get("skipped")]
        others = "; ".join(f"{c['name']} {SKIP_WORDS[c['skipped']]}" for c in skipped)
        tail = f" — skipped: {others}" if others else ""
        note = f" ({self.note})" if self.note else ""
        if self.queued:
            pool = self.pool["name"] if self.pool else "the team"
            return f"Nobody in {pool} could take it, so it waits in {pool}'s queue{note}{tail}."
        if self.kept:
            owner = self.winner["name"] if self.winner else "nobody"
            return f"Stayed with {owner}: {self.how}{note}{tail}."
        if self.winner is None:
            return f"{self.how}{note}."
        return f"Went to {self.winner['name']} by {self.how}{note}{tail}."


def _candidate(person: Person, skipped: tuple[str, str] | None, credit: Decimal | None) -> dict:
    return {
        "id": person.id,
        "name": person.name,
        "weight": str(person.weight),
        "skipped": skipped[0] if skipped else None,
        "detail": skipped[1] if skipped else "",
        "credit": str(credit) if credit is not None else None,
    }


def weighted_pick(
    people: Sequence[Person], credits: Mapping[str, str], *, how: str, pool: dict | None
) -> tuple[Decision, dict[str, str]]:
    """The decision over `people` and the pool's new credits. Nobody available: a queued decision."""
    skips = {p.id: p.unavailable() for p in people}
    available = [p for p in people if skips[p.id] is None]
    in_hours = [p for p in available if p.in_hours]
    note = ""
    if in_hours:
        for p in available:
            if not p.in_hours:
                skips[p.id] = (OFF_HOURS, "outside their working hours")
        available = in_hours
    elif available:
        note = "nobody was in working hours, so everyone available was considered"
    balance = {key: Decimal(value) for key, value in credits.items()}
    if not available:
        candidates = [_candidate(p, skips[p.id], None) for p in people]
        return Decision(how=how, pool=pool, candidates=candidates, queued=True), credits_out(balance)
    total = sum((p.weight for p in available), Decimal(0))
    for p in available:
        balance[str(p.id)] = balance.get(str(p.id), Decimal(0)) + p.weight
    # Ties go to the heavier weight, then the longer-standing account, so the order is stable and testable.
    winner = max(available, key=lambda p: (balance[str(p.id)], p.weight, -p.id))
    candidates = [_candidate(p, skips[p.id], balance.get(str(p.id))) for p in people]
    balance[str(winner.id)] -= total
    decision = Decision(
        how=how, pool=pool, candidates=candidates, winner={"id": winner.id, "name": winner.name}, note=note
    )
    return decision, credits_out(balance)


def credits_out(balance: Mapping[str, Decimal]) -> dict[str, str]:
    return {key: str(value) for key, value in balance.items()}


def direct_pick(person: Person, *, how: str, delegate: Person | None = None) -> Decision | None:
    """A named person (a territory match, the directory, a delegate) if available now; else their delegate if
    available; else None so the caller falls back to a pool. Working hours do not stop a named person."""
    skipped = person.unavailable()
    if skipped is None:
        return Decision(how=how, candidates=[_candidate(person, None, None)], winner=_ref(person))
    candidates = [_candidate(person, skipped, None)]
    if delegate is not None and skipped[0] == AWAY:
        delegate_skip = delegate.unavailable()
        candidates.append(_candidate(delegate, delegate_skip, None))
        if delegate_skip is None:
            return Decision(
                how=f"{how}; {person.name} is away, so their delegate", candidates=candidates, winner=_ref(delegate)
            )
    return Decision(how=how, candidates=candidates)


def _ref(person: Person) -> dict:
    return {"id": person.id, "name": person.name}
