"""The simulation beside each proposed definition version, and the leads behind each of its counts: what the
proposal would have done, so that both signers sign knowing. The job runs in Celery; while it runs the page
polls a small progress partial every two seconds (htmx) and swaps the finished result in."""

from datetime import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import User
from crm.choices import Segment
from crm.models import Campaign
from funnel import forms as funnel_forms
from funnel.models import LeadDefinitionVersion, Simulation, Transition
from funnel.simulation import services
from funnel.simulation.choices import SimulationKind, SimulationStatus
from funnel.simulation.definitions import simulation_leads
from funnel.simulation.models import MAX_WINDOW_DAYS
from funnel.views.listing import Sort, about, approximate_count, keyset_page
from leads.choices import Stage
from leads.selectors import lead_list

DEFAULT_WINDOW = 90
PAGE_SIZE = 50
NEWEST = Sort("newest", "Newest first", ("-id",))
NOT_YOURS = "Marketers, managers, revenue leaders and administrators read and run simulations."
DIMENSIONS = {"segment": "Segment", "source_campaign": "Source campaign", "owner": "Owner", "team": "Team"}


def _columns(part: str, proposed: str, active: str) -> list[tuple[str, str]]:
    if part == "now":
        return [
            ("leads", "Open leads"),
            ("qualify_active", f"Qualify under {active}"),
            ("qualify_proposed", f"Would qualify under {proposed}"),
            ("newly_qualify", "Newly qualify"),
            ("stop_qualifying", "Stop qualifying"),
        ]
    return [
        ("moves", "Moves"),
        ("refused_proposed", f"{proposed} would refuse"),
        ("refused_active", f"{active} would refuse"),
        ("newly_refused", "Newly refused"),
    ]


def _bucket_words(bucket: str, proposed: str, active: str) -> str:
    """What the leads behind a count are, as a page heading says it."""
    return {
        "leads": "Open leads",
        "qualify_active": f"Open leads that qualify under {active}",
        "qualify_proposed": f"Open leads that would qualify under {proposed}",
        "newly_qualify": f"Open leads that would newly qualify under {proposed}",
        "stop_qualifying": f"Open leads that would stop qualifying under {proposed}",
        "moves": "Leads behind the moves it gates",
        "refused_proposed": f"Leads behind the moves {proposed} would have refused",
        "refused_active": f"Leads behind the moves {active} would have refused",
        "newly_refused": f"Leads behind the moves only {proposed} would have refused",
        "went_on_to_purchase": f"Leads {proposed} would have held back that went on to buy",
    }[bucket]


class RunForm(forms.Form):
    # No minimum here: a window of 0 days is refused by the service, in its words, beside this field.
    window_days = forms.IntegerField(label="Window in days", max_value=MAX_WINDOW_DAYS)
    fresh = forms.BooleanField(required=False)


class DrillDownForm(forms.Form):
    """A count's address; which names are counts is the simulation's to say (simulation_leads)."""

    part = forms.CharField(max_length=20, error_messages={"required": "Say which part: now or history."})
    bucket = forms.CharField(max_length=40, error_messages={"required": "Say which count, e.g. bucket=newly_qualify."})
    dimension = forms.CharField(max_length=40, required=False)
    value = forms.CharField(max_length=200, required=False, strip=False)


def may_simulate(user) -> bool:
    return user.role in services.SIMULATORS or user.is_superuser


def _definition_simulation(user, simulation_id: int) -> Simulation:
    if not may_simulate(user):
        raise PermissionDenied(NOT_YOURS)
    simulation = (
        Simulation.objects.select_related("definition_version__definition", "requested_by")
        .filter(pk=simulation_id, kind=SimulationKind.DEFINITION)
        .first()
    )
    if simulation is None:
        raise Http404("No such simulation.")
    return simulation


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _link(simulation_id: int, part: str, bucket: str, dimension: str = "", value: str = "") -> str:
    query = {"part": part, "bucket": bucket} | ({"dimension": dimension, "value": value} if dimension else {})
    return f"{reverse('simulation-leads', args=[simulation_id])}?{urlencode(query)}"


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) < 19


