"""The joint meeting's pages: the list of meetings (and scheduling the next one), and a meeting's page — its
agenda grouped by kind with a link to each record, its action items, a form to raise one, and the button
that regenerates the agenda from the data. For managers, the revenue leader and administrators; anyone else
is told who runs it (403)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.errors import DomainError
from crm.models.campaigns import MAX_AMOUNT
from crm.services.reviews import may_close
from funnel.forms import add_service_errors
from funnel.meetings import selectors, services
from funnel.meetings.choices import AgendaKind
from funnel.models import JointMeeting
from funnel.views.reviews import ActionAddForm

ONLY_RUNNERS = "The joint meeting is run by sales and marketing managers, the revenue leader and administrators."


class MeetingForm(forms.Form):
    held_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Meeting day")
    opportunity_threshold = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        max_value=MAX_AMOUNT,
        initial=50000,
        label="Opportunities worth at least",
        help_text="Open deals in intent or evaluation at or above this value are on the agenda.",
    )


def _runner(request) -> None:
    if not selectors.may_run_meetings(request.user):
        raise PermissionDenied(ONLY_RUNNERS)


@login_required
def meeting_list(request, form: MeetingForm | None = None, status: int = 200):
    _runner(request)
    context = {
        "meetings": selectors.meeting_list(user=request.user),
        "form": form or MeetingForm(initial={"held_on": timezone.localdate()}),
    }
    return render(request, "funnel/meeting_list.html", context, status=status)


@login_required
@require_POST
def meeting_create(request):
    _runner(request)
    form = MeetingForm(request.POST)
    if form.is_valid():
        try:
            meeting = services.meeting_create(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Meeting on {meeting.held_on} scheduled; its agenda is ready.")
            return redirect("meeting-detail", meeting.pk)
    return meeting_list(request, form=form, status=400)


def _meeting(request, meeting_id: int) -> JointMeeting:
    _runner(request)
    try:
        return selectors.meeting_get(user=request.user, meeting_id=meeting_id)
    except JointMeeting.DoesNotExist:
        raise Http404("No such meeting.") from None


HEADINGS = {
    AgendaKind.CARRIED_ACTION: "Open actions from earlier meetings",
    AgendaKind.OPPORTUNITY: "Major open opportunities",
    AgendaKind.SLA_BREACH: "SLA breaches since the previous meeting",
    AgendaKind.REJECTED_HANDOFF: "Handoffs rejected since the previous meeting",
    AgendaKind.OBJECTION: "Objections heard most",
    AgendaKind.COMPETITOR: "Competitors mentioned most",
    AgendaKind.UNREVIEWED_ACCOUNT: "Key accounts without a review in 90 days",
}


def _sections(meeting: JointMeeting) -> list[tuple[str, str, list]]:
    """(kind, heading, items) in the order the agenda is discussed; empty kinds are kept so the page says so."""
    by_kind: dict[str, list] = {kind: [] for kind in AgendaKind.values}
    for item in meeting.agenda.all():
        by_kind[item.kind].append(item)
    return [(kind, HEADINGS[kind], items) for kind, items in by_kind.items()]


def _meeting_page(request, meeting_id: int, add_form: ActionAddForm | None = None, status: int = 200):
    meeting = _meeting(request, meeting_id)
    user = request.user
    context = {
        "meeting": meeting,
        "sections": _sections(meeting),
        "items": [(item, may_close(user, item)) for item in meeting.action_items.all()],
        "add_form": add_form or ActionAddForm(),
        "today": timezone.localdate(),
    }
    return render(request, "funnel/meeting_detail.html", context, status=status)


@login_required
def meeting_detail(request, meeting_id: int):
    return _meeting_page(request, meeting_id)


@login_required
@require_POST
def meeting_regenerate(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    items = services.meeting_agenda_generate(meeting=meeting, by=request.user)
    messages.success(request, f"Agenda regenerated from the data: {len(items)} item(s).")
    return redirect("meeting-detail", meeting.pk)


@login_required
@require_POST
def meeting_action_add(request, meeting_id: int):
    meeting = _meeting(request, meeting_id)
    form = ActionAddForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_action_item_add(meeting=meeting, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Action item raised; it stays on the agenda until done.")
            return redirect("meeting-detail", meeting.pk)
    return _meeting_page(request, meeting.pk, add_form=form, status=400)
