"""Every threshold and window the integration diagnostic uses, in one place.

These are our defaults, not findings: the reference material gives conventions, not laws. An installation
overrides any of them with the `DIAGNOSTIC_THRESHOLDS` setting (a dict of the names below), and every
assessment stores the values it used next to each piece of evidence.
"""

from dataclasses import dataclass, fields, replace

from django.conf import settings


@dataclass(frozen=True)
class Thresholds:
    # Answers older than this no longer count: a respondent's newest answer inside the window counts once.
    response_window_days: int = 90
    # Trailing window of the data-based evidence (qualifications, handoffs, call reports, reviews).
    evidence_window_days: int = 90
    qualification_share: float = 0.80  # qualifying moves that recorded a signed definition
    sla_compliance: float = 0.90  # settled handoffs that met every clock they had
    call_reports_with_marketer: float = 0.20  # call reports a marketer took part in
    reviews_with_marketer: float = 0.75  # key-account reviews with a marketer at the table
    collateral_window_days: int = 365  # releases are rare: a year of them
    collateral_reviewed: float = 1.0  # released versions a sales reviewer approved first
    meeting_max_days: int = 92  # "at least quarterly": days since the last joint meeting
    meeting_window_days: int = 365  # whose action items are judged
    meeting_actions_closed: float = 0.80  # action items due by now that are done or dropped


def current() -> Thresholds:
    overrides = getattr(settings, "DIAGNOSTIC_THRESHOLDS", None) or {}
    known = {f.name for f in fields(Thresholds)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"DIAGNOSTIC_THRESHOLDS: unknown name(s) {', '.join(unknown)}; known: {sorted(known)}.")
    return replace(Thresholds(), **overrides)
