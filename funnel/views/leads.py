"""Lead pages: capture, and the lead page with its edit, move, approval and call-report forms (the list is in
lead_list.py)."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.choices import Role
from accounts.selectors import user_list
from config.errors import DomainError
from funnel import call_report_selectors, forms, selectors
from funnel.directory import directory_for_lead
from funnel.services import approvals, intake, transitions
from funnel.services.config import funnel_config
from funnel.services.reassign import REASSIGNERS
from funnel.templatetags import ui
from funnel.views.call_report_form import call_report_context, call_report_form, call_report_submit
from funnel.views.common import error_message
from funnel.views.lead_marketing import marketing_context
from leads import selectors as lead_selectors
from leads import services as lead_services
from leads.choices import Stage
from leads.exceptions import DuplicateLead
from leads.models import SALES_ONLY_FIELDS, Lead

# The lead's fields on its page; SALES_ONLY_FIELDS among them are hidden from marketing-only viewers.
SHOWN_FIELDS = [
    *(name for name in forms.CAPTURE_FIELDS if name not in ("first_name", "last_name")),
    *forms.FACT_FIELDS,
    *("score", "outcome_reason", "stage_entered_at", "created_at"),
]


def _lead(request, lead_id: int, get=lead_selectors.lead_get) -> Lead:
    """The lead through one of the visibility selectors: 404 if the user does not see it; `lead_get_in_full`
    and `lead_get_for_change` also raise PermissionDenied (403) when the user may not do more than look."""
    try:
        return get(user=request.user, lead_id=lead_id)
    except Lead.DoesNotExist:
        raise Http404("No such lead.") from None


@login_required
def lead_create(request):
    form = forms.LeadForm(request.POST or None)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        try:
            lead = intake.lead_create(actor=request.user, data=form.cleaned_data)
        except DuplicateLead as exc:
            duplicate = exc.existing
            form.add_error("email", exc.message)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Lead {lead.name} captured at {lead.get_stage_display()}.")
            return redirect("lead-detail", lead_id=lead.pk)
    status = 422 if form.errors else 200
    return render(request, "funnel/lead_form.html", {"form": form, "duplicate": duplicate}, status=status)


FACT_WORDS = {True: "confirmed", False: "ruled out", None: "unknown"}


def _shown(lead: Lead, name: str) -> object:
    """A field's value as a person reads it: labels for choices, money with its currency, moments in words."""
    value = getattr(lead, name)
    if name.startswith("has_"):
        return FACT_WORDS[value]
    if name == "segment":
        return ui.label(value, "segment")
    if name in ("expected_value", "gross_margin"):
        return ui.money(value, lead.currency)
    if isinstance(value, datetime):
        return ui.when(value)
    return value


def _field_rows(lead: Lead) -> list[tuple[str, object]]:
    return [
        (Lead._meta.get_field(name).verbose_name, _shown(lead, name))
        for name in SHOWN_FIELDS
        if name != "currency" and (lead.full_access or name not in SALES_ONLY_FIELDS)
    ]


def _history(request, lead: Lead) -> list:
    history = list(selectors.transition_list(user=request.user, lead_id=lead.pk))
    for transition in history:
        transition.checks = selectors.rule_results_for(transition.rule_results, full_access=lead.full_access)
    return history


def _reachable(lead: Lead) -> list[tuple[str, str]]:
    """The moves the form offers: the same graph the transition service checks."""
    return [(key, Stage(key).label) for key in funnel_config().moves_from.get(lead.stage, [])]


def _lead_page(
    request, lead: Lead, *, edit_form=None, move_initial=None, move_error=None, call_report_form=None, status=200
):
    reachable = _reachable(lead)
    move_form = forms.TransitionForm(initial={"from_stage": lead.stage, **(move_initial or {})}, reachable=reachable)
    failed = (move_error.details.get("failed") or []) if isinstance(move_error, DomainError) else []
    context = {
        "lead": lead,
        "may_change": lead_selectors.lead_may_change(user=request.user, lead=lead),
        "fields": _field_rows(lead),
        "participants": lead.participants.select_related("user"),
        "edit_form": edit_form or forms.LeadEditForm(initial=forms.LeadEditForm.initial_for(lead)),
        "move_form": move_form,
        "reachable": reachable,
        "move_error": move_error and forms.error_lines(move_error),
        "needs_approval": any(c.get("remedy") == "request_approval" for c in failed),
        "approval_form": forms.ApprovalAskForm(initial={"to_stage": (move_initial or {}).get("to_stage")}),
        "history": _history(request, lead),
        "handoffs": selectors.handoff_list(user=request.user).filter(lead_id=lead.pk).select_related("reject_reason"),
        "approvals": selectors.approval_request_list(user=request.user).filter(lead_id=lead.pk),
        "call_reports": call_report_selectors.call_report_list_of_lead(lead_id=lead.pk)[:20],
        **_call_report_context(request, lead, call_report_form),
        **marketing_context(lead),
        **_give_context(request, lead),
        "who_to_call": directory_for_lead(lead),
    }
    return render(request, "funnel/lead_detail.html", context, status=status)


