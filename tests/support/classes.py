"""What the class tests share: a browser-like client (its own cookies and CSRF token, and, if
asked, its own loopback address), and small readers of the class socket.

    async with Browser(server, address="127.0.0.7") as teacher:
        code = (await teacher.create_class())["code"]
        status, body, headers = await teacher.call("GET", f"/api/classes/{code}/roster")
        ws = await teacher.socket(code)
        message = await next_message(ws)          # one JSON message (10 s at most)
        roster = await message_until(ws, "class.roster", lambda m: m["count"] == 2)  # skips the others
    class_expire(server, code)                    # its end moved into the past, in the server's database

Every 127.x.x.x address is this machine's: a client bound to its own one is a network of its own
to the join limits (counted per address), so each test starts from a count of zero.
"""

import asyncio
import itertools
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import aiohttp

SOCKET_TIMEOUT_S = 10
_addresses = itertools.count(2)


def fresh_address() -> str:
    """A loopback address no other client of this test session used (127.0.1.2, 127.0.1.3, ...)."""
    n = next(_addresses)
    return f"127.0.{1 + n // 250}.{2 + n % 250}"


class Browser:
    """One browser: a cookie jar (its session: teacher or learner), its CSRF token, its address."""

    def __init__(self, server, *, address: str | None = None, cookies: bool = True):
        self.server = server
        self.address = address or fresh_address()
        self.cookies = cookies
        self.http: aiohttp.ClientSession | None = None
        self.token = ""

    async def __aenter__(self):
        jar = aiohttp.CookieJar(unsafe=True) if self.cookies else aiohttp.DummyCookieJar()
        connector = aiohttp.TCPConnector(local_addr=(self.address, 0))
        self.http = aiohttp.ClientSession(cookie_jar=jar, connector=connector)
        if self.cookies:  # a page first, as a browser would: the session and the CSRF cookie
            async with self.http.get(self.server.base + "/") as r:
                assert r.status == 200
            self.token = next(c.value for c in self.http.cookie_jar if c.key == "csrftoken")
        return self

    async def __aexit__(self, *exc):
        assert self.http is not None
        await self.http.close()

    async def call(
        self, method: str, path: str, body=None, *, raw: bytes | None = None, csrf: bool = True, headers=None
    ):
        """(status, JSON body or None, headers) of one API call (`headers`: in place of the Referer)."""
        assert self.http is not None
        headers = dict(headers) if headers is not None else {"Referer": self.server.base + "/"}
        if self.token and csrf:
            headers["X-CSRFToken"] = self.token
        kwargs: dict = {"headers": headers}
        if raw is not None:
            kwargs["data"] = raw
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        async with self.http.request(method, self.server.base + path, **kwargs) as r:
            text = await r.text()
            data = json.loads(text) if r.content_type == "application/json" and text else None
            return r.status, data, r.headers

    async def page(self, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """(status, HTML, final URL) of a page, or of a form posted to it (redirects followed)."""
        assert self.http is not None
        if form is None:
            async with self.http.get(self.server.base + path) as r:
                return r.status, await r.text(), str(r.url)
        data = {"csrfmiddlewaretoken": self.token, **form}
        async with self.http.post(self.server.base + path, data=data, headers={"Referer": self.server.base}) as r:
            return r.status, await r.text(), str(r.url)

    async def create_class(self) -> dict:
        status, body, _ = await self.call("POST", "/api/classes")
        assert status == 201, body
        return body

    async def join(self, code: str, name: str) -> tuple[int, dict]:
        status, body, _ = await self.call("POST", f"/api/classes/{code}/join", {"name": name})
        return status, body

    async def start_run(self, spec: dict) -> str:
        """POST /api/runs: the new run's id (in the browser's class, if it joined one)."""
        status, body, _ = await self.call("POST", "/api/runs", spec)
        assert status == 201, body
        return body["id"]

    async def socket(self, code: str) -> aiohttp.ClientWebSocketResponse:
        assert self.http is not None
        return await self.http.ws_connect(f"{self.server.ws_base}/ws/classes/{code}/", origin=self.server.base)


async def classroom(teacher: Browser, *learners: tuple[Browser, str]) -> tuple[str, list[int]]:
    """A class started by `teacher`, each of `learners` (browser, name) joined: (its code, their ids)."""
    code = (await teacher.create_class())["code"]
    ids = []
    for browser, name in learners:
        status, joined = await browser.join(code, name)
        assert status == 201, joined
        ids.append(joined["id"])
    return code, ids


async def next_message(ws) -> dict:
    """The socket's next message, parsed; fails on a close or after SOCKET_TIMEOUT_S."""
    async with asyncio.timeout(SOCKET_TIMEOUT_S):
        msg = await ws.receive()
    assert msg.type == aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def message_until(ws, kind: str, check=lambda m: True, *, seen: list[dict] | None = None) -> dict:
    """Messages until one of type `kind` passes `check`; every message read goes into `seen`.

    Fails (AssertionError, naming `kind` and the messages read) on a close, or when none came in
    SOCKET_TIMEOUT_S."""
    read: list[dict] = seen if seen is not None else []
    mark = len(read)
    try:
        async with asyncio.timeout(SOCKET_TIMEOUT_S):
            while True:
                msg = await ws.receive()
                assert msg.type == aiohttp.WSMsgType.TEXT, f"waiting for {kind}: {msg}; read: {read[mark:]}"
                message = json.loads(msg.data)
                read.append(message)
                if message["type"] == kind and check(message):
                    return message
    except TimeoutError:
        raise AssertionError(f"no {kind} passing the check in {SOCKET_TIMEOUT_S} s; read: {read[mark:]}") from None


async def closed_with(ws, *, within_s: float = SOCKET_TIMEOUT_S) -> tuple[list[dict], int]:
    """Every message until the server closes the socket (in `within_s` at most), and its close code."""
    got = []
    async with asyncio.timeout(within_s):
        async for msg in ws:
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            got.append(json.loads(msg.data))
    return got, ws.close_code


def class_expire(server, code: str, in_s: float | None = None) -> None:
    """Move the class's end into the past (or `in_s` seconds from now), in the server's own database."""
    at = "2000-01-01 00:00:00"
    if in_s is not None:  # Django keeps times in SQLite as UTC text
        at = (datetime.now(UTC) + timedelta(seconds=in_s)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(server.db) as db:
        done = db.execute("UPDATE classes_classroom SET expires_at = ? WHERE code = ?", (at, code.replace("-", "")))
        assert done.rowcount == 1
