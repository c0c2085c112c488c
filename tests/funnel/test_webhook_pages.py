"""The administrators' webhooks pages, without a browser: who may open them, creating (the secret shown in that
answer only), refusals kept on the form, editing, enabling and disabling, rotating, deleting, the delivery log
a page at a time and redelivery. A real receiver on loopback takes the deliveries."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from standardwebhooks import Webhook

from accounts.models import Notification
from accounts.services import api_token_create, api_token_revoke
from funnel.templatetags.ui import person
from integrations.choices import DeliveryStatus, EventType
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSecret, WebhookSubscription
from integrations.webhooks.delivery import webhook_subscription_disable
from integrations.webhooks.events import listened_types_forget
from integrations.webhooks.subscriptions import webhook_subscription_create
from tests.funnel.conftest import move
from tests.integrations.receiver import start_receiver

pytestmark = pytest.mark.django_db
LIST = "/system/webhooks/"
READS = ["leads:read", "handoffs:read", "definitions:read", "metrics:read"]


@pytest.fixture
def receiver():
    """A live receiver on 127.0.0.1, which the administrator allowed for the test."""
    receiver, server = start_receiver()
    listened_types_forget()
    with override_settings(WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        yield receiver
    server.shutdown()
    listened_types_forget()


@pytest.fixture
def token(people):
    token, _ = api_token_create(user=people["integration"], name="automation", scopes=READS)
    return token


@pytest.fixture
def admin(client, people):
    client.force_login(people["admin"])
    return client


def subscription_to(people, token, url, types=("lead.transitioned",)):
    """A subscription written straight to the table: no address check, for pages that only read it."""
    subscription = WebhookSubscription.objects.create(
        owner=people["admin"], token=token, url=url, event_types=list(types)
    )
    WebhookSecret.objects.create(subscription=subscription, secret="whsec_" + "A" * 44)
    return subscription


def deliveries_for(subscription, count: int, status=DeliveryStatus.SUCCEEDED) -> list[WebhookDelivery]:
    events = WebhookEvent.objects.bulk_create(
        [WebhookEvent(type=EventType.LEAD_TRANSITIONED, payload={"n": n}) for n in range(count)]
    )
    return WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(subscription=subscription, event=e, status=status, attempts=1) for e in events]
    )


@pytest.mark.parametrize("who", ["rep", "marketer", "sales_manager", "leader", "integration"])
def test_only_administrators_open_or_change_webhooks(client, people, token, who):
    subscription = subscription_to(people, token, "https://hooks.example.com/in")
    [delivery] = deliveries_for(subscription, 1)
    client.force_login(people[who])
    base = f"{LIST}{subscription.pk}/"
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"url": "https://x.example/"}).status_code == 403
    assert client.get(base).status_code == 403
    for action in ("state/", "rotate/", "delete/", f"deliveries/{delivery.pk}/redeliver/"):
        assert client.post(base + action, {"confirm": "on", "active": "false"}).status_code == 403
    assert WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).exists()
    assert WebhookSecret.objects.filter(subscription=subscription).count() == 1
    assert 'href="/system/webhooks/"' not in client.get("/").content.decode()


def test_a_visitor_is_sent_to_log_in_and_an_unknown_webhook_is_404(client, admin, people):
    client.logout()
    assert client.get(LIST)["Location"].startswith("/login/")
    client.force_login(people["admin"])
    assert client.get(f"{LIST}999999/").status_code == 404
    assert client.get(f"{LIST}abc/").status_code == 404
    assert client.post(f"{LIST}999999/rotate/", {"overlap_hours": 1}).status_code == 404


def test_the_list_shows_labels_token_state_failures_and_last_delivery(admin, people, token):
    healthy = subscription_to(people, token, "https://hooks.example.com/crm", ("lead.created", "sla.breached"))
    deliveries_for(healthy, 2)
    broken = subscription_to(people, token, "https://down.example.com/x")
    WebhookSubscription.objects.filter(pk=broken.pk).update(consecutive_failures=20)
    webhook_subscription_disable(
        subscription=broken, reason="Disabled after 20 failed tries in a row (last: answered 503)."
    )
    page = admin.get(LIST)
    html = page.content.decode()
    assert page.status_code == 200
    rows = {s.pk: (labels, last) for s, labels, last in page.context["rows"]}
    assert rows[healthy.pk][0] == ["Lead created", "SLA breached"]
    assert rows[healthy.pk][1].status == "succeeded"
    assert rows[broken.pk][1] is None
    assert "<li>Lead created</li>" in html and "<li>SLA breached</li>" in html
    assert "automation" in html and "Delivered" in html and "none yet" in html
    assert "Disabled after 20 failed tries in a row (last: answered 503)." in html
    assert '<td data-label="Failures in a row" class="num"><div>20</div></td>' in html
    assert 'href="/system/webhooks/"' in html  # the navigation entry


def test_the_list_costs_the_same_queries_for_two_or_twenty_webhooks(
    admin, people, token, django_assert_max_num_queries
):
    for n in range(2):
        deliveries_for(subscription_to(people, token, f"https://hooks{n}.example.com/"), 2)
    with django_assert_max_num_queries(20) as few:
        admin.get(LIST)
    for n in range(2, 20):
        deliveries_for(subscription_to(people, token, f"https://hooks{n}.example.com/"), 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(admin.get(LIST).context["rows"]) == 20


def test_creating_shows_the_signing_secret_once_with_a_snippet_that_verifies(admin, people, token, receiver):
    form = {
        "url": receiver.url,
        "token": token.pk,
        "event_types": ["lead.transitioned", "handoff.created"],
        "description": "Marketing automation",
    }
    answer = admin.post(LIST, form)
    assert answer.status_code == 201
    assert "no-store" in answer["Cache-Control"]
    subscription = WebhookSubscription.objects.get()
    secret = answer.context["created"][1]
    assert secret == WebhookSecret.objects.get(subscription=subscription).secret
    html = answer.content.decode()
    assert html.count(secret) == 2  # the field to copy, and the snippet
    assert f'Webhook("{secret}")' in html and "webhook.verify(body, headers)" in html
    assert (subscription.owner, subscription.token, subscription.description) == (
        people["admin"],
        token,
        "Marketing automation",
    )
    assert subscription.event_types == ["handoff.created", "lead.transitioned"]
    assert secret not in admin.get(LIST).content.decode()
    assert secret not in admin.get(f"{LIST}{subscription.pk}/").content.decode()
    # The secret shown is the one that signs: a real delivery verifies with it.
    body, headers = b'{"type":"x"}', _signed(subscription, b'{"type":"x"}')
    assert Webhook(secret).verify(body, headers) == {"type": "x"}


def _signed(subscription, body: bytes) -> dict:
    from integrations.webhooks.signing import signed_headers

    secrets = list(subscription.secrets.values_list("secret", flat=True))
    return signed_headers(message_id="msg_1", at=timezone.now(), body=body.decode(), secrets_in_use=secrets)


def test_a_refused_address_is_shown_next_to_the_url_with_the_input_kept(admin, token):
    form = {"url": "http://127.0.0.1:9/hooks", "token": token.pk, "event_types": ["lead.created"], "description": "x1"}
    answer = admin.post(LIST, form)
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert list(errors) == ["url"]
    assert "127.0.0.1 is a loopback address" in errors["url"][0]
    html = answer.content.decode()
    assert 'value="http://127.0.0.1:9/hooks"' in html and 'value="x1"' in html
    assert 'value="lead.created" checked' in html
    assert f'<option value="{token.pk}" selected>' in html
    assert WebhookSubscription.objects.count() == 0


def test_a_token_that_cannot_read_the_events_is_refused_next_to_the_event_types(admin, people, receiver):
    metrics_only, _ = api_token_create(user=people["integration"], name="warehouse", scopes=["metrics:read"])
    form = {"url": receiver.url, "token": metrics_only.pk, "event_types": ["lead.created", "metrics.recomputed"]}
    answer = admin.post(LIST, form)
    assert answer.status_code == 400
    assert answer.context["form"].errors["event_types"] == [
        "The token 'warehouse' lacks 'leads:read', which these event types need."
    ]
    assert 'value="metrics.recomputed" checked' in answer.content.decode()
    assert WebhookSubscription.objects.count() == 0


def test_only_active_tokens_of_integration_users_are_offered(admin, people, token):
    revoked, _ = api_token_create(user=people["integration"], name="old", scopes=READS)
    api_token_revoke(token=revoked)
    expired, _ = api_token_create(user=people["integration"], name="expired", scopes=READS)
    expired.expires_at = timezone.now() - timedelta(minutes=1)
    expired.save(update_fields=["expires_at"])
    own, _ = api_token_create(user=people["admin"], name="admin's own", scopes=READS)
    offered = list(admin.get(LIST).context["form"].fields["token"].queryset)
    assert offered == [token]
    answer = admin.post(LIST, {"url": "https://hooks.example.com/", "token": own.pk, "event_types": ["lead.created"]})
    assert answer.status_code == 400 and "token" in answer.context["form"].errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "not a url"),
        ("url", "https://x.example/\x00"),
        ("url", "https://x.example/" + "a" * 2000),
        ("event_types", "lead.deleted"),
        ("description", "d" * 201),
        ("token", "abc"),
    ],
)
def test_bad_input_is_refused_on_the_form(admin, token, field, value):
    form = {"url": "https://hooks.example.com/", "token": token.pk, "event_types": ["lead.created"], field: value}
    answer = admin.post(LIST, form)
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert WebhookSubscription.objects.count() == 0


def test_editing_changes_types_and_a_refused_address_keeps_the_input(admin, people, token, receiver):
    subscription, _ = webhook_subscription_create(
        owner=people["admin"], token=token, url=receiver.url, event_types=["lead.created"]
    )
    page = f"{LIST}{subscription.pk}/"
    refused = admin.post(page, {"url": "http://10.1.2.3/in", "event_types": ["sla.breached"], "description": "d"})
    assert refused.status_code == 400
    assert "10.1.2.3 is a private address" in refused.context["edit_form"].errors["url"][0]
    assert 'value="http://10.1.2.3/in"' in refused.content.decode()
    subscription.refresh_from_db()
    assert (subscription.url, subscription.event_types) == (receiver.url, ["lead.created"])
    saved = admin.post(page, {"url": receiver.url, "event_types": ["sla.breached", "lead.created"], "description": "d"})
    assert saved.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.event_types, subscription.description) == (["lead.created", "sla.breached"], "d")


def test_disabling_by_hand_says_who_and_enabling_clears_the_failures(admin, people, token):
    subscription = subscription_to(people, token, "https://hooks.example.com/in")
    state = f"{LIST}{subscription.pk}/state/"
    assert admin.post(state, {"active": "false"}).status_code == 302
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.disabled_at is not None
    assert subscription.disabled_reason == f"Disabled by {person(people['admin'])} on the webhooks page."
    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=7)
    admin.post(state, {"active": "true"})
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.consecutive_failures, subscription.disabled_reason) == (True, 0, "")
    admin.post(state, {"active": "true"})  # again: nothing changes
    assert WebhookSubscription.objects.get(pk=subscription.pk).is_active


def test_rotating_shows_the_new_secret_once_and_the_old_one_signs_for_the_overlap(admin, people, token):
    subscription = subscription_to(people, token, "https://hooks.example.com/in")
    answer = admin.post(f"{LIST}{subscription.pk}/rotate/", {"overlap_hours": "24"})
    assert answer.status_code == 200 and "no-store" in answer["Cache-Control"]
    old, new = subscription.secrets.order_by("created_at", "id")
    assert new.secret in answer.content.decode() and new.expires_at is None
    overlap = (old.expires_at - timezone.now()).total_seconds() / 3600
    assert 23.9 < overlap <= 24
    assert new.secret not in admin.get(f"{LIST}{subscription.pk}/").content.decode()
    for bad in ("-1", "337", "abc", ""):
        refused = admin.post(f"{LIST}{subscription.pk}/rotate/", {"overlap_hours": bad})
        assert refused.status_code == 400 and refused.context["rotate_form"].errors["overlap_hours"]
    assert subscription.secrets.count() == 2


def test_deleting_needs_the_confirmation(admin, people, token):
    subscription = subscription_to(people, token, "https://hooks.example.com/in")
    deliveries_for(subscription, 3)
    refused = admin.post(f"{LIST}{subscription.pk}/delete/", {})
    assert refused.status_code == 400 and refused.context["delete_form"].errors["confirm"]
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert admin.post(f"{LIST}{subscription.pk}/delete/", {"confirm": "on"})["Location"] == LIST
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert WebhookDelivery.objects.count() == 0


def test_the_delivery_log_pages_newest_first_at_a_constant_cost(admin, people, token, django_assert_max_num_queries):
    subscription = subscription_to(people, token, "https://hooks.example.com/in")
    made = deliveries_for(subscription, 30)
    for delivery in made:
        WebhookAttempt.objects.create(delivery=delivery, status_code=200, duration_ms=12)
    other = subscription_to(people, token, "https://other.example.com/in")
    deliveries_for(other, 2)
    page = f"{LIST}{subscription.pk}/"
    with django_assert_max_num_queries(20) as first_cost:
        first = admin.get(page)
    newest_first = sorted(made, key=lambda d: d.event_id, reverse=True)
    assert [d.pk for d in first.context["deliveries"]] == [d.pk for d in newest_first[:25]]
    assert first.context["next_url"] == f"?before={newest_first[24].event_id}"
    with django_assert_max_num_queries(len(first_cost.captured_queries)):
        second = admin.get(page + first.context["next_url"])
    assert [d.pk for d in second.context["deliveries"]] == [d.pk for d in newest_first[25:]]
    assert second.context["next_url"] == ""
    assert "Every try (1)" in second.content.decode()
    for nonsense in ("abc", "-5", "99999999999999999999999", "1\x00", "٣"):
        answer = admin.get(page, {"before": nonsense})
        assert answer.status_code == 200 and len(answer.context["deliveries"]) == 25


def test_redeliver_sends_again_and_logs_a_fresh_round(
    admin, people, token, receiver, make_lead, django_capture_on_commit_callbacks
):
    subscription, secret = webhook_subscription_create(
        owner=people["admin"], token=token, url=receiver.url, event_types=["lead.transitioned"]
    )
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    detail = admin.get(f"{LIST}{subscription.pk}/").content.decode()
    assert delivery.event.message_id in detail and "HTTP 500" in detail and "Waiting to be sent" in detail
    receiver.status = 200
    here = f"{LIST}{subscription.pk}/?before=999"
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin.post(f"{LIST}{subscription.pk}/deliveries/{delivery.pk}/redeliver/", {"next": here})
    assert answer["Location"] == here
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert list(delivery.log.order_by("id").values_list("status_code", flat=True)) == [500, 200]
    assert (
        Webhook(secret).verify(receiver.requests[-1].body, receiver.requests[-1].headers)["type"] == "lead.transitioned"
    )


def test_redeliver_is_refused_with_the_reason_while_disabled(admin, people, token):
    subscription = subscription_to(people, token, "https://hooks.example.com/in")
    [delivery] = deliveries_for(subscription, 1, status=DeliveryStatus.FAILED)
    webhook_subscription_disable(subscription=subscription, reason="Disabled after 20 failed tries in a row.")
    told = Notification.objects.get(recipient=people["admin"], kind="webhook_disabled")
    assert told.url == f"{LIST}{subscription.pk}/"  # the owner's notice opens this page
    detail = admin.get(told.url).content.decode()
    assert 'disabled title="Enable the webhook to redeliver"' in detail
    assert "Redelivery needs the webhook enabled: Disabled after 20 failed tries in a row." in detail
    answer = admin.post(f"{LIST}{subscription.pk}/deliveries/{delivery.pk}/redeliver/", follow=True)
    assert "Enable the subscription before redelivering" in answer.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    other = subscription_to(people, token, "https://other.example.com/in")
    assert admin.post(f"{LIST}{other.pk}/deliveries/{delivery.pk}/redeliver/").status_code == 404
