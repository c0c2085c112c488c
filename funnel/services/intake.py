"""Lead capture: every new lead — from the UI, the API, an import — enters the funnel here, deduplicated,
linked to its company, owned by someone who can see it, and with a first history row.

Who owns a captured lead (the capture policy; docs/permissions.md):
- a named `owner`: managers, revenue leaders, administrators, integrations and the system may name anyone
  who can own leads; anyone else may name only themselves;
- otherwise a person owns what they capture (the rep who met someone at an event, the marketer who
  captures into awareness);
- an integration's or the system's capture is routed by the routing of the active rules for moves into the
  first stage, else owned by its source campaign's owner, else refused with a message saying what to set.
Whatever the path, the capturer must be able to see the lead they made, or nothing is committed (403).
"""

from dataclasses import asdict
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from funnel import events
from funnel.engine.preconditions import Context
from funnel.exceptions import NoOwner, NotAllowed
from funnel.metrics.spans import span_advance
from funnel.models import Stage, Transition
from funnel.routing import services as routing
from funnel.services.checks import Check
from funnel.services.config import funnel_config
from funnel.services.context import context_record
from leads import selectors as lead_selectors
from leads import services as lead_services
from leads.choices import INITIAL_STAGE
from leads.criteria import lead_snapshot
from leads.exceptions import DuplicateLead
from leads.models import Lead

ASSIGNERS = frozenset({Role.SALES_MANAGER, Role.MARKETING_MANAGER, Role.REVENUE_LEADER, Role.ADMIN, Role.INTEGRATION})
ROUTED_CAPTURERS = frozenset({Role.INTEGRATION})


def _check_named_owner(actor: User | None, owner: User) -> None:
    if owner.role == Role.INTEGRATION or not owner.is_active:
        raise ValidationError({"owner": f"{owner.get_username()} cannot own leads."})
    if actor is not None and owner.pk != actor.pk and actor.role not in ASSIGNERS and not actor.is_superuser:
        raise NotAllowed(
            f"A {actor.get_role_display().lower()} captures leads for themselves; "
            "a manager, revenue leader or administrator assigns them to someone else."
        )


def _route(actor: User | None, lead: Lead, now: datetime) -> routing.Routed:
    """The owner of a capture nobody named an owner for (or the team queue it waits in), and why."""
    if actor is not None and actor.role not in ROUTED_CAPTURERS:
        return routing.Routed(actor, actor.team_id)
    rules = funnel_config().rules_for(None, INITIAL_STAGE)
    routed = routing.route(rules, lead, now=now)
    if (routed.owner is not None and routed.check is not None) or routed.queued:
        return routed
    campaign = lead.source_campaign
    if campaign is not None and campaign.owner_id and campaign.owner.is_active:
        check = Check("capture", "routing", True, f"owned by {campaign.name}'s owner")
        return routing.Routed(campaign.owner, campaign.owner.team_id, check)
    raise NoOwner(
        "Nobody would own this lead: name an owner, give a source campaign that has an owner, or ask an "
        f"administrator for a handoff rule that routes new leads (moves into {INITIAL_STAGE})."
    )


def _duplicate(actor: User | None, existing: Lead | None) -> DuplicateLead:
    error = DuplicateLead(existing)
    return error if actor is None else lead_selectors.duplicate_for(user=actor, error=error)


def lead_create(*, actor: User | None, data: dict, owner: User | None = None, at: datetime | None = None) -> Lead:
    """Creates a lead at the first stage, owned as the capture policy above says. `data` holds editable lead
    fields (plus `company_domain`). Raises DuplicateLead (naming the existing lead only to an actor who may
    see it), NotAllowed when the actor may not name that owner or would not see the lead, NoOwner when an
    integration's capture has nobody to go to. `actor` None is the system (demo, jobs)."""
    data = dict(data)
    lead_services.check_editable(data)
    if owner is not None:
        _check_named_owner(actor, owner)
    now = at or timezone.now()
    existing = lead_services.lead_duplicate_find(email=data.get("email", ""))
    if existing is not None:
        raise _duplicate(actor, existing)
    domain = data.pop("company_domain", "")
    lead = Lead(
        **data,
        email_normalized=lead_services.email_normalize(data.get("email", "")),
        stage=INITIAL_STAGE,
        stage_entered_at=now,
        created_at=now,
        owning_function=Stage.objects.get(pk=INITIAL_STAGE).owning_function,
    )
    # The e-mail's unique key is left to the insert: a capture racing this one may commit in between, and its
    # IntegrityError below is answered as the duplicate it is (full_clean would say "constraint violated").
    lead.full_clean(validate_unique=False, exclude=["company", "owner", "team", "email_normalized"])
    try:
        with transaction.atomic():
            _write(lead, actor, owner, domain, data.get("company_name", ""), now)
    except IntegrityError:  # a concurrent capture of the same email won the unique key
        raise _duplicate(actor, lead_services.lead_duplicate_find(email=data.get("email", ""))) from None
    return lead


def _write(lead: Lead, actor: User | None, owner: User | None, domain: str, company_name: str, now) -> None:
    lead.company = lead_services.company_resolve(domain=domain, name=company_name)
    routed = routing.Routed(owner, owner.team_id) if owner is not None else _route(actor, lead, now)
    owner, check = routed.owner, routed.check
    lead.owner, lead.team_id = owner, routed.team_id
    lead.save()
    transition = Transition.objects.create(
        lead=lead,
        from_stage=None,
        to_stage=INITIAL_STAGE,
        actor=actor,
        occurred_at=now,
        reason="Captured",
        to_owner=owner,
        rule_results=[asdict(check)] if check else [],
        routing=routed.decision.as_dict() if routed.decision else None,
        context=context_record(Context(lead=lead_snapshot(lead), now=now, definitions={})),
    )
    span_advance(transition=transition, team_id=routed.team_id)
    events.lead_created(lead)
    if actor is not None and not lead_selectors.lead_list(user=actor).filter(pk=lead.pk, full_access=True).exists():
        # Raised inside the transaction, so the lead, its company and its history row are all rolled back.
        who = owner.get_username() if owner else "nobody (it waits in a team queue)"
        raise NotAllowed(f"You would not be able to see a lead owned by {who}; pick an owner you see.")
