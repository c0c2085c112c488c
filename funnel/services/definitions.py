"""The shared language: lead definition versions are proposed, signed off by marketing and by sales (two
different people), and only then used."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.choices import MANAGER_ROLES, Role
from accounts.models import User
from accounts.selectors import user_subtree_ids
from config.validation import json_problems
from funnel import events
from funnel.exceptions import NotAllowed, NotPending
from funnel.models import LeadDefinition, LeadDefinitionVersion, Simulation
from funnel.simulation.choices import SimulationStatus
from leads import criteria as conditions
from leads.choices import SignOffSide, VersionStatus
from leads.criteria import lead_snapshot
from leads.models import Lead
from leads.selectors import HIDDEN_REASON, reveals_sales_data
from leads.signoff import side_for, sign

PROPOSERS = frozenset({Role.MARKETER, Role.MARKETING_MANAGER, Role.SALES_MANAGER, Role.REVENUE_LEADER, Role.ADMIN})


def criteria_validate(criteria: object) -> None:
    errors = json_problems(criteria, "criteria") or conditions.validate_criteria(criteria)
    if errors:
        raise ValidationError({"criteria": errors})


def definition_version_propose(
    *, definition: LeadDefinition, criteria: dict, proposed_by: User, note: str = ""
) -> LeadDefinitionVersion:
    if proposed_by.role not in PROPOSERS:
        raise NotAllowed("Marketers, managers, revenue leaders and administrators propose definitions.")
    criteria_validate(criteria)
    with transaction.atomic():
        # The definition row lock numbers concurrent proposals 1, 2, 3 without gaps or clashes.
        LeadDefinition.objects.select_for_update().get(pk=definition.pk)
        last = definition.versions.aggregate(n=Max("number"))["n"] or 0
        return LeadDefinitionVersion.objects.create(
            definition=definition, number=last + 1, criteria=criteria, note=note, proposed_by=proposed_by
        )


def _activate(version: LeadDefinitionVersion, now) -> None:
    LeadDefinitionVersion.objects.filter(definition=version.definition, status=VersionStatus.ACTIVE).update(
        status=VersionStatus.SUPERSEDED
    )
    version.status, version.activated_at = VersionStatus.ACTIVE, now
    events.definition_activated(version)


def definition_version_sign_off(
    *, version_id: int, user: User, side: str | None = None, simulation_id: int | None = None
) -> LeadDefinitionVersion:
    """Records `user`'s signature for their side, and the simulation they had in front of them (one of this
    version's, finished); the second side's signature (by a different person) activates the version and
    supersedes the previous active one. Signing the same side twice is a no-op."""
    side = side_for(user, side)
    with transaction.atomic():
        version = LeadDefinitionVersion.objects.select_for_update().select_related("definition").get(pk=version_id)
        LeadDefinition.objects.select_for_update().get(pk=version.definition_id)
        seen = _simulation_seen(version, simulation_id)
        now = timezone.now()
        what = f"Version {version.number} of {version.definition.code}"
        if sign(version, side=side, user=user, now=now, what=what):
            _activate(version, now)
        if side == SignOffSide.MARKETING:
            version.marketing_simulation = seen
        else:
            version.sales_simulation = seen
        version.save()
    return version


def _simulation_seen(version: LeadDefinitionVersion, simulation_id: int | None) -> Simulation | None:
    if simulation_id is None:
        return None
    seen = Simulation.objects.filter(pk=simulation_id, definition_version=version).first()
    if seen is None or seen.status != SimulationStatus.DONE:
        raise ValidationError({"simulation": f"Simulation {simulation_id} is not a finished one of this version."})
    return seen


def _may_withdraw(user: User, version: LeadDefinitionVersion) -> bool:
    if user.pk == version.proposed_by_id or user.role in (Role.REVENUE_LEADER, Role.ADMIN) or user.is_superuser:
        return True
    return user.role in MANAGER_ROLES and version.proposed_by_id in user_subtree_ids(user=user)


def definition_version_withdraw(*, version_id: int, user: User) -> LeadDefinitionVersion:
    with transaction.atomic():
        version = LeadDefinitionVersion.objects.select_for_update().get(pk=version_id)
        if version.status != VersionStatus.PROPOSED:
            raise NotPending(f"Only a proposed version can be withdrawn; this one is {version.status}.")
        if not _may_withdraw(user, version):
            raise NotAllowed(
                "A proposal is withdrawn by its proposer, a manager above them, a revenue leader or an "
                "administrator; the other side declines it by not signing (or proposes its own version)."
            )
        version.status = VersionStatus.WITHDRAWN
        version.save(update_fields=["status"])
    return version


def definition_evaluate(*, version: LeadDefinitionVersion, lead: Lead, full_access: bool = True) -> dict:
    """Which criteria of `version` the lead passes and which it fails. For a viewer who sees the lead's
    marketing data only (`full_access` False), a criterion on a sales-only field shows neither its result nor
    its reason; whether the lead meets the definition is the shared language, so `met` is always shown."""
    results = conditions.evaluate_criteria(version.criteria, lead_snapshot(lead))
    criteria = []
    for result in results:
        hidden = not full_access and reveals_sales_data(result.fields)
        criteria.append(
            {
                "label": result.label,
                "passed": None if hidden else result.passed,
                "reason": HIDDEN_REASON if hidden else result.reason,
            }
        )
    return {
        "definition": version.definition.code,
        "version": version.number,
        "version_status": version.status,
        "met": all(r.passed for r in results),
        "criteria": criteria,
    }
