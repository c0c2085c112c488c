"""What the rule engine sees of a lead: a plain snapshot plus the data the precondition kinds need."""

from datetime import datetime

from django.db.models import Max

from crm.choices import CollateralStatus
from crm.models import CallReport, CollateralUse
from funnel.engine.preconditions import ActiveDefinition, Context
from funnel.models import HandoffRule
from leads.criteria import lead_snapshot
from leads.models import Lead

# A use counts while the version is released, and after a newer one superseded it: it was released when used.
LIVE = (CollateralStatus.RELEASED, CollateralStatus.SUPERSEDED)


def build_context(
    lead: Lead, now: datetime, rules: list[HandoffRule], definitions: dict[str, ActiveDefinition]
) -> Context:
    """Loads only what the applicable rules' preconditions read: most moves need no extra query at all.
    `definitions` are the active, signed-off versions only: a proposal is never used for a decision."""
    kinds = {spec["kind"] for rule in rules for spec in rule.preconditions}
    last_report = None
    if "call_report_within_days" in kinds:
        last_report = CallReport.objects.filter(lead=lead).aggregate(last=Max("occurred_on"))["last"]
    used: tuple = ()
    if "collateral_used" in kinds:
        uses = CollateralUse.objects.filter(lead=lead, stage=lead.stage, version__status__in=LIVE).order_by("-used_at")
        used = tuple(uses.values_list("version__collateral__kind", "version__collateral__title", "version__number"))
    return Context(
        lead=lead_snapshot(lead),
        now=now,
        definitions=definitions,
        last_call_report_on=last_report,
        collateral_used=used,
    )
