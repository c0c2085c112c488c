"""Webhooks end to end: a real receiver on loopback, signatures checked with the `standardwebhooks` package."""

import json
import socket
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from accounts.models import Notification
from integrations.models import OutboxMessage, WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSecret
from integrations.webhooks import transport
from integrations.webhooks.delivery import webhook_delivery_attempt
from integrations.webhooks.events import listened_types_forget
from integrations.webhooks.subscriptions import webhook_secret_rotate, webhook_subscription_create
from tests.funnel.conftest import move


def subscribe(people, token, url, types=("lead.transitioned",)):
    return webhook_subscription_create(owner=people["admin"], token=token, url=url, event_types=list(types))


def deliver_all(captured) -> None:
    """Runs what the change left for after commit (the outbox publishes, eager Celery runs the tasks)."""
    for callback in captured:
        callback()


def test_an_administrator_subscribes_and_sees_the_secret_once(api, people, integration_token, receiver):
    token, _ = integration_token
    client = api(people["admin"])
    body = {"url": receiver.url, "event_types": ["lead.transitioned", "handoff.created"], "token": token.pk}
    created = client.post("/api/v1/webhook-subscriptions/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["secret"].startswith("whsec_")
    assert created.json()["event_types"] == ["handoff.created", "lead.transitioned"]
    listed = client.get(f"/api/v1/webhook-subscriptions/{created.json()['id']}/").json()
    assert "secret" not in listed


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:9/x", "loopback"),
        ("http://10.1.2.3/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[::1]/x", "loopback"),
        ("http://0.0.0.0/x", "unspecified"),
        ("http://localhost/x", "loopback"),
        ("http://user:pw@example.com/x", "user name"),
        ("http://100.64.0.3/", "100.64.0.3 is a non-public"),  # shared address space, answered from inside
        ("http://100.100.100.200/latest/meta-data/", "100.100.100.200 is a non-public"),  # a cloud's metadata
        ("http://[2002:7f00:1::]/", "carries 127.0.0.1, a loopback"),  # 6to4 around 127.0.0.1
        ("http://[fec0::1]/", "fec0::1 is a site-local"),
    ],
)
def test_internal_addresses_are_refused_unless_allowed(api, people, integration_token, url, says):
    token, _ = integration_token
    answer = api(people["admin"]).post(
        "/api/v1/webhook-subscriptions/",
        {"url": url, "event_types": ["lead.created"], "token": token.pk},
        format="json",
    )
    assert answer.status_code == 400, answer.json()
    assert answer.json()["code"] == "address_not_allowed"
    assert says in answer.json()["detail"]


def test_an_allowed_network_still_admits_an_internal_address(api, people, integration_token):
    token, _ = integration_token
    body = {"url": "http://100.64.0.3/hook", "event_types": ["lead.created"], "token": token.pk}
    with override_settings(WEBHOOK_ALLOWED_NETWORKS=["100.64.0.0/10"]):
        created = api(people["admin"]).post("/api/v1/webhook-subscriptions/", body, format="json")
    assert created.status_code == 201, created.json()


def test_only_administrators_and_tokens_that_manage_webhooks_may(api, people, token_client_for, integration_token):
    assert api(people["sales_manager"]).get("/api/v1/webhook-subscriptions/").status_code == 403
    reader = token_client_for(people["integration"], scopes=["leads:read"])
    assert reader.get("/api/v1/webhook-subscriptions/").status_code == 403
    _, plaintext = integration_token
    manager = APIClient()
    manager.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert manager.get("/api/v1/webhook-subscriptions/").status_code == 200


def test_a_token_that_cannot_read_leads_cannot_subscribe_to_lead_events(people, receiver):
    from accounts.services import api_token_create
    from integrations.exceptions import NotAllowed

    token, _ = api_token_create(user=people["integration"], name="metrics only", scopes=["metrics:read"])
    with pytest.raises(NotAllowed, match="leads:read"):
        subscribe(people, token, receiver.url)


def test_a_committed_move_is_delivered_once_signed_and_logged(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, secret = subscribe(people, token, receiver.url)
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=False) as captured:
        move(lead, "interest", people["marketer"])
    assert receiver.requests == []  # nothing leaves before commit
    deliver_all(captured)
    deliver_all(captured)  # a second publication of the same outbox row sends nothing more
    [request] = receiver.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "lead.transitioned"
    assert payload["data"]["lead"]["id"] == lead.pk
    assert payload["data"]["transition"]["from_stage"] == "awareness"
    assert payload["data"]["transition"]["to_stage"] == "interest"
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert request.headers["webhook-id"] == delivery.event.message_id
    assert WebhookAttempt.objects.get(delivery=delivery).status_code == 200
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "skipped"  # a repeated task does nothing
    assert len(receiver.requests) == 1


