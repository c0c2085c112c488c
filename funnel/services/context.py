"""What the rule engine sees of a lead: a plain snapshot plus the data the precondition kinds need."""

from datetime import datetime
from decimal import Decimal

from django.db.models import Max

from crm.choices import CollateralStatus
from crm.models import CallReport, CollateralUse
from funnel.engine.preconditions import ActiveDefinition, Context
from leads.criteria import lead_snapshot
from leads.models import Lead

# A use counts while the version is released, and after a newer one superseded it: it was released when used.
LIVE = (CollateralStatus.RELEASED, CollateralStatus.SUPERSEDED)


def build_context(lead: Lead, now: datetime, definitions: dict[str, ActiveDefinition]) -> Context:
    """Everything any precondition kind reads, whether or not today's rules use it: the transition keeps it
    (context_record) so a proposed rule or definition can be replayed on this move later. Two indexed queries.
    `definitions` are the active, signed-off versions only: a proposal is never used for a decision."""
    last_report = CallReport.objects.filter(lead=lead).aggregate(last=Max("occurred_on"))["last"]
    uses = CollateralUse.objects.filter(lead=lead, stage=lead.stage, version__status__in=LIVE).order_by("-used_at")
    used = tuple(uses.values_list("version__collateral__kind", "version__collateral__title", "version__number"))
    return Context(
        lead=lead_snapshot(lead),
        now=now,
        definitions=definitions,
        last_call_report_on=last_report,
        collateral_used=used,
    )


def _json_value(value):
    return str(value) if isinstance(value, Decimal) else value


def context_record(ctx: Context) -> dict:
    """The context as the transition row keeps it (JSON): the lead's criteria values (decimals as strings, so
    nothing is rounded), the last call report's day and the collateral used at the stage the lead left."""
    return {
        "lead": {name: _json_value(value) for name, value in ctx.lead.items()},
        "last_call_report_on": ctx.last_call_report_on.isoformat() if ctx.last_call_report_on else None,
        "collateral_used": [list(use) for use in ctx.collateral_used],
    }
