"""Lead definitions: read the active criteria, propose a version, simulate it, sign it off."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from config.errors import DomainError
from funnel import forms, selectors
from funnel.services import definitions
from funnel.views import simulations
from funnel.views.common import error_message
from leads import criteria as conditions
from leads.choices import VersionStatus
from leads.signoff import SIGNERS


def _criteria_lines(version) -> list[str]:
    return [conditions.describe(c) for c in version.criteria.get("conditions", [])] if version else []


def _signer_sides(user) -> list[str]:
    return [side for side, roles in SIGNERS.items() if user.role in roles]


def _proposals(user, versions: list, reach: int | None, simulation_forms: dict) -> list[tuple]:
    """Each proposed version with its criteria in words and its simulation panel."""
    return [
        (v, _criteria_lines(v), simulations.panel(user=user, version=v, reach=reach, form=simulation_forms.get(v.pk)))
        for v in versions
        if v.status == VersionStatus.PROPOSED
    ]


def _definition_rows(user, bound: dict, simulation_forms: dict) -> list[dict]:
    rows, reach = [], simulations.history_reach() if simulations.may_simulate(user) else None
    for definition in selectors.definition_list():
        versions = list(definition.versions.all())
        active = next((v for v in versions if v.status == VersionStatus.ACTIVE), None)
        proposed = _proposals(user, versions, reach, simulation_forms)
        example = active.criteria if active else {"conditions": [{"field": "score", "op": "gte", "value": 40}]}
        form = bound.get(definition.pk) or forms.ProposeForm(
            initial={"criteria": example}, auto_id=f"id_{definition.code}_%s"
        )
        rows.append(
            {
                "definition": definition,
                "active": active,
                "active_lines": _criteria_lines(active),
                "proposed": proposed,
                "form": form,
            }
        )
    return rows


def _definitions_page(request, bound: dict | None = None, simulation_forms: dict | None = None, status: int = 200):
    context = {
        "rows": _definition_rows(request.user, bound or {}, simulation_forms or {}),
        "may_propose": request.user.role in definitions.PROPOSERS,
        "sides": _signer_sides(request.user),
    }
    return render(request, "funnel/definition_list.html", context, status=status)


@login_required
def definition_list(request):
    return _definitions_page(request)


@login_required
@require_POST
def definition_propose(request, definition_id: int):
    definition = selectors.definition_list().filter(pk=definition_id).first()
    if definition is None:
        raise Http404("No such definition.")
    form = forms.ProposeForm(request.POST, auto_id=f"id_{definition.code}_%s")
    if form.is_valid():
        try:
            version = definitions.definition_version_propose(
                definition=definition,
                criteria=form.cleaned_data["criteria"],
                proposed_by=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Proposed {definition.code} v{version.number}; it needs both sign-offs.")
            return redirect("definition-list")
    return _definitions_page(request, bound={definition.pk: form}, status=422)


@login_required
@require_POST
def definition_simulate(request, version_id: int):
    form, simulation = simulations.run(request, version_id)
    if simulation is not None:
        return redirect(f"{reverse('definition-list')}#v{version_id}")
    return _definitions_page(request, simulation_forms={version_id: form}, status=400)


@login_required
@require_POST
def definition_sign_off(request, version_id: int):
    form = forms.SignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, " · ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("definition-list")
    try:
        version = definitions.definition_version_sign_off(
            version_id=version_id,
            user=request.user,
            side=form.cleaned_data["side"] or None,
            simulation_id=form.cleaned_data["simulation"],
        )
    except ObjectDoesNotExist:
        raise Http404("No such definition version.") from None
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        label = f"{version.definition.code} v{version.number}"
        if version.status == VersionStatus.ACTIVE:
            messages.success(request, f"{label} is signed off by both sides and now active.")
        else:
            messages.success(request, f"Signed off {label}; it now needs the other side's sign-off.")
    return redirect("definition-list")
