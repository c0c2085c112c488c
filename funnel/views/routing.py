"""A manager's routing page (/team/routing/): their team's people with weight, cap and pause editable per row
and where each stands now, and a period's share of the pool's leads per person against their weight as a
chart and a table. Every change goes through funnel.routing.people, as the API's does."""

import re
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.choices import MANAGER_ROLES
from accounts.models import Team, User
from config.errors import DomainError
from funnel.routing import people as routing
from funnel.views.charts import PALETTE, Chart
from funnel.views.common import back

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WHOLE = re.compile(r"-?[0-9]{1,9}")


class PeriodForm(forms.Form):
    team = forms.TypedChoiceField(coerce=int, required=False)
    since = forms.DateField(required=False, widget=DATE_INPUT, input_formats=["%Y-%m-%d"], label="From")
    until = forms.DateField(required=False, widget=DATE_INPUT, input_formats=["%Y-%m-%d"], label="To")

    def __init__(self, *args, teams: list[Team], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(t.pk, t.name) for t in teams]


class RowForm(forms.Form):
    """One person's row; the service judges the values, so its messages show beside the fields."""

    routing_weight = forms.CharField(max_length=40, label="Weight")
    routing_cap = forms.CharField(max_length=40, required=False, label="Cap")
    routing_paused = forms.BooleanField(required=False, label="Paused")

    def changes(self) -> dict:
        data = self.cleaned_data
        cap = data["routing_cap"].strip()
        return {
            "routing_weight": data["routing_weight"],
            "routing_cap": int(cap) if WHOLE.fullmatch(cap) else (cap or None),
            "routing_paused": data["routing_paused"],
        }


def _allowed(user: User) -> None:
    if user.role not in MANAGER_ROLES and not user.is_administrator:
        raise PermissionDenied("The routing page is for managers, revenue leaders and administrators.")


def _period(request, teams: list[Team]) -> tuple[PeriodForm, Team | None, tuple]:
    """The team and days asked for; where a value is refused, the default, and the form says why."""
    form = PeriodForm(request.GET or None, teams=teams)
    if form.is_bound:
        form.is_valid()  # the valid fields land in cleaned_data, the others' errors on the form
    data = getattr(form, "cleaned_data", {})
    team = next((t for t in teams if t.pk == data.get("team")), None) or routing.default_team(
        user=request.user, teams=teams
    )
    if team is None:
        return form, None, ()
    try:
        since, until = routing.share_days(team, data.get("since"), data.get("until"))
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            form.add_error(field, problems)
        since, until = routing.last_days(team)
    _show(form, {"team": team.pk, "since": since.isoformat(), "until": until.isoformat()})
    return form, team, (since, until)


def _show(form: PeriodForm, used: dict) -> None:
    """The inputs show what the page shows: the defaults where nothing was asked, what was typed elsewhere."""
    if not form.is_bound:
        form.initial = used
        return
    form.data = form.data.copy()
    for name, value in used.items():
        if not form.data.get(name):
            form.data[name] = value


def share_chart(report: routing.ShareReport) -> Chart:
    """Each person's share of the routed leads beside the share their weight asks for, in per cent."""
    names = [s.name for s in report.people]
    option = {
        "color": [PALETTE[6], PALETTE[0]],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 24, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value} %"}},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [
            {"name": "Weight share", "type": "bar", "data": [_percent(s.expected) for s in report.people]},
            {"name": "Actual share", "type": "bar", "data": [_percent(s.actual) for s in report.people]},
        ],
    }
    rows = [
        [s.name, s.weight if s.weight is not None else "left", _percent(s.expected), s.won, _percent(s.actual)]
        for s in report.people
    ]
    headers = ["Person", "Weight", "Weight share %", "Leads", "Actual share %"]
    return Chart("routing-share", "Share of routed leads against weight", headers, rows, option, 80 + 56 * len(names))


def _percent(share) -> float:
    return round(float(share) * 100, 1)


def _rows(request, people: list, posted: dict, errors: dict) -> list[dict]:
    """Each person with the values their row's inputs show (what was just sent, when it was refused)."""
    editable = routing.manageable_ids(actor=request.user, user_ids=[p.user.pk for p in people])
    rows = []
    for p in people:
        sent = posted.get(p.user.pk)
        values = {
            "routing_weight": sent.get("routing_weight", "") if sent else p.user.routing_weight,
            "routing_cap": sent.get("routing_cap", "") if sent else p.user.routing_cap,
            "routing_paused": bool(sent.get("routing_paused")) if sent else p.user.routing_paused,
        }
        rows.append({"p": p, "editable": p.user.pk in editable, "values": values, "errors": errors.get(p.user.pk, {})})
    return rows


def _shares(report: routing.ShareReport) -> list[dict]:
    """Each share in per cent, with the leads its weight asked for and the difference ("within one lead")."""
    rows = []
    for share in report.people:
        expected = round(float(share.expected) * report.routed, 1)
        rows.append(
            {
                "share": share,
                "expected_percent": _percent(share.expected),
                "actual_percent": _percent(share.actual),
                "expected_leads": expected,
                "difference": round(share.won - expected, 1),
            }
        )
    return rows


def _page(request, *, posted: dict | None = None, errors: dict | None = None, status: int = 200):
    _allowed(request.user)
    teams = list(routing.routing_team_list(user=request.user))
    period, team, days = _period(request, teams)
    people = routing.routing_people(team) if team else []
    report = routing.routing_share(team, *days) if team else None
    context = {
        "team": team,
        "period": period,
        "rows": _rows(request, people, posted or {}, errors or {}),
        "report": report,
        "shares": _shares(report) if report else [],
        "charts": [share_chart(report)] if report and report.people else [],
        "here": f"{reverse('team-routing')}?{request.GET.urlencode()}" if request.GET else reverse("team-routing"),
    }
    status = 400 if period.errors and status == 200 else status
    return render(request, "funnel/team_routing.html", context, status=status)


@login_required
def routing_page(request):
    return _page(request)


@login_required
@require_POST
def routing_person_update(request, user_id: int):
    """A row's weight, cap and pause; refused values come back beside their fields on the same page."""
    _allowed(request.user)
    person = User.objects.filter(pk=user_id).select_related("team").first()
    visible = routing.routing_team_list(user=request.user)
    if person is None or not visible.filter(pk=person.team_id).exists():
        raise Http404("No such person in a team you can see.")
    form = RowForm(request.POST)
    errors: dict = {}
    if form.is_valid():
        try:
            routing.routing_settings_update(actor=request.user, user=person, **form.changes())
        except ValidationError as exc:
            errors = exc.message_dict
        except DomainError as exc:
            errors = {"row": [exc.message]}
    else:
        errors = form.errors
    if not errors:
        messages.success(request, f"Saved {routing.display_name(person)}'s routing.")
        return back(request, "team-routing")
    request.GET = _query_of(request)
    return _page(request, posted={person.pk: request.POST}, errors={person.pk: dict(errors)}, status=400)


def _query_of(request) -> QueryDict:
    """The page's own query (team and period) from the form's `next`, so a refused row re-renders that page."""
    return QueryDict(urlsplit(request.POST.get("next", "")).query)