def _labeller(result: dict):
    """label(dimension, row): a segment's, campaign's or person's name for a breakdown row (one query each)."""
    ids = {name: set() for name in ("source_campaign", "owner")}
    for part in ("now", "history"):
        for name in ids:
            ids[name].update(int(r["value"]) for r in result[part]["by"][name] if _is_id(r["value"]))
    campaigns = dict(Campaign.objects.filter(pk__in=ids["source_campaign"]).values_list("pk", "name"))
    people = {user.pk: user.get_full_name() or user.username for user in User.objects.filter(pk__in=ids["owner"])}
    names = {"source_campaign": campaigns, "owner": people}

    def label(dimension: str, row: dict) -> str:
        value = row["value"]
        if value == "":
            return "(none)"
        if dimension == "segment":
            return Segment(value).label if value in Segment.values else value
        if dimension in names and _is_id(value):
            return names[dimension].get(int(value), row["label"])
        return row["label"]

    return label


def _versions(result: dict) -> tuple[str, str]:
    active = result["active"]
    return f"v{result['proposed']['number']}", f"v{active['number']}" if active else "the active version (none)"


def _table(simulation: Simulation, part: str, dimension: str, columns: list, label) -> dict:
    """One breakdown, every cell a (count, link to its leads, column header) triple."""
    rows = []
    for row in simulation.result[part]["by"][dimension]:
        links = [_link(simulation.pk, part, key, dimension, row["value"]) for key, _ in columns]
        cells = [(row[key], link, header) for (key, header), link in zip(columns, links, strict=True)]
        rows.append({"label": label(dimension, row), "cells": cells})
    return {"name": DIMENSIONS[dimension], "headers": [header for _, header in columns], "rows": rows}


def _tables(simulation: Simulation, label) -> list[dict]:
    """Each part's breakdowns by segment, source campaign, owner and team."""
    result = simulation.result
    titles = {"now": "Open leads now", "history": f"Moves of the last {_days(result['window_days'])}"}
    return [
        {
            "title": title,
            "tables": [_table(simulation, part, d, _columns(part, *_versions(result)), label) for d in DIMENSIONS],
        }
        for part, title in titles.items()
    ]


def _stage_words(stages: list[str] | None) -> str:
    if not stages:
        return "the stages it gates"
    if "" in stages:
        return "any stage"
    return " or ".join(Stage(s).label.lower() if s in Stage.values else s for s in stages)


def _result(simulation: Simulation) -> dict:
    result = simulation.result
    history = result["history"]
    buckets = {"now": list(result["now"]["totals"]), "history": [*history["totals"], "went_on_to_purchase"]}
    proposed, active = _versions(result)
    return {
        "now": result["now"]["totals"],
        "history": history["totals"],
        "gated": history["gated"],
        "stages": _stage_words(history.get("stages")),
        "went_on_to_purchase": history["went_on_to_purchase"],
        "revenue": history["revenue_held_back"],
        "computed_at": datetime.fromisoformat(result["computed_at"]),
        "window_days": result["window_days"],
        "proposed": proposed,
        "active": active,
        "has_active": result["active"] is not None,
        "links": {part: {b: _link(simulation.pk, part, b) for b in names} for part, names in buckets.items()},
        "tables": _tables(simulation, _labeller(result)),
    }


def history_reach() -> int | None:
    """About how many days back the kept history reaches, for the form's default and hint. The oldest move by id
    (the primary key's index) rather than the earliest in time (a scan of every move on each page view): its
    time is never earlier than the earliest, so a default within it is never refused as too long."""
    first = Transition.objects.filter(context__isnull=False).order_by("id").values_list("occurred_at", flat=True)
    oldest = first.first()
    return None if oldest is None else (timezone.now() - oldest).days + 1


def panel(*, user, version: LeadDefinitionVersion, reach: int | None, form=None, failed=None) -> dict | None:
    """What the simulation panel of one proposed version shows; None for someone who may not read simulations."""
    if not may_simulate(user):
        return None
    simulation = services.latest_simulation(version=version)
    done = simulation is not None and simulation.status == SimulationStatus.DONE
    initial = min(DEFAULT_WINDOW, reach) if reach else DEFAULT_WINDOW
    return {
        "version": version,
        "simulation": simulation,
        "result": _result(simulation) if done else None,
        "shown_id": simulation.pk if done else None,
        "failed": failed,
        "reach": reach,
        "form": form or RunForm(initial={"window_days": initial}, auto_id=f"id_sim{version.pk}_%s"),
    }


