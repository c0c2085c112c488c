"""What an import needs from the funnel, which leads may not import: capturing leads (the first history row,
the stage span, the capture owner policy and its routing) and asking for a later stage through the one door.
funnel registers both at start-up (funnel.apps); an import without them refuses to run rather than write
leads that skip the funnel's rules."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from leads.models import Lead

# capture(actor, leads, owners, now) → {index: problem}: saves the leads it accepts at the first stage.
Capture = Callable[[User, list[Lead], list[User | None], datetime], dict[int, str]]
# stage(actor, lead, to_stage, reason, now) → None, or raises StageRefused: walks the funnel to `to_stage`.
StageRequest = Callable[[User, Lead, str, str, datetime], None]


class StageRefused(Exception):
    """The funnel refused a move the row asked for; `failed` lists each failed check."""

    def __init__(self, message: str, failed: list[dict] | None = None):
        super().__init__(message)
        self.failed = failed or []


@dataclass
class _Registry:
    capture: Capture | None = None
    stage: StageRequest | None = None


registry = _Registry()


def register(*, capture: Capture, stage: StageRequest) -> None:
    registry.capture, registry.stage = capture, stage


def capturer() -> Capture:
    if registry.capture is None:
        raise RuntimeError("No lead capturer registered: the funnel app registers it when it is ready.")
    return registry.capture


def stage_requester() -> StageRequest:
    if registry.stage is None:
        raise RuntimeError("No stage requester registered: the funnel app registers it when it is ready.")
    return registry.stage
