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


# RFC 6052's well-known NAT64 prefix: a translator sends 64:ff9b::a.b.c.d to the IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not globally reachable, though this Python's is_global (3.11) still says so for them: IANA's special-purpose
# 192.0.0.0/24 and the local-use NAT64 prefix of RFC 8215 (what it translates to is the local network's choice).
_NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("64:ff9b:1::/48"))
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(net) for net in settings.WEBHOOK_ALLOWED_NETWORKS]


def _not_public(address: Address) -> str | None:
    """What kind of address `address` is when it is not a public one, or None when it is. Public is an
    allow-list: is_global, minus what this Python's is_global still lets through (multicast, site-local
    fec0::/10, IPv6 reserved blocks such as ::/8, _NOT_GLOBAL). The other kinds only name the refusal."""
    kinds = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("site-local", getattr(address, "is_site_local", False)),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        # 64:ff9b::/96 lies in the reserved ::/8 but stands for its IPv4 address, which is judged on its own.
        ("reserved", address.is_reserved and address not in _NAT64),
        ("non-public", not address.is_global or any(address in net for net in _NOT_GLOBAL)),
    )
    return next((kind for kind, holds in kinds if holds), None)


def _embedded_ipv4(address: Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address hands to a relay or translator: 6to4 (2002::/16), Teredo (2001::/32,
    its server and its client) and NAT64 (64:ff9b::/96). A packet to one of them ends at the IPv4 address."""
    if address.version == 4:
        return []
    found = [address.sixtofour, *(address.teredo or ())]
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
    return [embedded for embedded in found if embedded is not None]


def address_refusal(ip: str) -> str | None:
    """Why `ip` may not be a target, or None. Only public addresses may, unless WEBHOOK_ALLOWED_NETWORKS (the
    administrator's choice) holds it; an IPv6 address carrying an IPv4 one is judged on both."""
    address = ipaddress.ip_address(ip)
    # The kernel sends ::ffff:a.b.c.d as IPv4 to a.b.c.d: that is the address, and the one allowed or not.
    address = getattr(address, "ipv4_mapped", None) or address
    allowed = _allowed_networks()
    for candidate in (*_embedded_ipv4(address), address):
        kind = _not_public(candidate)
        if kind is None or any(candidate in net for net in allowed):
            continue
        kind = f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
        what = f"{ip} is {kind}" if candidate is address else f"{ip} carries {candidate}, {kind}"
        return f"{what} address, and WEBHOOK_ALLOWED_NETWORKS does not allow it."
    return None


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
