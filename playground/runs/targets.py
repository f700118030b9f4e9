"""Where a run's requests may go: the demo API, and the teacher's allowlist.

    settings.PLAYGROUND_TARGETS = [{"name": "httpbin", "url": "http://127.0.0.1:8080/get",
                                    "addresses": ["127.0.0.1"]}]

A learner picks a target by name; anything else is refused by the form. At run
time two guards keep requests inside the list before any connection is made:

    PinnedResolver   a name must resolve to the target's allowed addresses
    allowlist_guard  every request, a redirect's too, must stay on an allowed target's host and port
"""

import ipaddress
import socket
from dataclasses import dataclass
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


class PinnedResolver(AbstractResolver):
    """Resolves only allowed host names, and only to their allowed addresses."""

    def __init__(self, targets: list[Target]):
        self._allowed: dict[str, frozenset[str]] = {}
        for target in targets:
            host = target.origin[0]
            self._allowed[host] = self._allowed.get(host, frozenset()) | target.addresses
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

    A middleware, not a second TraceConfig on the redirect signal: each trace config adds
    aiohttp's per-request trace work (objects, signals) to every request, and the session
    already carries one, the phases' (strategies/api.py TRACE)."""
    origins = {t.origin for t in targets}

    async def guard(request: aiohttp.ClientRequest, handler):
        url = request.url
        if (url.host, url.port) not in origins:
            raise TargetRefused(f"{url.host}:{url.port} is not an allowed target: the request was not sent")
        return await handler(request)

    return guard
