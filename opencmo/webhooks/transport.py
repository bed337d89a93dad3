"""HTTP POST for webhook deliveries: stdlib urllib, a timeout, no redirects, no proxies, and an SSRF
guard that checks the address actually connected to (so DNS rebinding between check and connect does
not help an attacker).

By default only public (globally routable) addresses are allowed. `WEBHOOK_ALLOW_PRIVATE_TARGETS`
(Django setting, else the OPENCMO_WEBHOOK_ALLOW_PRIVATE_TARGETS environment variable) allows private,
loopback and link-local targets, for an on-premises receiver or tests.
"""

import http.client
import ipaddress
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from opencmo.env import env_bool, env_str

EXCERPT_CHARS = 500
MAX_READ = 64 * 1024
USER_AGENT = "OpenCMO-Webhooks/1"


class TargetRefused(ValueError):
    """The URL points somewhere webhooks may not go."""


def allow_private() -> bool:
    value = getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", None)
    if value is None:
        return env_bool("OPENCMO_WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
    return bool(value)


def timeout() -> float:
    value = getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", None)
    return float(value if value is not None else env_str("OPENCMO_WEBHOOK_TIMEOUT_SECONDS", "10"))


def check_address(address: str) -> None:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if allow_private():
        if ip.is_multicast or ip.is_unspecified:
            raise TargetRefused(f"{ip} is not a host address.")
        return
    if not ip.is_global or ip.is_multicast:
        raise TargetRefused(
            f"{ip} is a private, loopback, link-local or reserved address; webhooks only go to public "
            "addresses."
        )


def check_url(url: str) -> None:
    """Refuse a URL whose scheme is not http(s) or whose host resolves to a refused address."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise TargetRefused("Use an http:// or https:// address.")
    if parts.username or parts.password:
        raise TargetRefused("Put no user name or password in the address.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise TargetRefused(f"The host “{parts.hostname}” cannot be resolved.") from error
    for info in infos:
        check_address(info[4][0])


def _checked(sock: socket.socket) -> socket.socket:
    try:
        check_address(sock.getpeername()[0])
    except TargetRefused:
        sock.close()
        raise
    return sock


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _checked(self.sock)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        # Checked after the TLS handshake but before any byte of the request is sent.
        super().connect()
        self.sock = _checked(self.sock)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a 3xx is the receiver's answer, recorded as a failure; never followed


_opener = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.ProxyHandler({}),  # no environment proxies: they would bypass the address check
    _GuardedHTTPHandler(),
    _GuardedHTTPSHandler(),
    _NoRedirect(),
    urllib.request.HTTPDefaultErrorHandler(),
    urllib.request.HTTPErrorProcessor(),
):
    _opener.add_handler(_handler)


@dataclass
class Result:
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _excerpt(raw: bytes) -> str:
    return raw[:MAX_READ].decode("utf-8", "replace")[:EXCERPT_CHARS]


def post(url: str, body: bytes, headers: dict[str, str]) -> Result:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    request = urllib.request.Request(  # noqa: S310 - scheme limited to http(s) by check_url below
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
    )
    try:
        check_url(url)
        with _opener.open(request, timeout=timeout()) as response:
            return Result(response.status, elapsed(), _excerpt(response.read(MAX_READ)))
    except urllib.error.HTTPError as error:
        raw = error.read(MAX_READ) if error.fp is not None else b""
        return Result(error.code, elapsed(), _excerpt(raw), f"HTTP {error.code}")
    except TargetRefused as error:
        return Result(None, elapsed(), error=f"Refused: {error}"[:300])
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TargetRefused):
            return Result(None, elapsed(), error=f"Refused: {reason}"[:300])
        return Result(None, elapsed(), error=f"Connection failed: {reason}"[:300])
    except (TimeoutError, OSError, http.client.HTTPException) as error:
        return Result(None, elapsed(), error=f"{type(error).__name__}: {error}"[:300])
