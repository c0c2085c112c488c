"""The administrators' webhooks pages: every subscription with its health, a new one (its signing secret shown
on that one answer only), and a subscription's page — edit, enable or disable, rotate the secret, delete, and
its delivery log with each try and a redeliver button. The services in integrations.webhooks do the work."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from config.errors import DomainError
from funnel.templatetags.ui import person
from funnel.views.common import back
from funnel.views.webhook_forms import (
    DeleteForm,
    NewWebhookForm,
    RotateForm,
    WebhookForm,
    event_type_labels,
    service_error,
)
from integrations.exceptions import SubscriptionDisabled
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.webhooks import delivery as deliveries
from integrations.webhooks import selectors, subscriptions

SHOWN = 200  # subscriptions are few; the API pages through all of them
PAGE_SIZE = 25
MAX_ID = 2**63 - 1


def _administrator(request) -> None:
    if not request.user.is_administrator:
        raise PermissionDenied("Webhooks are managed by administrators.")


def _secret_shown(response):
    add_never_cache_headers(response)  # the page holds a secret: no cache keeps a copy
    return response


def _list_page(request, form: NewWebhookForm, *, created: tuple | None = None, status: int = 200):
    rows = list(selectors.webhook_subscription_list()[:SHOWN])
    last = selectors.webhook_last_deliveries(subscriptions=rows)
    context = {
        "form": form,
        "rows": [(s, event_type_labels(s.event_types), last.get(s.pk)) for s in rows],
        "created": created,
        "has_tokens": form.fields["token"].queryset.exists(),
        "form_open": not rows or form.is_bound,
    }
    response = render(request, "funnel/webhooks.html", context, status=status)
    return _secret_shown(response) if created else response


@login_required
def webhook_list(request):
    _administrator(request)
    if request.method != "POST":
        return _list_page(request, NewWebhookForm())
    form = NewWebhookForm(request.POST)
    if form.is_valid():
        try:
            subscription, secret = subscriptions.webhook_subscription_create(owner=request.user, **form.cleaned_data)
        except DomainError as exc:
            service_error(form, exc)
        else:
            # Rendered, not redirected: the secret is in this one answer and the receiver's hands only.
            return _list_page(request, NewWebhookForm(), created=(subscription, secret), status=201)
    return _list_page(request, form, status=400)


def _cursor(request) -> int | None:
    """The event id the log page starts below; a link that is not one we made shows the first page."""
    text = request.GET.get("before", "")
    if not text:
        return None
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    messages.info(request, "That page link is out of date; here is the first page.")
    return None


def _detail_page(request, subscription: WebhookSubscription, *, status: int = 200, secret: str = "", **forms):
    before = _cursor(request)
    page, following = selectors.webhook_delivery_page(subscription=subscription, before_event=before, size=PAGE_SIZE)
    now = timezone.now()
    signing = subscription.secrets.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    current = {name: getattr(subscription, name) for name in ("url", "event_types", "description")}
    context = {
        "subscription": subscription,
        "event_labels": event_type_labels(subscription.event_types),
        "token_state": subscription.token.state(now),
        "signing": list(signing.order_by("created_at")),
        "edit_form": forms.get("edit_form") or WebhookForm(initial=current),
        "rotate_form": forms.get("rotate_form") or RotateForm(),
        "delete_form": forms.get("delete_form") or DeleteForm(),
        "deliveries": page,
        "next_url": f"?before={following}" if following else "",
        "first_url": request.path if before else "",
        "here": request.get_full_path(),
        "secret": secret,
    }
    response = render(request, "funnel/webhook_detail.html", context, status=status)
    return _secret_shown(response) if secret else response


def _subscription(request, subscription_id: int) -> WebhookSubscription:
    _administrator(request)
    return get_object_or_404(WebhookSubscription.objects.select_related("token__user", "owner"), pk=subscription_id)


def _changes(subscription: WebhookSubscription, data: dict) -> dict:
    """Only what differs: an unchanged URL is not looked up again, unchanged types not checked again."""
    changes = {}
    if data["url"] != subscription.url:
        changes["url"] = data["url"]
    if sorted(set(data["event_types"])) != sorted(subscription.event_types):
        changes["event_types"] = data["event_types"]
    if data["description"] != subscription.description:
        changes["description"] = data["description"]
    return changes


@login_required
def webhook_detail(request, subscription_id: int):
    """The subscription's page; a POST here is its edit form."""
    subscription = _subscription(request, subscription_id)
    if request.method != "POST":
        return _detail_page(request, subscription)
    form = WebhookForm(request.POST)
    if form.is_valid():
        changes = _changes(subscription, form.cleaned_data)
        try:
            if changes:
                subscriptions.webhook_subscription_update(subscription=subscription, **changes)
        except DomainError as exc:
            service_error(form, exc)
        else:
            messages.success(request, "Saved the webhook." if changes else "Nothing changed.")
            return redirect("webhook-detail", subscription.pk)
    return _detail_page(request, subscription, edit_form=form, status=400)


@login_required
@require_POST
def webhook_state(request, subscription_id: int):
    """Enable (which clears the failure count) or disable by hand, saying who did."""
    subscription = _subscription(request, subscription_id)
    enable = request.POST.get("active") == "true"
    if enable == subscription.is_active:
        messages.info(request, f"The webhook is already {'enabled' if enable else 'disabled'}.")
        return redirect("webhook-detail", subscription.pk)
    if enable:
        changes = {"is_active": True}
    else:
        reason = f"Disabled by {person(request.user)} on the webhooks page."
        changes = {"is_active": False, "disabled_at": timezone.now(), "disabled_reason": reason}
    try:
        subscriptions.webhook_subscription_update(subscription=subscription, **changes)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        done = "Enabled the webhook; its failure count starts again at 0." if enable else "Disabled the webhook."
        messages.success(request, done)
    return redirect("webhook-detail", subscription.pk)


@login_required
@require_POST
def webhook_rotate(request, subscription_id: int):
    subscription = _subscription(request, subscription_id)
    form = RotateForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, subscription, rotate_form=form, status=400)
    secret = subscriptions.webhook_secret_rotate(subscription=subscription, **form.cleaned_data)
    return _detail_page(request, subscription, secret=secret)


@login_required
@require_POST
def webhook_delete(request, subscription_id: int):
    subscription = _subscription(request, subscription_id)
    form = DeleteForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, subscription, delete_form=form, status=400)
    url = subscription.url
    subscriptions.webhook_subscription_delete(subscription=subscription)
    messages.success(request, f"Deleted the webhook to {url} and its delivery log.")
    return redirect("webhook-list")


@login_required
@require_POST
def webhook_redeliver(request, subscription_id: int, delivery_id: int):
    _administrator(request)
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("subscription", "event"), pk=delivery_id, subscription_id=subscription_id
    )
    try:
        deliveries.webhook_delivery_redeliver(delivery=delivery)
    except SubscriptionDisabled as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Sending {delivery.event.get_type_display().lower()} ({delivery.event.message_id}) again."
        )
    return back(request, reverse("webhook-detail", args=[subscription_id]))
