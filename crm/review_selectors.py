"""Reads for key-account reviews and action items. Both teams read every review (a key account is worked by
sales and marketing together); what each person may change is decided by crm.services.reviews."""

from django.db.models import F, Prefetch, QuerySet

from accounts.models import User
from crm.choices import ActionStatus
from crm.models import AccountReview, ActionItem


def review_list() -> QuerySet[AccountReview]:
    items = ActionItem.objects.select_related("owner").order_by(F("due_on").asc(nulls_last=True), "id")
    return AccountReview.objects.select_related("company", "company__owner", "created_by").prefetch_related(
        "attendees__team", Prefetch("action_items", queryset=items)
    )


def review_get(*, review_id: int) -> AccountReview:
    return review_list().get(pk=review_id)


def action_item_list() -> QuerySet[ActionItem]:
    """Every action item, the soonest due first (undated last)."""
    return ActionItem.objects.select_related("owner", "created_by", "closed_by", "review__company").order_by(
        F("due_on").asc(nulls_last=True), "id"
    )


def action_items_open(*, owner: User) -> QuerySet[ActionItem]:
    """The person's open action items, overdue ones first (the soonest due first; undated last)."""
    return action_item_list().filter(owner=owner, status=ActionStatus.OPEN)
