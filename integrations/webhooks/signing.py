"""Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
`webhook-signature`, HMAC-SHA256 of "id.timestamp.body" with each current secret, space-separated."""

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook


def secret_new() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(*, message_id: str, at: datetime, body: str, secrets_in_use: list[str]) -> dict[str, str]:
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets_in_use)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
