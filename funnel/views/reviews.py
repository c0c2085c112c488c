"""Key-account review pages: the review form (attendee picker, notes, decisions, action item rows) and a
review's page with its action items; closing, reopening and adding action items (the joint meeting's page
posts to the same close and reopen routes). Every write goes through crm.services.reviews."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.choices import Role
from accounts.models import User
from config.errors import DomainError
from crm import review_selectors as selectors
from crm.choices import REVIEW_NEEDS_MARKETER_TIERS, ActionStatus
from crm.models import AccountReview, ActionItem, Company
from crm.services import reviews as services
from funnel.forms import add_service_errors
from funnel.views.common import back, error_message

ROWS = 3  # blank action item rows on a new review; more are added on the review's page


def people():
    """Who can attend a review or owe an action item: active people, marketing first (the rule asks for one)."""
    return (
        User.objects.filter(is_active=True)
        .exclude(role=Role.INTEGRATION)
        .select_related("team")
        .order_by("team__function", "first_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.get_full_name() or user.get_username()} — {user.get_role_display()}"


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        team = f" · {user.team}" if user.team_id else ""
        return f"{user.get_full_name() or user.get_username()} — {user.get_role_display()}{team}"


class ReviewForm(forms.Form):
    held_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Held on")
    attendees = PeopleChoiceField(queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = people()


class ActionRowForm(forms.Form):
    """One action item: what, who, by when. A row left blank is ignored."""

    title = forms.CharField(
        max_length=services.MAX_TITLE, required=False, label="Action", widget=forms.TextInput(attrs={"size": 36})
    )
    owner = PersonChoiceField(queryset=User.objects.none(), required=False, empty_label="Owner…")
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False, label="Due")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()

    def clean(self):
        data = super().clean()
        if data.get("title", "").strip() and not data.get("owner"):
            self.add_error("owner", "Name who owes it.")
        elif not data.get("title", "").strip() and (data.get("owner") or data.get("due_on")):
            self.add_error("title", "Say what is to be done.")
        return data

    def draft(self) -> services.ActionDraft | None:
        data = self.cleaned_data
        if not data.get("title", "").strip():
            return None
        return services.ActionDraft(data["title"], data["owner"], data.get("due_on"))


ActionRows = forms.formset_factory(
    ActionRowForm, extra=ROWS, max_num=services.MAX_ACTION_ITEMS, validate_max=True, absolute_max=100
)


def _company_page(request, company: Company, form, rows, status: int = 200):
    context = {
        "company": company,
        "form": form,
        "rows": rows,
        "needs_marketer": company.key_account_tier in REVIEW_NEEDS_MARKETER_TIERS,
        "marketer_ids": {u.pk for u in form.fields["attendees"].queryset if services.is_marketer(u)},
    }
    return render(request, "funnel/review_form.html", context, status=status)


@login_required
def review_create(request, company_id: int):
    company = get_object_or_404(Company.objects.select_related("owner"), pk=company_id)
    if not services.may_hold_review(request.user, company):
        raise PermissionDenied("Key-account reviews are held by managers, the revenue leader and the account's owner.")
    if request.method != "POST":
        form = ReviewForm(initial={"held_on": timezone.localdate(), "attendees": [request.user.pk]})
        return _company_page(request, company, form, ActionRows(prefix="items"))
    form, rows = ReviewForm(request.POST), ActionRows(request.POST, prefix="items")
    if form.is_valid() and rows.is_valid():
        drafts = [draft for row in rows if (draft := row.draft())]
        try:
            review = services.review_hold(company=company, action_items=drafts, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Review of {company.name} recorded with {len(drafts)} action item(s).")
            return redirect("review-detail", review.pk)
    return _company_page(request, company, form, rows, status=400)


class ActionAddForm(forms.Form):
    title = forms.CharField(max_length=services.MAX_TITLE, label="Action")
    owner = PersonChoiceField(queryset=User.objects.none(), empty_label="Owner…")
    due_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False, label="Due")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()


def _review_page(request, review_id: int, add_form: ActionAddForm | None = None, status: int = 200):
    review = get_object_or_404(selectors.review_list(), pk=review_id)
    user = request.user
    attendees = list(review.attendees.all())
    context = {
        "review": review,
        "attendees": [(person, services.is_marketer(person)) for person in attendees],
        "items": [(item, services.may_close(user, item)) for item in review.action_items.all()],
        "may_add": services.may_hold_review(user, review.company) or user in attendees,
        "add_form": add_form or ActionAddForm(),
        "today": timezone.localdate(),
    }
    return render(request, "funnel/review_detail.html", context, status=status)


@login_required
def review_detail(request, review_id: int):
    return _review_page(request, review_id)


@login_required
@require_POST
def review_action_add(request, review_id: int):
    review = get_object_or_404(AccountReview.objects.select_related("company"), pk=review_id)
    form = ActionAddForm(request.POST)
    if form.is_valid():
        try:
            services.action_item_create(review=review, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Action item added.")
            return redirect("review-detail", review.pk)
    return _review_page(request, review.pk, add_form=form, status=400)


@login_required
@require_POST
def action_item_close(request, item_id: int):
    status = request.POST.get("status", "")
    try:
        item = services.action_item_close(item_id=item_id, status=status, by=request.user)
    except ActionItem.DoesNotExist:
        messages.error(request, "No such action item.")
    except (DomainError, ValidationError) as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"“{item.title}” is {ActionStatus(item.status).label.lower()}.")
    return back(request, "home")


@login_required
@require_POST
def action_item_reopen(request, item_id: int):
    try:
        item = services.action_item_reopen(item_id=item_id, by=request.user)
    except ActionItem.DoesNotExist:
        messages.error(request, "No such action item.")
    except DomainError as exc:
        error_message(request, exc)
    else:
        messages.success(request, f"“{item.title}” is open again.")
    return back(request, "home")
