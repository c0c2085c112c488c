"""The lead as a webhook payload shows it: what an integration with `leads:read` could read through the API."""

from leads.models import Lead


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def lead_part(lead: Lead) -> dict:
    return {
        "id": lead.pk,
        "name": f"{lead.first_name} {lead.last_name}".strip(),
        "email": lead.email,
        "company": lead.company_name,
        "company_id": lead.company_id,
        "segment": lead.segment,
        "territory": lead.territory,
        "stage": lead.stage,
        "stage_entered_at": _iso(lead.stage_entered_at),
        "owning_function": lead.owning_function,
        "owner": lead.owner_id,
        "team": lead.team_id,
        "score": lead.score,
        "expected_value": str(lead.expected_value) if lead.expected_value is not None else None,
        "currency": lead.currency,
        "source_campaign": lead.source_campaign_id,
    }
