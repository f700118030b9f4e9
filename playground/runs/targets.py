"""Where a run's requests may go: the demo API, and the teacher's allowlist.

    settings.PLAYGROUND_TARGETS = [{"name": "httpbin", "url": "http://127.0.0.1:8080/get",
                                    "addresses": ["127.0.0.1"]}]

A learner picks a target by name; anything else is refused by the form. At run
time two guards keep requests inside the list before any connection is made, for
aiohttp's requests and for the blocking client's (urllib, `Api.fetch_blocking`) alike:

    aiohttp              urllib (blocking_opener)
    PinnedResolver       PinnedConnection     a name must resolve to the target's allowed addresses
    allowlist_guard      AllowlistRedirects   every request, a redirect's too, must stay on an
                                              allowed target's host and port
"""

import http.client
import ipaddress
import socket
import urllib.request
from dataclasses import dataclass
from functools import partial
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.resolver import DefaultResolver

DEMO = "demo"


class TargetRefused(aiohttp.ClientError):
    """A request would have left the allowlist; nothing was sent."""


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    addresses: frozenset[str]  # the only addresses its host may resolve to
    demo: bool = False  # the built-in demo API: gets the workload's query

    @property
    def origin(self) -> tuple[str, int]:
        parts = urlsplit(self.url)
        return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def target_from_setting(entry: dict) -> Target:
    """A Target from one settings entry; ValueError naming what is wrong."""
    name, url = entry.get("name"), entry.get("url")
    if not name or name == DEMO:
        raise ValueError(f"PLAYGROUND_TARGETS: each target needs a name other than {DEMO!r}")
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"PLAYGROUND_TARGETS[{name}]: url must be http(s)://host[:port]/path, got {url!r}")
    addresses = entry.get("addresses")
    if not addresses:
        try:  # an IP literal allows itself; a name is resolved once, now, and pinned
            addresses = [str(ipaddress.ip_address(parts.hostname))]
        except ValueError:
            addresses = sorted({info[4][0] for info in socket.getaddrinfo(parts.hostname, None)})
    return Target(name=name, url=str(url), addresses=frozenset(addresses))


def demo_target(url: str) -> Target:
    host = urlsplit(url).hostname or "127.0.0.1"
    return Target(name=DEMO, url=url.rstrip("/") + "/work", addresses=frozenset({host}), demo=True)


def configured_targets() -> dict[str, Target]:
    """The demo API first, then the teacher's allowlist, by name."""
    from django.conf import settings

    from playground.demoapi.process import demo_api_url

    targets = [demo_target(demo_api_url())]
    targets += [target_from_setting(entry) for entry in settings.PLAYGROUND_TARGETS]
    return {t.name: t for t in targets}


def target_names() -> list[str]:
    from django.conf import settings

    return [DEMO] + [entry.get("name") for entry in settings.PLAYGROUND_TARGETS]


def allowed_addresses(targets: list[Target]) -> dict[str, frozenset[str]]:
    """host -> the addresses it may resolve to, over every target on that host."""
    allowed: dict[str, frozenset[str]] = {}
    for target in targets:
        host = target.origin[0]
        allowed[host] = allowed.get(host, frozenset()) | target.addresses
    return allowed


class PinnedResolver(AbstractResolver):
    """Resolves only allowed host names, and only to their allowed addresses."""

    def __init__(self, targets: list[Target]):
        self._allowed = allowed_addresses(targets)
        self._inner = DefaultResolver()

    async def resolve(self, host, port=0, family=socket.AF_INET):
        allowed = self._allowed.get(host)
        if allowed is None:
            raise TargetRefused(f"{host} is not an allowed target")
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if r["host"] in allowed]
        if not kept:
            got = ", ".join(sorted({r["host"] for r in found}))
            raise TargetRefused(f"{host} resolves to {got}, not to an allowed address ({', '.join(sorted(allowed))})")
        return kept

    async def close(self):
        await self._inner.close()


def allowlist_guard(targets: list[Target]):
    """An aiohttp client middleware refusing, unsent, any request off the allowed hosts and
    ports; aiohttp calls it for each hop, so a redirect leaving the list stops here.

    A middleware, not a TraceConfig on the redirect signal: a trace config adds aiohttp's
    trace work (objects, a dozen signals) to every request (strategies/phases.py)."""
    origins = {t.origin for t in targets}

    async def guard(request: aiohttp.ClientRequest, handler):
        url = request.url
        if (url.host, url.port) not in origins:
            raise TargetRefused(f"{url.host}:{url.port} is not an allowed target: the request was not sent")
        return await handler(request)

    return guard


# --- The blocking client: urllib, kept inside the same list ----------------------------