def run(request, version_id: int) -> tuple[RunForm, Simulation | None]:
    """Starts (or finds the recent) simulation the posted form asks for; (the form with any error, the job)."""
    if not may_simulate(request.user):
        raise PermissionDenied(NOT_YOURS)
    if not LeadDefinitionVersion.objects.filter(pk=version_id).exists():
        raise Http404("No such definition version.")
    form = RunForm(request.POST, auto_id=f"id_sim{version_id}_%s")
    if not form.is_valid():
        return form, None
    try:
        simulation = services.definition_simulation_request(
            actor=request.user,
            version_id=version_id,
            window_days=form.cleaned_data["window_days"],
            fresh=form.cleaned_data["fresh"],
        )
    except ValidationError as exc:
        funnel_forms.add_service_errors(form, exc)
        if "window_days" not in exc.message_dict:
            messages.error(request, " · ".join(funnel_forms.error_lines(exc)))
        return form, None
    started = "Started" if simulation.status == SimulationStatus.QUEUED else "Showing"
    messages.success(request, f"{started} simulation #{simulation.pk} over the last {_days(simulation.window_days)}.")
    return form, simulation


@login_required
@require_GET
def simulation_progress(request, simulation_id: int):
    """The small partial the page polls; once the job is over, the whole panel in its place."""
    simulation = _definition_simulation(request.user, simulation_id)
    if simulation.status in (SimulationStatus.QUEUED, SimulationStatus.RUNNING):
        return render(request, "funnel/_simulation_progress.html", {"simulation": simulation})
    version = simulation.definition_version
    failed = simulation if simulation.status == SimulationStatus.FAILED else None
    context = {"panel": panel(user=request.user, version=version, reach=history_reach(), failed=failed), "oob": True}
    response = render(request, "funnel/_simulation_panel.html", context)
    response["HX-Retarget"], response["HX-Reswap"] = f"#simulation-v{version.pk}", "outerHTML"
    return response


def _heading(simulation: Simulation, query: dict) -> dict:
    result = simulation.result
    part, bucket, dimension = query["part"], query["bucket"], query["dimension"]
    proposed, active = _versions(result)
    source = result[part]["totals"] if bucket != "went_on_to_purchase" else result["history"]
    counted = source.get(bucket)
    row_label = ""
    if dimension:
        row = next((r for r in result[part]["by"][dimension] if r["value"] == query["value"]), None)
        counted = row.get(bucket) if row else 0
        row_label = _labeller(result)(dimension, row or {"value": query["value"], "label": query["value"]})
    return {
        "title": _bucket_words(bucket, proposed, active),
        "code": result["definition"],
        "part": "open leads now" if part == "now" else f"past moves of the last {_days(result['window_days'])}",
        "dimension": DIMENSIONS.get(dimension, ""),
        "row": row_label,
        "counted": counted,
        "what": "moves" if part == "history" and bucket != "went_on_to_purchase" else "leads",
        "computed_at": datetime.fromisoformat(result["computed_at"]),
        "proposed": proposed,
        "active": active,
    }


def _bad_drill_down(request, exc: ValidationError):
    message = " · ".join(funnel_forms.error_lines(exc))
    context = {"status": 400, "title": "That count cannot be listed", "message": message}
    return render(request, "error.html", context, status=400)


def _drilled(simulation: Simulation, params) -> tuple[dict, object]:
    """(the count's address, the leads behind it) or ValidationError naming what is wrong with the address."""
    if simulation.result is None:
        raise ValidationError({"simulation": f"Simulation {simulation.pk} has no result: it is {simulation.status}."})
    form = DrillDownForm(params)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return form.cleaned_data, simulation_leads(result=simulation.result, **form.cleaned_data)


def _page_link(request, cursor: str) -> str:
    query = request.GET.copy()
    query.pop("cursor", None)
    if cursor:
        query["cursor"] = cursor
    return f"?{query.urlencode()}"


@login_required
@require_GET
def simulation_leads_page(request, simulation_id: int):
    """The leads behind one count of a simulation, as they are now, among those the viewer may see."""
    simulation = _definition_simulation(request.user, simulation_id)
    try:
        query, behind = _drilled(simulation, request.GET)
    except ValidationError as exc:
        return _bad_drill_down(request, exc)
    leads = lead_list(user=request.user).filter(pk__in=behind.values("pk")).select_related("owner", "team", "company")
    rows, following, valid = keyset_page(leads, NEWEST, request.GET.get("cursor", ""), PAGE_SIZE)
    if not valid:
        messages.info(request, "That page link is out of date; here is the first page.")
    count, exact = approximate_count(leads)
    context = {
        "simulation": simulation,
        "heading": _heading(simulation, query),
        "leads": rows,
        "total": about(count, exact),
        "next_url": _page_link(request, following) if following else "",
        "first_url": _page_link(request, "") if request.GET.get("cursor") else "",
        "back": f"{reverse('definition-list')}#v{simulation.definition_version_id}",
    }
    return render(request, "funnel/simulation_leads.html", context)
