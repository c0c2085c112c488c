"""What a proposed scoring version would change, before anyone signs it: how many leads' grades move and how
many would newly meet, or stop meeting, each active lead definition — by segment and by source campaign.

All of it is computed in PostgreSQL: the proposed scores go to a temporary table (leads.scoring.sql) and each
definition's criteria are evaluated twice over the same leads, once with today's score and once with the
proposed one. Nothing is written.
"""

from django.db import transaction
from django.db.models import Case, CharField, Count, F, IntegerField, Q, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from funnel.models import LeadDefinitionVersion
from leads.choices import VersionStatus
from leads.models import Lead
from leads.scoring.models import ScoringModelVersion
from leads.scoring.sql import criteria_q, proposed_scores_stage, with_snapshot


def _count(condition: Q) -> Sum:
    return Coalesce(Sum(Case(When(condition, then=1), default=0, output_field=IntegerField())), 0)


def _measures(definitions: list[LeadDefinitionVersion]) -> dict:
    measures = {"leads": Count("id"), "grade_moves": _count(~Q(p_grade=F("c_grade")))}
    for version in definitions:
        today, proposed = criteria_q(version.criteria), criteria_q(version.criteria, score="p_score")
        measures[f"{version.definition.code}:newly_met"] = _count(proposed & ~today)
        measures[f"{version.definition.code}:no_longer_met"] = _count(today & ~proposed)
    return measures


def scoring_version_preview(*, version: ScoringModelVersion) -> dict:
    """{"as_of", "definitions": [codes], "totals": {measure: n}, "by_segment_and_source": [{"segment", "source",
    measure: n, ...}]} where the measures are leads, grade_moves and, per active definition, "<code>:newly_met"
    and "<code>:no_longer_met". A lead never scored counts as a grade move."""
    definitions = list(LeadDefinitionVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("definition"))
    as_of = timezone.now()
    with transaction.atomic():
        table = proposed_scores_stage(version=version, as_of=as_of)
        leads = with_snapshot(Lead.objects.order_by()).annotate(
            p_score=RawSQL(f"SELECT score FROM {table} p WHERE p.lead_id = leads_lead.id", ()),
            p_grade=RawSQL(f"SELECT grade FROM {table} p WHERE p.lead_id = leads_lead.id", ()),
            c_grade=Coalesce(F("score_detail__grade"), Value(""), output_field=CharField()),
            source=Coalesce(F("source_campaign__name"), Value(""), output_field=CharField()),
        )
        rows = list(
            leads.values("c_segment", "source").annotate(**_measures(definitions)).order_by("c_segment", "source")
        )
    names = ["leads", "grade_moves", *(m for v in definitions for m in _definition_measures(v))]
    return {
        "as_of": as_of,
        "definitions": [v.definition.code for v in definitions],
        "totals": {name: sum(row[name] for row in rows) for name in names},
        "by_segment_and_source": [
            {"segment": row["c_segment"], "source": row["source"], **{name: row[name] for name in names}}
            for row in rows
        ],
    }


def _definition_measures(version: LeadDefinitionVersion) -> tuple[str, str]:
    return f"{version.definition.code}:newly_met", f"{version.definition.code}:no_longer_met"
