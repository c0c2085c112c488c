"""How revenue is split over the touches before a purchase, per attribution model. Pure code, exact fractions.

Milestone roles (REFERENCE §5): the first touch; the lead-creation touch (the last touch at or before the lead
was created, else the first touch); the opportunity touch (the last touch at or before the lead first met the
opportunity-level definition, SQL, as recorded by the transition that used it); the closed-won touch (the last
touch before the purchase). Our conventions, stated in the UI too:
- a touch that fills several roles receives the sum of their weights;
- a role with no touch (no SQL milestone, or no touch before it) passes its weight to the roles present, in
  proportion to their weights;
- with no touches outside the roles, the share for "the rest" goes to the role touches in proportion to their
  weights, so credit always totals 100 %;
- ties in time are ordered by touch id; one touch gets everything.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

FIRST, LAST, LINEAR, U_SHAPED, W_SHAPED, FULL_PATH, TIME_DECAY = (
    "first_touch",
    "last_touch",
    "linear",
    "u_shaped",
    "w_shaped",
    "full_path",
    "time_decay",
)
MODELS = (FIRST, LAST, LINEAR, U_SHAPED, W_SHAPED, FULL_PATH, TIME_DECAY)
MODEL_LABELS = {
    FIRST: "First touch",
    LAST: "Last touch",
    LINEAR: "Linear",
    U_SHAPED: "U-shaped (40/20/40)",
    W_SHAPED: "W-shaped (30/30/30 + 10)",
    FULL_PATH: "Full path (22.5 × 4 + 10)",
    TIME_DECAY: "Time decay",
}
# role -> weight, and the share for every touch outside the roles
POSITION_WEIGHTS: dict[str, tuple[dict[str, Fraction], Fraction]] = {
    U_SHAPED: ({"first": Fraction(2, 5), "creation": Fraction(2, 5)}, Fraction(1, 5)),
    W_SHAPED: (
        {"first": Fraction(3, 10), "creation": Fraction(3, 10), "opportunity": Fraction(3, 10)},
        Fraction(1, 10),
    ),
    FULL_PATH: (
        {r: Fraction(9, 40) for r in ("first", "creation", "opportunity", "closed_won")},
        Fraction(1, 10),
    ),
}
SHORT_LABELS = {
    FIRST: "First",
    LAST: "Last",
    LINEAR: "Linear",
    U_SHAPED: "U",
    W_SHAPED: "W",
    FULL_PATH: "Full path",
    TIME_DECAY: "Decay",
}
DEFAULT_HALF_LIFE_DAYS = 7


@dataclass(frozen=True)
class TouchAt:
    id: int
    at: datetime


@dataclass(frozen=True)
class Milestones:
    lead_created_at: datetime
    opportunity_at: datetime | None
    purchased_at: datetime


def _last_at_or_before(touches: list[TouchAt], moment: datetime | None) -> TouchAt | None:
    if moment is None:
        return None
    before = [t for t in touches if t.at <= moment]
    return before[-1] if before else None


def roles(touches: list[TouchAt], milestones: Milestones) -> dict[str, TouchAt | None]:
    """The touch filling each milestone role (None where no touch fills it); `touches` are in time order."""
    return {
        "first": touches[0],
        "creation": _last_at_or_before(touches, milestones.lead_created_at) or touches[0],
        "opportunity": _last_at_or_before(touches, milestones.opportunity_at),
        "closed_won": touches[-1],
    }


def _positional(model: str, touches: list[TouchAt], milestones: Milestones) -> dict[int, Fraction]:
    weights, rest_share = POSITION_WEIGHTS[model]
    filled = roles(touches, milestones)
    present = {role: w for role, w in weights.items() if filled[role] is not None}
    scale = sum(weights.values()) / sum(present.values())  # missing roles pass their weight on
    shares: dict[int, Fraction] = {}
    for role, weight in present.items():
        touch_id = filled[role].id  # type: ignore[union-attr]
        shares[touch_id] = shares.get(touch_id, Fraction(0)) + weight * scale
    rest = [t.id for t in touches if t.id not in shares]
    if rest:
        for touch_id in rest:
            shares[touch_id] = rest_share / len(rest)
    else:
        total = sum(shares.values())
        shares = {touch_id: share / total for touch_id, share in shares.items()}
    return shares


def _time_decay(touches: list[TouchAt], purchased_at: datetime, half_life_days: float) -> dict[int, Fraction]:
    raw = {t.id: Fraction(2 ** (-((purchased_at - t.at).total_seconds() / 86400 / half_life_days))) for t in touches}
    total = sum(raw.values())
    return {touch_id: weight / total for touch_id, weight in raw.items()}


def split(
    model: str, touches: list[TouchAt], milestones: Milestones, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> dict[int, Fraction]:
    """Each touch's share of the credit (summing to exactly 1) under `model`. Touches after the purchase are
    not credited; no touch before it means nothing to credit ({})."""
    ordered = sorted((t for t in touches if t.at <= milestones.purchased_at), key=lambda t: (t.at, t.id))
    if not ordered:
        return {}
    if len(ordered) == 1:
        return {ordered[0].id: Fraction(1)}
    if model == FIRST:
        return {ordered[0].id: Fraction(1)}
    if model == LAST:
        return {ordered[-1].id: Fraction(1)}
    if model == LINEAR:
        return {t.id: Fraction(1, len(ordered)) for t in ordered}
    if model == TIME_DECAY:
        return _time_decay(ordered, milestones.purchased_at, half_life_days)
    return _positional(model, ordered, milestones)


def allocate(amount: Decimal, shares: dict[int, Fraction]) -> dict[int, Decimal]:
    """`amount` in cents over the shares, summing exactly to it: largest remainders get the odd cents (ties
    to the earlier touch id)."""
    if not shares:
        return {}
    cents = int(amount * 100)
    exact = {touch_id: share * cents for touch_id, share in shares.items()}
    floors = {touch_id: int(value) for touch_id, value in exact.items()}
    left = cents - sum(floors.values())
    for touch_id in sorted(exact, key=lambda t: (-(exact[t] - floors[t]), t))[:left]:
        floors[touch_id] += 1
    return {touch_id: Decimal(value).scaleb(-2) for touch_id, value in floors.items()}
