"""Out of office on the web: a person's own page (/me/away/) to set and end theirs, and the team page's panel
where a manager sees who is away and sets an out-of-office for a report. Every write goes through
funnel.routing.absences, as the API's does."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.choices import Role
from accounts.models import OutOfOffice, User
from accounts.selectors import absence_list, managed_people_sql
from config.errors import DomainError
from config.validation import utc_datetime
from funnel.forms import add_service_errors
from funnel.routing import absences
from funnel.views.common import back, error_message

LOCAL_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _colleagues() -> QuerySet[User]:
    people = User.objects.filter(is_active=True, team__isnull=False).exclude(role=Role.INTEGRATION)
    return people.select_related("team").order_by("first_name", "username")


class AbsenceForm(forms.Form):
    """When and who stands in; times are in the reader's team's zone, as the page shows them."""

    starts_at = forms.DateTimeField(label="Away from", widget=LOCAL_INPUT)
    ends_at = forms.DateTimeField(label="Back at", widget=LOCAL_INPUT)
    delegate = forms.ModelChoiceField(
        queryset=_colleagues(),
        required=False,
        empty_label="Nobody: their team shares them",
        help_text="Takes the handoffs waiting for an answer; new leads skip the person either way.",
    )
    note = forms.CharField(max_length=absences.MAX_NOTE, required=False, help_text="e.g. Parental leave")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = _colleagues()  # fresh per form: people change between requests
        self.fields["delegate"].label_from_instance = absences.name_of

    def _utc(self, name: str):
        value = self.cleaned_data[name]
        try:
            return utc_datetime(value)
        except ValueError as exc:
            raise ValidationError(f"Enter a real moment: {exc}") from None

    def clean_starts_at(self):
        return self._utc("starts_at")

    def clean_ends_at(self):
        return self._utc("ends_at")


class ReportAbsenceForm(AbsenceForm):
    """The team page's form: whose out-of-office, among the people the manager sees."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Who", empty_label="Choose a person…")

    field_order = ["user", "starts_at", "ends_at", "delegate", "note"]

    def __init__(self, *args, people: QuerySet[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
        self.fields["user"].label_from_instance = absences.name_of


def _set(request, form: AbsenceForm, user: User) -> OutOfOffice | None:
    data = form.cleaned_data
    try:
        return absences.absence_set(
            actor=request.user,
            user=user,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            delegate=data["delegate"],
            note=data["note"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
    except DomainError as exc:
        form.add_error(None, exc.message)
    return None


def _saved_message(absence: OutOfOffice, whose: str) -> str:
    until = timezone.localtime(absence.ends_at).strftime("%-d %b %Y, %H:%M")
    stand_in = f"; {absences.name_of(absence.delegate)} stands in" if absence.delegate_id else ""
    return f"{whose} out of office until {until}{stand_in}."


@login_required
def my_away(request):
    """Your out-of-office periods: the one in force and those ahead (endable), the last few past, and the form."""
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        absence = _set(request, form, request.user)
        if absence is not None:
            messages.success(request, _saved_message(absence, "You are"))
            return redirect("my-away")
    now = timezone.now()
    mine = OutOfOffice.objects.filter(user=request.user).select_related("delegate", "set_by")
    context = {
        "form": form,
        "now": now,
        "ahead": list(mine.filter(ends_at__gt=now).order_by("starts_at")),
        "past": list(mine.filter(ends_at__lte=now).order_by("-ends_at")[:5]),
    }
    return render(request, "funnel/away.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def away_end(request, absence_id: int):
    absence = absence_list(user=request.user).filter(pk=absence_id).first()
    if absence is None:
        raise Http404
    whose = "Your" if absence.user_id == request.user.pk else f"{absences.name_of(absence.user)}'s"
    try:
        ended = absences.absence_end(actor=request.user, absence=absence)
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        done = "ended" if ended is not None else "cancelled before it began"
        messages.success(request, f"{whose} out-of-office is {done}.")
    return back(request, "my-away")


def _reports(user: User) -> QuerySet[User]:
    """Whose out-of-office `user` may set besides their own: their reports (everyone, for leaders and admins)."""
    people = User.objects.filter(is_active=True).exclude(role=Role.INTEGRATION)
    if not (user.is_administrator or user.role == Role.REVENUE_LEADER):
        people = people.filter(pk__in=managed_people_sql(user=user))
    return people.order_by("first_name", "username")


def team_absences(*, user: User) -> dict:
    """The team page's out-of-office panel: who is away now or soon, and the form to set one for a report."""
    now = timezone.now()
    upcoming = list(absence_list(user=user).filter(ends_at__gt=now).order_by("starts_at", "id"))
    away_now = {}
    for absence in upcoming:
        if absence.starts_at <= now:
            away_now.setdefault(absence.user_id, absence)
    return {
        "absences": upcoming,
        "away_now": away_now,
        "away_form": ReportAbsenceForm(people=_reports(user), auto_id="away_%s"),
        "now": now,
    }


@login_required
@require_POST
def team_away_set(request):
    """A manager sets a report's out-of-office from the team page; the service decides who may."""
    form = ReportAbsenceForm(request.POST, people=_reports(request.user))
    if form.is_valid():
        absence = _set(request, form, form.cleaned_data["user"])
        if absence is not None:
            messages.success(request, _saved_message(absence, f"{absences.name_of(absence.user)} is"))
            return redirect("team")
    messages.error(request, " · ".join(_error_lines(form)))
    return redirect("team")


def _error_lines(form: forms.Form) -> list[str]:
    """Each problem with the label of its field, as the toast on the team page says them."""
    return [
        f"{form.fields[field].label}: {message}" if field in form.fields else message
        for field, errors in form.errors.items()
        for message in errors
    ]
