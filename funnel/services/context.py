"""What the rule engine sees of a lead: a plain snapshot plus the data the precondition kinds need."""

from datetime import datetime

from django.db.models import Max

from crm.models import CallReport
from funnel.engine.preconditions import ActiveDefinition, Context
from funnel.models import HandoffRule
from leads.models import Lead


def lead_snapshot(lead: Lead) -> dict:
    company = lead.company if lead.company_id else None
    return {
        "score": lead.score,
        "expected_value": lead.expected_value,
        "employees": company.employees if company else None,
        "segment": lead.segment or (company.segment if company else ""),
        "territory": lead.territory or (company.territory if company else ""),
        "industry": lead.industry or (company.industry if company else ""),
        "title": lead.title,
        "email": lead.email,
        "phone": lead.phone,
        "company": company.name if company else lead.company_name,
        "source_campaign": str(lead.source_campaign_id or ""),
        "currency": lead.currency,
        "has_budget": lead.has_budget,
        "has_authority": lead.has_authority,
        "has_need": lead.has_need,
        "has_timeline": lead.has_timeline,
    }


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
