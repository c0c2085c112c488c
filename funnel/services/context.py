"""What the rule engine sees of a lead: a plain snapshot plus the data the precondition kinds need."""

from datetime import datetime

from django.db.models import Max

from crm.models import CallReport
from funnel.choices import VersionStatus
from funnel.engine.preconditions import ActiveDefinition, Context
from funnel.models import LeadDefinitionVersion
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


def active_definitions() -> dict[str, ActiveDefinition]:
    """Only signed-off, active versions: a proposed version is never used for a decision."""
    versions = LeadDefinitionVersion.objects.filter(status=VersionStatus.ACTIVE).select_related("definition")
    return {v.definition.code: ActiveDefinition(v.definition.code, v.pk, v.number, v.criteria) for v in versions}


def build_context(lead: Lead, now: datetime) -> Context:
    last_report = CallReport.objects.filter(lead=lead).aggregate(last=Max("occurred_on"))["last"]
    return Context(lead=lead_snapshot(lead), now=now, definitions=active_definitions(), last_call_report_on=last_report)
