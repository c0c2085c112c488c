"""Rate limits per API token, per logged-in person and (anonymous) per address, counted in the shared store
(config.shared_store: Redis, so every process counts against the same window).

Each window is fixed and starts with its first request; INCR and its expiry run in one Lua script. The limits
come from API_RATE_LIMIT_TOKEN, API_RATE_LIMIT_USER and API_RATE_LIMIT_ANON ("600/min"), read at each request so
a test can lower them with override_settings. A token's requests count against the token, not its person, so an
integration's tokens are limited one by one. DRF checks throttles after authentication and permissions: a
refused credential is answered before it is counted.

Every counted answer carries RateLimit-Limit, -Remaining, -Reset (seconds) and -Policy; over the limit DRF
answers 429 (a problem document, code `throttled`) with Retry-After. A limiter must not take the API down: with
Redis unreachable, requests pass, a warning is logged, and Redis is left alone for a few seconds before the
next try (so an outage costs neither a connect timeout per request nor a log line per request).
"""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from config import shared_store

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_BACK_OFF_SECONDS = 5.0
logger = logging.getLogger("config.throttling")
_store_down_until = 0.0


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int
    window: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
            "RateLimit-Policy": f"{self.limit};w={self.window}",
        }


def parse_rate(rate: str) -> tuple[int, int]:
    """A rate such as 600/min as (600, 60). config/env.py's env_rate has refused any other shape at start-up."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period[0]]


def client_address(request) -> str:
    """The caller's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies, the address the outermost of them
    saw (X-Forwarded-For's entries further left are the client's to write, so they are not trusted)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if proxies and forwarded:
        return forwarded[-min(proxies, len(forwarded))]
    return request.META.get("REMOTE_ADDR", "")


def _count(kind: str, ident: str, window: int) -> tuple[int, int] | None:
    """(requests in the window, milliseconds until it ends), or None while the store is unreachable."""
    global _store_down_until
    if time.monotonic() < _store_down_until:
        return None
    try:
        return shared_store.store().hit(shared_store.key("rate", kind, ident), window * 1000)
    except shared_store.StoreError as exc:
        _store_down_until = time.monotonic() + _BACK_OFF_SECONDS
        logger.warning("Rate-limit store unreachable; requests pass unlimited for %ss: %s", _BACK_OFF_SECONDS, exc)
        return None


class _SharedRateThrottle(BaseThrottle):
    kind = ""
    setting = ""

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view):
        ident = self.ident(request)
        if ident is None:
            return True
        limit, window = parse_rate(getattr(settings, self.setting))
        counted = _count(self.kind, ident, window)
        if counted is None:
            return True
        count, left_ms = counted
        self.reset = max(1, math.ceil(left_ms / 1000))
        # On the Django request, where RateLimitHeadersMiddleware finds it for the answer.
        request._request.rate_limit = RateLimit(limit, max(0, limit - count), self.reset, window)
        return count <= limit

    def wait(self):
        return self.reset


class TokenRateThrottle(_SharedRateThrottle):
    kind, setting = "token", "API_RATE_LIMIT_TOKEN"

    def ident(self, request):
        token_id = getattr(request.auth, "pk", None)
        return None if token_id is None else str(token_id)


class UserRateThrottle(_SharedRateThrottle):
    kind, setting = "user", "API_RATE_LIMIT_USER"

    def ident(self, request):
        if request.auth is not None or not request.user.is_authenticated:
            return None
        return str(request.user.pk)


class AnonRateThrottle(_SharedRateThrottle):
    kind, setting = "anon", "API_RATE_LIMIT_ANON"

    def ident(self, request):
        return None if request.user.is_authenticated else client_address(request)


class RateLimitHeadersMiddleware:
    """Puts the counted request's RateLimit-* headers on its answer, whichever way it was answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        limit = getattr(request, "rate_limit", None)
        if limit is not None:
            for name, value in limit.headers().items():
                response[name] = value
        return response