class ConnectionWatch(Protocol):
    """What a blocking request's connection tells (strategies/phases.py's Attempt): its socket before it
    connects (so a cancel can shut it; raising refuses it), that it connected, that the request was sent."""

    def opened(self, sock: socket.socket) -> None: ...

    def wrapped(self, sock: socket.socket) -> None: ...

    def connected(self) -> None: ...

    def request_sent(self) -> None: ...


def pinned_addresses(allowed: dict[str, frozenset[str]], host: str, port: int) -> list[tuple]:
    """getaddrinfo's answers for `host` that are allowed; TargetRefused for a host off the list, or none kept."""
    addresses = allowed.get(host)
    if addresses is None:
        raise TargetRefused(f"{host} is not an allowed target: the request was not sent")
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    kept = [info for info in found if info[4][0] in addresses]
    if not kept:
        got = ", ".join(sorted({str(info[4][0]) for info in found}))
        raise TargetRefused(f"{host} resolves to {got}, not to an allowed address ({', '.join(sorted(addresses))})")
    return kept


class PinnedConnection:
    """An http.client connection (mixed into HTTPConnection / HTTPSConnection) that connects only to
    its host's allowed addresses, never to a fresh DNS answer outside them, and tells `watch`."""

    def __init__(self, host, *, allowed: dict[str, frozenset[str]], watch: ConnectionWatch | None, **kw):
        super().__init__(host, **kw)  # type: ignore[call-arg]
        self._allowed, self._watch = allowed, watch
        self._create_connection = self._connect_pinned  # http.client opens its socket with this
        self._plain: socket.socket | None = None

    def _connect_pinned(self, address, timeout, source_address=None) -> socket.socket:
        host, port = address
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in pinned_addresses(self._allowed, host, port):
            sock = socket.socket(family, kind, proto)
            try:
                if self._watch is not None:
                    self._watch.opened(sock)  # before connecting: a cancel can shut a connect short too
                sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
            except OSError as exc:  # this address failed: try the next allowed one, as create_connection does
                sock.close()
                error = exc
                continue
            except BaseException:
                sock.close()
                raise
            if self._watch is not None:
                self._watch.connected()
            self._plain = sock
            return sock
        assert error is not None  # pinned_addresses returns at least one address
        raise error

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self._watch is not None and self.sock is not self._plain:  # type: ignore[attr-defined]
            # HTTPSConnection wrapped the socket in TLS, detaching the plain one (its fd is -1
            # now): a cancel must shut the wrapped one.
            self._watch.wrapped(self.sock)  # type: ignore[attr-defined]

    def getresponse(self):
        if self._watch is not None:
            self._watch.request_sent()  # the request is on the wire: from here it waits for the answer
        return super().getresponse()  # type: ignore[misc]


class PinnedHTTPConnection(PinnedConnection, http.client.HTTPConnection):
    pass


class PinnedHTTPSConnection(PinnedConnection, http.client.HTTPSConnection):
    pass


class PinnedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allowed: dict[str, frozenset[str]]):
        super().__init__()
        self._allowed = allowed

    def http_open(self, req):
        watch = getattr(req, "watch", None)
        return self.do_open(partial(PinnedHTTPConnection, allowed=self._allowed, watch=watch), req)


class PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allowed: dict[str, frozenset[str]]):
        super().__init__()
        self._allowed = allowed

    def https_open(self, req):
        watch = getattr(req, "watch", None)
        return self.do_open(partial(PinnedHTTPSConnection, allowed=self._allowed, watch=watch), req)


class AllowlistRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to an allowed target's host and port; any other is refused unsent."""

    def __init__(self, targets: list[Target]):
        super().__init__()
        self._origins = {t.origin for t in targets}

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        parts = urlsplit(newurl)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if parts.scheme not in ("http", "https") or (parts.hostname, port) not in self._origins:
            fp.close()  # the redirect's own answer, read no further
            raise TargetRefused(f"{parts.hostname}:{port} is not an allowed target: the redirect was not followed")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            new.watch = getattr(req, "watch", None)  # type: ignore[attr-defined]  # the next hop times the same attempt
        return new


def blocking_opener(targets: list[Target]) -> urllib.request.OpenerDirector:
    """A urllib opener for `Api.fetch_blocking` that keeps requests inside `targets` as the session's
    resolver and guard do. Built by hand, not with build_opener(): no proxies from the environment,
    no file:, ftp: or data: URLs; a 4xx or 5xx answer raises HTTPError."""
    allowed = allowed_addresses(targets)
    opener = urllib.request.OpenerDirector()
    for handler in (
        PinnedHTTPHandler(allowed),
        PinnedHTTPSHandler(allowed),
        AllowlistRedirects(targets),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.UnknownHandler(),
    ):
        opener.add_handler(handler)
    return opener
