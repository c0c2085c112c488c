"""Typed readers for environment variables.

Every reader fails loudly with the variable's name, so a bad deployment stops at start-up with a message a
person can act on instead of a traceback deep inside Django.
"""

import ipaddress
import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_MISSING = object()
REQUIRED = _MISSING  # pass as a default to say "no default: the variable must be set"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, default: object) -> str | None:
    """The stripped value, or None when unset or empty (so `KEY=` in .env means "use the default")."""
    value = os.environ.get(name, "").strip()
    if not value:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Environment variable {name} is required but not set.")
        return None
    return value


def env_str(name: str, default: object = _MISSING) -> str:
    value = _raw(name, default)
    return default if value is None else value  # type: ignore[return-value]


def env_bool(name: str, default: object = _MISSING) -> bool:
    value = _raw(name, default)
    if value is None:
        return bool(default)
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a boolean (use true or false).")


def env_int(name: str, default: object = _MISSING, *, minimum: int | None = None) -> int:
    value = _raw(name, default)
    if value is None:
        return int(default)  # type: ignore[call-overload]
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={number} must be at least {minimum}.")
    return number


def env_list(name: str, default: object = _MISSING) -> list[str]:
    value = _raw(name, default)
    if value is None:
        return list(default)  # type: ignore[call-overload]
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP networks (CIDR; a bare address is a /32 or /128), empty by default."""
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(f"Environment variable {name}: {item!r} is not an IP network.") from None
    return networks


_RATE = re.compile(r"^[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def env_rate(name: str, default: object = _MISSING) -> str:
    """A rate limit such as 600/min: a count, a slash and a period (s, min, h or day)."""
    value = _raw(name, default)
    if value is None:
        return default  # type: ignore[return-value]
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is not a rate such as 600/min.")
    return value


def env_url(name: str, *, schemes: tuple[str, ...], default: object = _MISSING) -> str | None:
    value = _raw(name, default)
    if value is None:
        return default  # type: ignore[return-value]
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        allowed = ", ".join(schemes)
        raise ImproperlyConfigured(f"Environment variable {name} must be a URL with scheme {allowed}; got {value!r}.")
    return value


def database_from_url(name: str, url: str) -> dict:
    """Turns postgres://user:pass@host:port/db?host=/socket/dir into Django's DATABASES entry."""
    parts = urlsplit(url)
    if not parts.path.strip("/"):
        raise ImproperlyConfigured(f"Environment variable {name} must name a database, e.g. .../crm; got {url!r}.")
    options = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"Environment variable {name} has an invalid port: {url!r}.") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.strip("/"),
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": options.pop("host", parts.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": options,
    }
