"""Reads of the diagnostic: the answers an assessment counts and what they add up to, someone's own answers,
and the assessments over time."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.db.models.functions import TruncMonth
from django.urls import Resolver404, resolve

from accounts.models import User
from funnel.diagnostic.choices import Level, Respondent
from funnel.diagnostic.models import Assessment, DiagnosticResponse
from funnel.diagnostic.questionnaire import band, group_means
from leads.selectors import lead_list

HIDDEN_LEAD = "A lead you may not open"


def _mean(totals: list[int]) -> Decimal | None:
    if not totals:
        return None
    return (Decimal(sum(totals)) / len(totals)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Summary:
    """The questionnaire's numbers over the counted answers: each respondent's newest in the window, once."""

    response_ids: list[int]
    mean_total: Decimal | None
    by_function: dict[str, tuple[Decimal | None, int]] = field(default_factory=dict)  # function → (mean, count)
    groups: dict[str, dict[str, float]] = field(default_factory=dict)  # all / marketing / sales → group → mean

    @property
    def respondents(self) -> int:
        return len(self.response_ids)

    @property
    def gap(self) -> Decimal | None:
        """Marketing's mean minus sales's, when both answered: how differently the two sides see it."""
        marketing, sales = self.by_function[Respondent.MARKETING][0], self.by_function[Respondent.SALES][0]
        return None if marketing is None or sales is None else marketing - sales

    @property
    def level(self) -> Level | None:
        return None if self.mean_total is None else band(self.mean_total)


def responses_counted(*, at: datetime, window_days: int) -> QuerySet[DiagnosticResponse]:
    """Each respondent's newest answer submitted in the `window_days` up to `at`."""
    window = DiagnosticResponse.objects.filter(submitted_at__gt=at - timedelta(days=window_days), submitted_at__lte=at)
    return window.order_by("respondent_id", "-submitted_at", "-id").distinct("respondent_id")


def summary_get(*, at: datetime, window_days: int) -> Summary:
    counted = list(responses_counted(at=at, window_days=window_days).only("id", "function", "total", "answers"))
    by_function = {}
    for function in Respondent.values:
        totals = [r.total for r in counted if r.function == function]
        by_function[function] = (_mean(totals), len(totals))
    sets = [(r.function, {int(k): v for k, v in r.answers.items()}) for r in counted]
    groups = {"all": group_means([answers for _, answers in sets])}
    groups |= {f: group_means([answers for side, answers in sets if side == f]) for f in Respondent.values}
    return Summary(
        response_ids=sorted(r.pk for r in counted),
        mean_total=_mean([r.total for r in counted]),
        by_function=by_function,
        groups=groups,
    )


def response_list(*, user: User) -> QuerySet[DiagnosticResponse]:
    """The user's own answers, newest first: nobody reads another person's ratings one by one."""
    return DiagnosticResponse.objects.filter(respondent=user)


def assessment_list() -> QuerySet[Assessment]:
    return Assessment.objects.select_related("requested_by")


def assessment_latest() -> Assessment | None:
    return assessment_list().first()


def assessment_trend(*, limit: int = 24) -> list[Assessment]:
    """The latest assessment of each month, oldest first, at most `limit` months."""
    rows = Assessment.objects.annotate(in_month=TruncMonth("computed_at")).order_by("in_month", "-computed_at", "-id")
    return list(rows.distinct("in_month"))[-limit:]


def evidence_for(*, evidence: list[dict], user: User, reads_leads: bool = True) -> list[dict]:
    """An assessment's evidence as `user` may read it. The assessment is one record for everyone, but its records
    name leads: one the reader may not open (any lead, for a token without `leads:read`) keeps its place and its
    ok flag, so the counts still add up, and loses its name, detail and link."""
    ids = {_lead_of(r) for item in evidence for r in item.get("records", [])} - {None}
    visible = (
        set(lead_list(user=user).filter(pk__in=ids).values_list("pk", flat=True)) if reads_leads and ids else set()
    )

    def shown(record: dict) -> dict:
        lead = _lead_of(record)
        if lead is None or lead in visible:
            return record
        return {"label": HIDDEN_LEAD, "url": None, "ok": record.get("ok"), "hidden": True}

    return [{**item, "records": [shown(r) for r in item.get("records", [])]} for item in evidence]


def _lead_of(record: dict) -> int | None:
    """The lead a record is about: its `lead`, or (assessments stored before records carried it) its link's."""
    if record.get("lead") is not None:
        return record["lead"]
    try:
        match = resolve(record.get("url") or "")
    except Resolver404:
        return None
    return match.kwargs.get("lead_id") if match.url_name == "lead-detail" else None