def _give_context(request, lead: Lead) -> dict:
    """The "give to someone else" form, for those who reassign and may change this lead."""
    user = request.user
    if (user.role not in REASSIGNERS and not user.is_superuser) or not lead_selectors.lead_changeable(
        user=user, lead_ids=[lead.pk]
    ):
        return {"may_give": False}
    owners = user_list().exclude(role=Role.INTEGRATION).exclude(pk=lead.owner_id).order_by("username")
    return {"may_give": True, "owners": owners, "here": request.get_full_path()}


@login_required
def lead_detail(request, lead_id: int):
    return _lead_page(request, _lead(request, lead_id))


@login_required
@require_POST
def lead_edit(request, lead_id: int):
    lead = _lead(request, lead_id, lead_selectors.lead_get_for_change)
    form = forms.LeadEditForm(request.POST, initial=forms.LeadEditForm.initial_for(lead))
    if form.is_valid():
        fields = form.changed_fields()
        if not fields:
            messages.info(request, "Nothing changed.")
            return redirect("lead-detail", lead_id=lead.pk)
        try:
            lead_services.lead_update(lead=lead, fields=fields)
        except DuplicateLead as exc:
            form.add_error("email", lead_selectors.duplicate_for(user=request.user, error=exc).message)
        except ValidationError as exc:
            forms.add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {', '.join(sorted(fields))}.")
            return redirect("lead-detail", lead_id=lead.pk)
    # lead_update may have set the refused values on the instance: show the stored lead again.
    return _lead_page(request, _lead(request, lead_id), edit_form=form, status=422)


@login_required
@require_POST
def lead_move(request, lead_id: int):
    lead = _lead(request, lead_id, lead_selectors.lead_get_for_change)
    form = forms.TransitionForm(request.POST)
    if not form.is_valid():
        return _lead_page(
            request, lead, move_error=ValidationError({f: list(e) for f, e in form.errors.items()}), status=422
        )
    data = form.cleaned_data
    try:
        done = transitions.lead_transition(
            lead=lead,
            to_stage=data["to_stage"],
            actor=request.user,
            reason=data["reason"],
            expected_from=data["from_stage"],
        )
    except (DomainError, ValidationError) as exc:
        status = exc.status if isinstance(exc, DomainError) else 422
        initial = {"to_stage": data["to_stage"], "reason": data["reason"]}
        # Re-read: a conflict means the lead moved, and the page must show where it is now.
        return _lead_page(request, _lead(request, lead_id), move_initial=initial, move_error=exc, status=status)
    owner = (
        f"; owner {done.to_owner.get_username()}" if done.to_owner_id != done.from_owner_id and done.to_owner else ""
    )
    moved = f"Moved {lead.name} from {done.get_from_stage_display()} to {done.get_to_stage_display()}{owner}"
    if not lead_selectors.lead_list(user=request.user).filter(pk=lead.pk).exists():
        # Handed to a side the mover does not see: its page would be a 404, so go back to the list.
        messages.success(request, f"{moved}. It is now in their hands, outside your leads.")
        return redirect("lead-list")
    messages.success(request, f"{moved}.")
    return redirect("lead-detail", lead_id=lead.pk)


@login_required
@require_POST
def lead_approval_ask(request, lead_id: int):
    lead = _lead(request, lead_id, lead_selectors.lead_get_for_change)
    form = forms.ApprovalAskForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say which stage the approval is for.")
        return redirect("lead-detail", lead_id=lead.pk)
    try:
        made = approvals.approval_request_create(lead=lead, to_stage=form.cleaned_data["to_stage"], actor=request.user)
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        roles = ", ".join(sorted({r.get_role_display().lower() for r in made}))
        messages.success(request, f"Asked a {roles} to approve the move to {form.cleaned_data['to_stage']}.")
    return redirect("lead-detail", lead_id=lead.pk)


@login_required
@require_POST
def lead_call_report(request, lead_id: int):
    lead = _lead(request, lead_id, lead_selectors.lead_get_in_full)
    form = call_report_form(subject=lead, data=request.POST)
    if not call_report_submit(request, form, lead=lead):
        return _lead_page(request, _lead(request, lead_id), call_report_form=form, status=400)
    return redirect("lead-detail", lead_id=lead.pk)


def _call_report_context(request, lead: Lead, form) -> dict:
    """The call report form, for those who may log one (who see the lead in full)."""
    if not lead.full_access:
        return {}
    return call_report_context(form=form or call_report_form(subject=lead), author=request.user)
