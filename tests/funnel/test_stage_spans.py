"""Stage spans follow the history row for row, whichever door moved the lead, and the migration's backfill
rebuilds exactly what the one door wrote."""

import importlib
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from funnel.metrics.models import StageSpan
from tests.funnel.conftest import move

BACKFILL = importlib.import_module("funnel.migrations.0014_metrics_spans").BACKFILL


START = timezone.now() + timedelta(hours=1)


def at(day: int) -> datetime:
    return START + timedelta(days=day)


def spans_of(lead) -> list[tuple]:
    return list(
        StageSpan.objects.filter(lead=lead)
        .order_by("entered_at", "id")
        .values_list("stage", "entered_at", "left_at", "next_stage", "owner_id")
    )


def test_each_move_closes_the_open_span_and_opens_the_next_with_its_owner(make_lead, people):
    lead = make_lead()
    captured = lead.transitions.get()
    move(lead, "interest", people["marketer"], at=at(2))
    move(lead, "nurture", people["marketer"], reason="Not now", at=at(5))
    move(lead, "interest", people["marketer"], at=at(9))

    interest_owner = lead.transitions.get(to_stage="nurture").from_owner_id
    assert spans_of(lead) == [
        ("awareness", captured.occurred_at, at(2), "interest", captured.to_owner_id),
        ("interest", at(2), at(5), "nurture", interest_owner),
        ("nurture", at(5), at(9), "interest", lead.transitions.get(to_stage="nurture").to_owner_id),
        ("interest", at(9), None, "", lead.transitions.order_by("-id").first().to_owner_id),
    ]
    assert StageSpan.objects.get(lead=lead, left_at__isnull=True).opened_by == lead.transitions.order_by("-id")[0]


def test_the_backfill_rebuilds_the_spans_the_one_door_wrote(make_lead, people):
    leads = [make_lead() for _ in range(3)]
    move(leads[0], "interest", people["marketer"], at=at(2))
    move(leads[0], "lost", people["marketer"], reason="No budget", at=at(3))
    move(leads[1], "interest", people["marketer"], at=at(4))
    columns = "lead_id, stage, entered_at, left_at, next_stage, opened_by_id, owner_id, team_id"
    written = sorted(StageSpan.objects.values_list(*[c.strip() for c in columns.split(",")]))

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM funnel_stagespan")
        cursor.execute(BACKFILL)
    assert sorted(StageSpan.objects.values_list(*[c.strip() for c in columns.split(",")])) == written
    assert len(written) == 6
