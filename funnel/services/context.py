"""What the rule engine sees of a lead: a plain snapshot plus the data the precondition kinds need."""

from datetime import datetime

from django.db.models import Max

from crm.models import CallReport
from funnel.engine.preconditions import ActiveDefinition, Context
from funnel.models import HandoffRule
from leads.criteria import lead_snapshot
from leads.models import Lead


def build_context(
    lead: Lead, now: datetime, rules: list[HandoffRule], definitions: dict[str, ActiveDefinition]
) -> Context:
    """Loads only what the applicable rules' preconditions read: most moves need no extra query at all.
    `definitions` are the active, signed-off versions only: a proposal is never used for a decision."""
    kinds = {spec["kind"] for rule in rules for spec in rule.preconditions}
    last_report = None
    if "call_report_within_days" in kinds:
        last_report = CallReport.objects.filter(lead=lead).aggregate(last=Max("occurred_on"))["last"]
    return Context(lead=lead_snapshot(lead), now=now, definitions=definitions, last_call_report_on=last_report)
