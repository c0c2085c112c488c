"""Lead capture: every new lead — from the UI, the API, an import — enters the funnel here, deduplicated,
linked to its company, and with a first history row."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from funnel.models import Stage, Transition
from leads import services as lead_services
from leads.choices import INITIAL_STAGE
from leads.exceptions import DuplicateLead
from leads.models import Lead


def lead_create(*, actor: User | None, data: dict, owner: User | None = None, at: datetime | None = None) -> Lead:
    """Creates a lead at the first stage. `data` holds editable lead fields (plus `company_domain`); a lead
    with the same normalised email raises DuplicateLead naming the existing one."""
    data = dict(data)
    lead_services.check_editable(data)
    now = at or timezone.now()
    existing = lead_services.lead_duplicate_find(email=data.get("email", ""))
    if existing is not None:
        raise DuplicateLead(existing)
    domain = data.pop("company_domain", "")
    stage = Stage.objects.get(pk=INITIAL_STAGE)
    lead = Lead(
        **data,
        email_normalized=lead_services.email_normalize(data.get("email", "")),
        stage=INITIAL_STAGE,
        stage_entered_at=now,
        created_at=now,
        owning_function=stage.owning_function,
        owner=owner,
        team_id=owner.team_id if owner else None,
    )
    lead.full_clean(validate_unique=False, exclude=["company"])
    try:
        with transaction.atomic():
            lead.company = lead_services.company_resolve(domain=domain, name=data.get("company_name", ""))
            lead.save()
            Transition.objects.create(
                lead=lead,
                from_stage=None,
                to_stage=INITIAL_STAGE,
                actor=actor,
                occurred_at=now,
                reason="Captured",
                to_owner=owner,
            )
    except IntegrityError:  # a concurrent capture of the same email won the unique key
        raise DuplicateLead(lead_services.lead_duplicate_find(email=data.get("email", ""))) from None
    return lead