def test_a_move_that_rolls_back_leaves_no_event_and_sends_nothing(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscribe(people, token, receiver.url)
    lead = make_lead()
    events_before, outbox_before = WebhookEvent.objects.count(), OutboxMessage.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        move(lead, "interest", people["marketer"])
        raise RuntimeError("the request failed after the move")
    assert (WebhookEvent.objects.count(), OutboxMessage.objects.count()) == (events_before, outbox_before)
    assert receiver.requests == []


def test_nobody_listening_writes_no_event(people, make_lead, django_capture_on_commit_callbacks):
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        move(lead, "interest", people["marketer"])
    assert WebhookEvent.objects.count() == 0


def test_a_failing_receiver_is_retried_with_backoff_then_succeeds(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    receiver.status = 500
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        move(lead, "interest", people["marketer"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert 30 * 0.8 - 2 <= wait <= 30 * 1.2  # the first retry: 30 s ± 20 % jitter
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "skipped"  # not due yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 60 * 0.8 - 2 <= wait <= 60 * 1.2  # doubled
    receiver.status = 200
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    codes = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("id").values_list("status_code", flat=True))
    assert codes == [500, 500, 200]
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0


@override_settings(WEBHOOK_MAX_ATTEMPTS=2)
def test_a_delivery_gives_up_after_its_last_attempt(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert webhook_delivery_attempt(delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.next_attempt_at, delivery.last_error) == (2, None, "answered 503")


def test_a_redirect_is_not_followed_even_to_an_allowed_address(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    receiver.status, receiver.location = 302, "http://169.254.169.254/latest/meta-data/"
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    attempt = WebhookAttempt.objects.get(delivery__subscription=subscription)
    assert attempt.status_code == 302
    assert attempt.response_excerpt == "redirect to http://169.254.169.254/latest/meta-data/ not followed"
    assert WebhookDelivery.objects.get(subscription=subscription).status == "pending"
    assert len(receiver.requests) == 1


@override_settings(WEBHOOK_TIMEOUT_SECONDS=1)
def test_a_receiver_that_times_out_is_a_failed_try(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    receiver.delay = 2.5
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.last_status_code) == ("pending", None)
    assert "timed out" in delivery.last_error.lower() or "timeout" in delivery.last_error.lower()


def test_an_address_that_turned_internal_is_refused_at_connect_time(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    with override_settings(WEBHOOK_ALLOWED_NETWORKS=[]), django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert "127.0.0.1 is a loopback address" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("ip", "says"),
    [
        ("100.64.0.3", "100.64.0.3 is a non-public"),
        ("100.100.100.200", "100.100.100.200 is a non-public"),
        ("2002:7f00:1::", "carries 127.0.0.1, a loopback"),
        ("fec0::1", "fec0::1 is a site-local"),
    ],
)
def test_a_name_that_turned_internal_is_refused_at_connect_time_without_connecting(
    people, make_lead, integration_token, monkeypatch, django_capture_on_commit_callbacks, ip, says
):
    """A name that resolved to a public address when subscribing and to an internal one when sending."""
    token, _ = integration_token
    answers, real, connects = {"hooks.example.com": "93.184.215.14"}, transport.socket.getaddrinfo, []

    def resolve(host, port, *args, **kwargs):
        if host not in answers:
            return real(host, port, *args, **kwargs)
        family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    def connect(ip, port, timeout):
        connects.append(ip)
        raise ConnectionRefusedError("the test's network")

    monkeypatch.setattr(transport.socket, "getaddrinfo", resolve)
    monkeypatch.setattr(transport, "_connect", connect)
    listened_types_forget()
    subscription, _ = subscribe(people, token, "http://hooks.example.com/hook")
    answers["hooks.example.com"] = ip
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert says in delivery.last_error
    assert connects == []


@pytest.mark.parametrize(
    "ip",
    ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses_and_wrappers_of_public_ipv4_may_be_targets(ip):
    assert transport.address_refusal(ip) is None


@pytest.mark.parametrize(
    ("ip", "says"),
    [
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a9fe:a9fe", "carries 169.254.169.254, a link-local"),  # NAT64 to a metadata service
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "carries 192.0.2.45"),  # Teredo, its client in TEST-NET-1
        ("64:ff9b:1::a00:1", "64:ff9b:1::a00:1 is a"),  # local-use NAT64: translated to the local choice
        ("::127.0.0.1", "reserved"),  # IPv4-compatible, deprecated
        ("192.0.0.9", "non-public"),
        ("198.18.0.1", "private"),  # benchmarking
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),
        ("fd00::1", "private"),
    ],
)
def test_every_address_that_is_not_public_is_refused(ip, says):
    assert says in transport.address_refusal(ip)


@override_settings(WEBHOOK_ALLOWED_NETWORKS=["10.0.0.0/8"])
def test_an_allowed_network_admits_its_addresses_behind_an_ipv6_wrapper_too():
    assert transport.address_refusal("64:ff9b::a00:1") is None
    assert transport.address_refusal("::ffff:10.0.0.1") is None
    assert "carries 127.0.0.1" in transport.address_refusal("64:ff9b::7f00:1")


@override_settings(WEBHOOK_DISABLE_AFTER_FAILURES=3)
def test_repeated_failure_disables_the_subscription_and_tells_its_owner(
    api, people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            move(make_lead(), "interest", people["marketer"])
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_reason.startswith("Disabled after 3 failed tries in a row")
    assert Notification.objects.filter(recipient=people["admin"], kind="webhook_disabled").count() == 1
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"cancelled"}
    client = api(people["admin"])
    delivery = WebhookDelivery.objects.order_by("id").first()
    refused = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    assert (refused.status_code, refused.json()["code"]) == (409, "subscription_disabled")
    enabled = client.patch(f"/api/v1/webhook-subscriptions/{subscription.pk}/", {"is_active": True}, format="json")
    assert (enabled.json()["is_active"], enabled.json()["consecutive_failures"]) == (True, 0)
    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        redone = client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    assert redone.status_code == 200, redone.json()
    delivery.refresh_from_db()
    assert delivery.status == "succeeded"
    assert [a["status_code"] for a in client.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").json()["log"]] == [
        200,
        500,
    ]


def test_during_a_rotation_both_secrets_sign_then_only_the_new_one(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, old = subscribe(people, token, receiver.url)
    new = webhook_secret_rotate(subscription=subscription, overlap_hours=24)
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    [first] = receiver.wait_for(1)
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(first.body, first.headers)
    Webhook(new).verify(first.body, first.headers)
    WebhookSecret.objects.filter(secret=old).update(expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    second = receiver.wait_for(2)[1]
    Webhook(new).verify(second.body, second.headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(old).verify(second.body, second.headers)


def test_a_payload_carries_only_what_the_token_may_read(
    people, make_lead, rule, receiver, django_capture_on_commit_callbacks
):
    from accounts.services import api_token_create

    token, _ = api_token_create(user=people["integration"], name="handoffs only", scopes=["handoffs:read"])
    subscribe(people, token, receiver.url, types=("handoff.created",))
    rule("To sales", to_stages=["consideration"], routing={"kind": "round_robin", "team": people["sdr"].team_id})
    lead = make_lead()
    move(lead, "interest", people["marketer"])
    with django_capture_on_commit_callbacks(execute=True):
        move(lead, "consideration", people["marketer"])
    [request] = receiver.wait_for(1)
    data = json.loads(request.body)["data"]
    assert data["handoff"]["lead"] == lead.pk and data["handoff"]["status"] == "pending"
    assert data["lead"] == {"id": lead.pk, "withheld": "the token lacks 'leads:read'"}


def test_a_revoked_token_stops_its_subscription(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    from accounts.services import api_token_revoke

    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    api_token_revoke(token=token)
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    subscription.refresh_from_db()
    assert subscription.is_active is False and "revoked" in subscription.disabled_reason
    assert receiver.requests == []


def test_a_receiver_that_does_not_speak_http_is_a_failed_try(
    people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def answer_garbage():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"SSH-2.0-OpenSSH\r\n")
        connection.close()

    threading.Thread(target=answer_garbage, daemon=True).start()
    token, _ = integration_token
    subscription, _ = subscribe(people, token, f"http://127.0.0.1:{listener.getsockname()[1]}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    listener.close()
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error.startswith("BadStatusLine")


def test_disabling_by_hand_cancels_the_deliveries_still_waiting_and_sends_none_of_them(
    api, people, make_lead, integration_token, receiver, django_capture_on_commit_callbacks
):
    token, _ = integration_token
    subscription, _ = subscribe(people, token, receiver.url)
    receiver.status = 500
    with django_capture_on_commit_callbacks(execute=True):
        move(make_lead(), "interest", people["marketer"])
    waiting = WebhookDelivery.objects.get(subscription=subscription)
    assert (waiting.status, waiting.next_attempt_at is not None) == ("pending", True)  # a retry is scheduled

    client = api(people["admin"])
    answer = client.patch(f"/api/v1/webhook-subscriptions/{subscription.pk}/", {"is_active": False}, format="json")

    assert (answer.status_code, answer.json()["is_active"]) == (200, False)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.next_attempt_at) == ("cancelled", None)
    receiver.status = 200
    assert webhook_delivery_attempt(delivery_id=waiting.pk) == "skipped"  # the retry comes due: nothing is sent
    assert len(receiver.requests) == 1
