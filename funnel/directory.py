"""Who to call about a lead or a company: the directory's answer (crm.directory) for its slice of the market.
It lives in funnel because crm may not import leads."""

from crm.directory import Answer, directory_lookup
from crm.models import Company
from leads.models import Lead


def directory_for_lead(lead: Lead) -> list[Answer]:
    """The answer for the lead's segment and territory (its company's where the lead leaves them blank), its
    company (lines name key accounts only), and the product tags of the lead's call reports. One query when the
    lead's company is loaded already."""
    company = lead.company if lead.company_id else None
    return directory_lookup(
        segment=lead.segment or (company.segment if company else ""),
        territory=lead.territory or (company.territory if company else ""),
        company_id=company.pk if company is not None else None,
        products_reported_for_lead=lead.pk,
    )


def directory_for_company(company: Company) -> list[Answer]:
    """The answer for the company's segment, territory, itself (if a line names it) and its call reports' products."""
    return directory_lookup(
        segment=company.segment,
        territory=company.territory,
        company_id=company.pk,
        products_reported_for_company=company.pk,
    )
