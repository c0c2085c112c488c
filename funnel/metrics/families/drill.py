"""What the handoff and money families share: the INSERT every row goes through, and the drill-down's way of
turning a family's named-parameter SQL into a Lead subquery (the same text the family counted with)."""

import re

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from leads.models import Lead

INSERT = """INSERT INTO funnel_metricvalue
    (snapshot_id, metric, stage, to_stage, dimension, dimension_value, value, numerator, denominator, detail)"""
NAMED = re.compile(r"%\((\w+)\)s")


def leads_in(sql: str, params: dict) -> QuerySet[Lead]:
    """Leads whose id the query `sql` (selecting one lead id column, `%(name)s` placeholders) returns."""
    order: list[object] = []

    def positional(match: re.Match) -> str:
        order.append(params[match.group(1)])
        return "%s"

    return Lead.objects.filter(id__in=RawSQL(NAMED.sub(positional, sql), order))
