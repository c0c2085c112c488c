"""The lead list: filters kept in the URL, sortable columns walked by keyset, an approximate total, saved
views, and bulk moves — each lead through the one door, each refusal reported by name."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.choices import Role
from accounts.selectors import saved_view_list, user_list
from config.errors import DomainError
from funnel import forms
from funnel.services import transitions
from funnel.services.reassign import REASSIGNERS, leads_reassign
from funnel.views.common import back, error_message
from funnel.views.listing import Sort, about, approximate_count, keyset_page
from leads import selectors as lead_selectors
from leads.choices import Stage
from leads.filters import LeadFilter
from leads.imports.services import may_import
from leads.models import Lead

PAGE_SIZE = 50
BULK_LIMIT = 200
SORTS = {
    sort.key: sort
    for sort in (
        Sort("newest", "Newest first", ("-id",)),
        Sort("oldest", "Oldest first", ("id",)),
        Sort("name", "Name", ("last_name", "first_name", "id")),
        Sort("score", "Highest score", ("-score", "-id")),
    )
}
PAGE_NAME = "lead-list"


def _query_without(request, *names: str, **extra: str) -> str:
    """This page's query string without `names` (and with `extra`), as a link: "?stage=intent&sort=name"."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    for name, value in extra.items():
        query[name] = value
    return f"?{query.urlencode()}"


@login_required
def lead_list(request):
    leads = lead_selectors.lead_list(user=request.user).select_related("owner", "team", "company")
    filters = LeadFilter(request.GET, queryset=leads, request=request)
    sort = SORTS.get(request.GET.get("sort", ""), SORTS["newest"])
    if filters.is_valid():
        rows, following, valid = keyset_page(filters.qs, sort, request.GET.get("cursor", ""), PAGE_SIZE)
        count, exact = approximate_count(filters.qs)
    else:  # a filter that names nothing shows nothing (and says why), not every lead under a total of 0
        rows, following, valid, count, exact = [], None, True, 0, True
    if not valid:
        messages.info(request, "That page link is out of date; here is the first page.")
    context = {
        "leads": rows,
        "total": about(count, exact),
        "next_url": _query_without(request, "cursor", cursor=following) if following else "",
        "first_url": _query_without(request, "cursor") if request.GET.get("cursor") else "",
        "sort": sort,
        "sorts": SORTS.values(),
        "sort_links": {key: _query_without(request, "cursor", sort=key) for key in SORTS},
        "current_query": _query_without(request, "cursor")[1:],
        "filter_errors": filters.errors,
        "stages": Stage.choices,
        "owners": user_list().exclude(role=Role.INTEGRATION).order_by("username"),
        "chosen": {key: request.GET.get(key, "") for key in ("q", "owner", "mine")},
        "chosen_stages": (chosen := [s for s in request.GET.getlist("stage") if s in Stage.values]),
        "stage_summary": ", ".join(Stage(s).label for s in chosen) if chosen else "Any stage",
        "saved_views": saved_view_list(user=request.user, page=PAGE_NAME),
        "may_reassign": request.user.role in REASSIGNERS or request.user.is_superuser,
        "may_import": may_import(request.user),
        "here": request.get_full_path(),
    }
    return render(request, "funnel/lead_list.html", context)


@login_required
@require_POST
def saved_view_save(request):
    form = forms.SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the view a name of at most 60 characters.")
        return back(request, PAGE_NAME)
    try:
        view = account_services.saved_view_save(
            user=request.user, page=PAGE_NAME, name=form.cleaned_data["name"], query=form.saved_query()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Saved the view “{view.name}”.")
    return back(request, PAGE_NAME)


@login_required
@require_POST
def saved_view_delete(request, view_id: int):
    if account_services.saved_view_delete(user=request.user, view_id=view_id):
        messages.success(request, "Deleted the saved view.")
    return back(request, PAGE_NAME)


def _move_one(user, lead_id: int, to_stage: str, reason: str) -> str | None:
    """None if moved; otherwise why not, in one line."""
    try:
        lead = lead_selectors.lead_get_for_change(user=user, lead_id=lead_id)
        transitions.lead_transition(lead=lead, to_stage=to_stage, actor=user, reason=reason)
    except Lead.DoesNotExist:
        return "not found"
    except PermissionDenied as exc:
        return str(exc)
    except (DomainError, ValidationError) as exc:
        return " · ".join(forms.error_lines(exc))
    return None


@login_required
@require_POST
def lead_bulk_reassign(request):
    """Gives the chosen leads to another owner, stages unchanged: all of them, or none with the reason why."""
    form = forms.BulkReassignForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return back(request, PAGE_NAME)
    to_owner = form.cleaned_data["to_owner"]
    try:
        done = leads_reassign(
            actor=request.user, to_owner=to_owner, reason=form.cleaned_data["reason"], lead_ids=form.cleaned_data["ids"]
        )
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        what = "1 lead" if done.leads == 1 else f"{done.leads} leads"
        messages.success(request, f"Gave {what} to {to_owner.get_full_name() or to_owner}; stages unchanged.")
    return back(request, PAGE_NAME)


@login_required
@require_POST
def lead_bulk_move(request):
    form = forms.BulkMoveForm(request.POST)
    if form.is_valid() and len(form.cleaned_data["ids"]) > BULK_LIMIT:
        form.add_error(
            "ids", f"Move at most {BULK_LIMIT} leads at a time; {len(form.cleaned_data['ids'])} were chosen."
        )
    if not form.is_valid():
        messages.error(request, " ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return back(request, PAGE_NAME)
    ids, to_stage, reason = (
        form.cleaned_data["ids"],
        form.cleaned_data["to_stage"],
        form.cleaned_data["reason"],
    )
    names = dict(lead_selectors.lead_list(user=request.user).filter(pk__in=ids).values_list("pk", "last_name"))
    refused = [(lead_id, why) for lead_id in ids if (why := _move_one(request.user, lead_id, to_stage, reason))]
    moved = len(ids) - len(refused)
    label = Stage(to_stage).label
    if moved:
        messages.success(request, f"Moved {moved} lead{'s' if moved != 1 else ''} to {label}.")
    if refused:
        shown = "; ".join(f"{names.get(pk, f'lead {pk}')}: {why}" for pk, why in refused[:5])
        more = f" (and {len(refused) - 5} more)" if len(refused) > 5 else ""
        messages.error(request, f"{len(refused)} not moved to {label} — {shown}{more}")
    return back(request, PAGE_NAME)
