"""The Webhooks pages in Chromium at laptop and phone width: an administrator opens them from the navigation,
creates a webhook to a real receiver on loopback (allowed for the test), copies the signing secret shown once,
and after a lead moves sees its delivery in the log with its try, then redelivers it. The receiver checks each
message with the secret the page showed. No sideways scroll, no console error, no serious or critical axe-core
violation; screenshots into $SCREENSHOTS (else .artifacts/screenshots/)."""

import os
from pathlib import Path

import pytest
from django.test import override_settings
from playwright.sync_api import expect
from standardwebhooks import Webhook

import integrations.tasks  # noqa: F401  (the tasks the outbox names exist in this process, as in a worker)
from accounts.services import api_token_create
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.webhooks.events import listened_types_forget
from tests.browser.conftest import LAPTOP, PHONE, page_width, serious_accessibility_violations
from tests.funnel.conftest import move
from tests.integrations.receiver import start_receiver

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("SCREENSHOTS") or Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots")


@pytest.fixture
def receiver():
    receiver, server = start_receiver()
    listened_types_forget()
    with override_settings(WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        yield receiver
    server.shutdown()
    listened_types_forget()


def looks_right(page, viewport, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"webhooks-{name}.png"), full_page=True)
    assert page_width(page) <= viewport["width"], "the page scrolls sideways"
    assert serious_accessibility_violations(page) == []
    assert page.console_errors == []


@pytest.mark.parametrize(("viewport", "name"), [(LAPTOP, "laptop"), (PHONE, "phone")])
def test_an_administrator_creates_a_webhook_and_sees_its_delivery(
    people, make_lead, page_as, live_server, receiver, viewport, name
):
    api_token_create(user=people["integration"], name="Marketing automation", scopes=["leads:read", "handoffs:read"])
    page = page_as(people["admin"], viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    if viewport is PHONE:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()

    page.get_by_label("URL:", exact=True).fill("http://169.254.169.254/latest/meta-data/")
    page.get_by_label("Lead moved to another stage").check(force=True)
    page.get_by_role("button", name="Create the webhook").click()
    expect(page.locator(".errorlist")).to_contain_text("169.254.169.254 is a link-local address")
    expect(page.get_by_label("Lead moved to another stage")).to_be_checked()
    # The refused form's 400 is the only error Chromium logs (it logs every failed request).
    assert [e for e in page.console_errors if "400" not in e] == []
    page.console_errors.clear()
    looks_right(page, viewport, f"refused-{name}")

    page.get_by_label("URL:", exact=True).fill(receiver.url)
    page.get_by_label("Description:").fill("Marketing automation hears about moves")
    page.get_by_role("button", name="Create the webhook").click()
    expect(page.get_by_role("heading", name="Webhook created")).to_be_visible()
    secret = page.get_by_label("The signing secret").input_value()
    assert secret.startswith("whsec_")
    expect(page.locator("#webhook-snippet")).to_contain_text(f'Webhook("{secret}")')
    page.get_by_role("button", name="Copy secret").click()
    expect(page.locator(".toast")).to_contain_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    # Created answers 201: Chromium logs no error for it.
    looks_right(page, viewport, f"created-{name}")

    move(make_lead(first_name="Ada", last_name="Lovelace"), "interest", people["marketer"])
    [request] = receiver.wait_for(1)
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "lead.transitioned"

    subscription = WebhookSubscription.objects.get()
    page.get_by_role("link", name="Open the new webhook's page").click()
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    row = page.locator(f"#delivery-{delivery.pk}")
    expect(row).to_contain_text("Lead moved to another stage")
    expect(row).to_contain_text(delivery.event.message_id)
    expect(row).to_contain_text("Delivered")
    expect(row).to_contain_text("HTTP 200")
    row.get_by_text("Every try (1)").click()
    expect(row.locator("ol.tries")).to_contain_text("HTTP 200")
    looks_right(page, viewport, f"detail-{name}")

    row.get_by_role("button", name="Redeliver").click()
    expect(page.locator(".toast")).to_contain_text(
        f"Sending lead moved to another stage ({delivery.event.message_id}) again."
    )
    assert len(receiver.wait_for(2)) == 2
    assert (
        Webhook(secret).verify(receiver.requests[1].body, receiver.requests[1].headers)["type"] == "lead.transitioned"
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.log.count()) == ("succeeded", 2)

    page.get_by_role("button", name="Disable").click()
    expect(page.locator("dl.fields")).to_contain_text("Disabled by admin on the webhooks page.")
    expect(page.locator(f"#delivery-{delivery.pk}").get_by_role("button", name="Redeliver")).to_be_disabled()
    page.get_by_text("Rotate the secret").click()
    page.get_by_label("Old secret keeps signing for (hours)").fill("2")
    page.get_by_role("button", name="Rotate", exact=True).click()
    expect(page.get_by_role("heading", name="New signing secret")).to_be_visible()
    rotated = page.get_by_label("The signing secret").input_value()
    assert rotated != secret and subscription.secrets.filter(secret=rotated, expires_at=None).exists()
    page.get_by_text("Edit", exact=True).click()
    page.get_by_text("Delete", exact=True).click()
    looks_right(page, viewport, f"disabled-rotated-{name}")
