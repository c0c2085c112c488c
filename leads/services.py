"""Writes on the lead record that are not stage changes: normalisation, dedupe, company linking, edits.

Stage, owner, team and owning function are written only by funnel.services (the one door).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.models import Company
from crm.services.records import domain_normalize
from integrations.metric_changes import metric_history_changed
from leads.exceptions import DuplicateLead
from leads.models import EDITABLE_FIELDS, FUNNEL_FIELDS, Lead

EDITABLE_FIELDS = frozenset(EDITABLE_FIELDS)
READ_ONLY_FIELDS = frozenset(FUNNEL_FIELDS)


def email_normalize(email: str) -> str:
    """Lower-cases and drops a +tag, so Jane+ads@Acme.com and jane@acme.com are one person."""
    email = (email or "").strip().lower()
    local, at, domain = email.partition("@")
    if not at:
        return email
    return f"{local.split('+', 1)[0]}@{domain}"


def company_domain_normalize(domain: str) -> str:
    """A lead's `company_domain` as the company records keep it (crm's domain_normalize: acme.com from
    'https://www.Acme.com/about'; '' for none). ValidationError on `company_domain` for what is not a web
    domain: capture, edits and imports would otherwise create a company called "not a domain", or overflow
    its column."""
    try:
        return domain_normalize(domain)
    except ValidationError as error:
        raise ValidationError({"company_domain": error.message_dict["domain"]}) from None


def company_resolve(*, domain: str, name: str) -> Company | None:
    """The company with this normalised domain, created if new; None when there is no domain to go by."""
    domain = company_domain_normalize(domain)
    if not domain:
        return None
    company = Company.objects.filter(domain__iexact=domain).first()
    if company is None:
        try:
            with transaction.atomic():
                company = Company.objects.create(domain=domain, name=name or domain)
        except IntegrityError:  # created by a concurrent capture of the same company
            company = Company.objects.get(domain__iexact=domain)
    return company


def lead_duplicate_find(*, email: str, exclude_id: int | None = None) -> Lead | None:
    normalized = email_normalize(email)
    if not normalized:
        return None
    leads = Lead.objects.filter(email_normalized=normalized)
    if exclude_id is not None:
        leads = leads.exclude(pk=exclude_id)
    return leads.first()


def check_editable(fields: dict) -> None:
    read_only = sorted(READ_ONLY_FIELDS & fields.keys())
    if read_only:
        raise ValidationError(
            dict.fromkeys(read_only, "Changed only through a stage transition (POST /api/v1/leads/{id}/transition/).")
        )
    unknown = sorted(fields.keys() - EDITABLE_FIELDS - {"company_domain"})
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "Not a lead field that can be edited."))


def lead_update(*, lead: Lead, fields: dict) -> Lead:
    """Edits non-stage fields; refuses stage/owner fields by name and a second lead with the same email."""
    check_editable(fields)
    sliced_before = _sliced_by(lead)
    domain = fields.pop("company_domain", None)
    if "email" in fields:
        duplicate = lead_duplicate_find(email=fields["email"], exclude_id=lead.pk)
        if duplicate is not None:
            raise DuplicateLead(duplicate)
        lead.email_normalized = email_normalize(fields["email"])
    if domain is not None:
        lead.company = company_resolve(domain=domain, name=fields.get("company_name", lead.company_name))
    for name, value in fields.items():
        setattr(lead, name, value)
    lead.full_clean(exclude=["stage_entered_at", "owning_function"], validate_unique=False)
    changed = [*fields, "email_normalized", "company", "updated_at"]
    try:
        with transaction.atomic():
            # Only the edited columns: a stale copy of the lead must not write back its stage or owner.
            lead.save(update_fields=changed)
            if _sliced_by(lead) != sliced_before:
                metric_history_changed(lead_ids=[lead.pk], cause="lead edited")
    except IntegrityError:
        raise DuplicateLead(lead_duplicate_find(email=lead.email, exclude_id=lead.pk)) from None
    return lead


def _sliced_by(lead: Lead) -> tuple:
    """What the metrics slice a lead's history by, as the lead is now (funnel.metrics.dimensions)."""
    return lead.company_id, lead.segment, lead.source_campaign_id
