"""The sales expenses page: a sales manager records what their team spent (salaries, travel, tools) and sees
the entries, filtered by team and dates; revenue leaders and administrators do so for every sales team."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.choices import Function
from accounts.models import Team
from config.errors import DomainError
from funnel.forms import add_service_errors
from funnel.metrics import expenses as services
from funnel.metrics.models import SalesExpense
from funnel.views.common import back, error_message

SHOWN = 200  # the newest entries matching the filter; the API pages through all of them


class ExpenseForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    spent_on = forms.DateField(label="Paid on", widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0.01)
    currency = forms.RegexField(r"^[A-Z]{3}$", initial="USD", max_length=3, help_text="ISO code, e.g. USD.")
    category = forms.CharField(max_length=services.CATEGORY_LENGTH, required=False, help_text="Travel, tools…")
    note = forms.CharField(max_length=services.NOTE_LENGTH, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = services.expense_teams(user=user).order_by("name")


class FilterForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, required=False, empty_label="Every sales team")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(function=Function.SALES).order_by("name")


def _page(request, form: ExpenseForm | None = None, status: int = 200):
    search = FilterForm(request.GET, auto_id="filter_%s")
    rows = SalesExpense.objects.none()
    if search.is_valid():
        data = search.cleaned_data
        team = data["team"]
        rows = services.sales_expense_list(team_id=team.pk if team else None, since=data["since"], until=data["until"])
    elif request.GET:
        status = 400
    may_record = services.expense_teams(user=request.user).exists()
    initial = {"spent_on": timezone.localdate()}
    context = {
        "search": search,
        "rows": list(rows[:SHOWN]),
        "shown": SHOWN,
        "managed": set(services.expense_teams(user=request.user).values_list("pk", flat=True)),
        "may_record": may_record,
        "form": form or (ExpenseForm(user=request.user, initial=initial) if may_record else None),
    }
    return render(request, "funnel/sales_expenses.html", context, status=status)


@login_required
def expense_page(request):
    if request.method != "POST":
        return _page(request)
    form = ExpenseForm(request.POST, user=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            expense = services.sales_expense_record(user=request.user, team_id=data.pop("team").pk, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Recorded {expense.amount} {expense.currency} for {expense.team.name}.")
            return redirect("sales-expenses")
    return _page(request, form=form, status=400)


@login_required
@require_POST
def expense_delete(request, expense_id: int):
    try:
        services.sales_expense_delete(user=request.user, expense_id=expense_id)
    except SalesExpense.DoesNotExist:
        messages.error(request, "That expense was already removed.")
    except DomainError as exc:
        error_message(request, exc)
    else:
        messages.success(request, "Removed the expense.")
    return back(request, "sales-expenses")
