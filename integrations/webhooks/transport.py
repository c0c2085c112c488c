"""Sending a webhook without being turned against our own network (server-side request forgery).

An address is checked when a subscription is saved and again at every delivery, on the addresses the name
resolves to at that moment; the connection then goes to the address that was checked (never a second lookup a
rebinding DNS server could answer differently). Redirects are not followed: a 3xx is a failed try.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(Exception):
    """The target is not one we may send to; the message says why, for the delivery log and the API."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str
    duration_ms: int


def url_check(url: str) -> tuple[str, int, str, str]:
    """(scheme, port, host, path) of a deliverable URL, or AddressRefused naming the problem."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("The URL must start with http:// or https://.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    if parts.username or parts.password:
        raise AddressRefused("The URL may not carry a user name or password; the signature authenticates us.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise AddressRefused("The URL's port is not a number from 1 to 65535.") from None
    path = parts.path or "/"
    return parts.scheme, port, parts.hostname, path + (f"?{parts.query}" if parts.query else "")


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(net) for net in settings.WEBHOOK_ALLOWED_NETWORKS]


def address_refusal(ip: str) -> str | None:
    """Why `ip` may not be a target, or None. Public addresses may; internal ones only in an allowed network."""
    address = ipaddress.ip_address(ip)
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address
    kind = next(
        (
            label
            for label, internal in (
                ("loopback", address.is_loopback),
                ("unspecified", address.is_unspecified),
                ("link-local", address.is_link_local),
                ("multicast", address.is_multicast),
                ("private", address.is_private),
                ("reserved", address.is_reserved),
            )
            if internal
        ),
        None,
    )
    if kind is None or any(address in net for net in _allowed_networks()):
        return None
    return f"{ip} is a {kind} address, and WEBHOOK_ALLOWED_NETWORKS does not allow it."


def resolve_checked(host: str, port: int) -> str:
    """The address to connect to: every address the host resolves to must be allowed, the first is used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"The host {host!r} does not resolve ({error}).") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for ip in addresses:
        if (reason := address_refusal(ip)) is not None:
            raise AddressRefused(f"Refused {host}: {reason}")
    return addresses[0]


def _connect(ip: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((ip, port), timeout)
    # As http.client does: without it the body waits for the headers' ACK (Nagle + delayed ACK, ~40 ms a try).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self):
        self.sock = _connect(self._ip, self.port, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self):
        raw = _connect(self._ip, self.port, self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # the certificate names the host


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POSTs once to the checked address; raises AddressRefused or OSError (timeouts included)."""
    scheme, port, host, path = url_check(url)
    ip = resolve_checked(host, port)
    kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = kind(host, port, ip, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    started = time.monotonic()
    try:
        connection.request("POST", path, body=body, headers={**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        excerpt = response.read(500).decode("utf-8", errors="replace")
        if 300 <= response.status < 400:
            excerpt = f"redirect to {response.getheader('Location', '?')} not followed"
        return Answer(response.status, excerpt, int((time.monotonic() - started) * 1000))
    finally:
        connection.close()
