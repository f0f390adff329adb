"""The Events Hub's REST and WebSocket endpoints as one scripted aiohttp app on 127.0.0.1 (:class:`HubServer`),
closely enough for hubtop: login, hosts, machines, unsubscribe and subscribe, with knobs for what the server
answers and records of what it saw; and the secrets it knows by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from kit.wire import ALL_CHANNELS, HOST_A, HOST_B, confirmation, frame, frame_id, host_record, vm_record

#: distinctive secrets, so a test can look for them in every message (``TOKEN`` is the server's initial one)
TOKEN = "tok-initial"
PASSWORD = "pw-S3CR3T-hunter2"
API_KEY = "key-S3CR3T-0xdeadbeef"
#: an API key as the server hands it out: base64 of ``key-id:key-S3CR3T-secret`` (a plain key is encoded to it)
ENCODED_KEY = "a2V5LWlkOmtleS1TM0NSM1Qtc2VjcmV0"


@dataclass
class Attempt:
    """One request to the subscribe endpoint."""

    at: float
    headers: dict[str, str]
    query: dict[str, str]
    status: int  # 101 when upgraded


@dataclass
class Conn:
    """One upgraded WebSocket connection of :class:`HubServer`."""

    ws: web.WebSocketResponse
    request: web.Request
    client_id: str
    channels: list[str]
    subscriptions: list[str]
    opened_at: float = field(default_factory=time.time)
    received: list[str] = field(default_factory=list)
    pings: int = 0
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, text: str | bytes) -> None:
        if isinstance(text, bytes):
            await self.ws.send_bytes(text)
        else:
            await self.ws.send_str(text)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.ws.close(code=code, message=reason.encode())

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()


Script = Callable[[Conn], Awaitable[Any]]


class HubServer:
    """The Events Hub REST + WebSocket endpoints as one aiohttp app on 127.0.0.1.

    Auth: ``Authorization: Bearer <t>`` for any token in ``tokens``, or ``X-Api-Key`` for any key in
    ``header_api_keys``. Login (``POST /api/v1/auth/token``) accepts ``users`` (name or email -> password)
    and ``login_api_keys``, and hands out a new token each time.

    Knobs (plain attributes, change them at any time):
      ``hosts`` / ``machines``: what the listings return; ``subscribe_answers``: statuses answered by the
      subscribe endpoint before upgrading, one per attempt, popped from the front (``101`` upgrades);
      ``supported``: the channels the server confirms; ``confirm``: send the confirmation frame;
      ``pong``: answer health pings; ``script``: ``async def script(conn)`` run after the confirmation of
      every connection (send frames, close, abort); ``unsubscribe_answer``: ``"ok"`` (200, empty),
      ``"partial"`` (200 with an error JSON naming the first channel) or ``"error"`` (400);
      ``overrides``: path -> ``(status, body text)`` answered instead of the real handler;
      ``known_clients``: client ids the unsubscribe endpoint knows without a live connection;
      ``echo_auth``: 401 messages repeat the credentials presented (a careless server or proxy);
      ``handshake_delay``: seconds the subscribe endpoint waits before answering; ``lose_client_id_answers``:
      client-id requests left unanswered first (their answers evicted).

    Records: ``requests`` (method, path, headers), ``logins`` (JSON bodies), ``unsubscribes`` (JSON bodies),
    ``attempts`` (:class:`Attempt`), ``conns`` (:class:`Conn`), ``active`` and ``max_active`` (open sockets).
    """

    def __init__(self, *, token: str | None = TOKEN, header_api_keys: tuple[str, ...] = (),
                 users: dict[str, str] | None = None, login_api_keys: tuple[str, ...] = (),
                 ssl_context: ssl.SSLContext | None = None, prefix: str = "/api") -> None:
        self.tokens: set[str] = {token} if token else set()
        self.header_api_keys = set(header_api_keys)
        self.users = dict(users or {})
        self.login_api_keys = set(login_api_keys)
        self.ssl_context = ssl_context
        self.prefix = prefix
        self.hosts: list[Any] = []
        self.machines: list[Any] = []
        self.subscribe_answers: list[int] = []
        self.supported: set[str] = set(ALL_CHANNELS)
        self.confirm = True
        self.pong = True
        self.script: Script | None = None
        self.unsubscribe_answer = "ok"
        self.overrides: dict[str, tuple[int, str]] = {}
        #: client ids the unsubscribe endpoint accepts besides those of live connections
        self.known_clients: set[str] = set()
        #: a careless server: its 401 messages repeat the credentials it was given
        self.echo_auth = False
        #: seconds the subscribe endpoint waits before answering (a slow handshake)
        self.handshake_delay = 0.0
        #: client-id requests left unanswered first (their answers evicted from a full queue)
        self.lose_client_id_answers = 0
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.logins: list[dict] = []
        self.unsubscribes: list[dict] = []
        self.attempts: list[Attempt] = []
        self.conns: list[Conn] = []
        self.active = 0
        self.max_active = 0
        self._tokens_issued = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---------------------------------------------------------------- lifecycle

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}" + ("" if self.prefix == "/api" else self.prefix)

    async def __aenter__(self) -> HubServer:
        app = web.Application()
        p = self.prefix
        app.router.add_post(f"{p}/v1/auth/token", self._login)
        app.router.add_get(f"{p}/v1/orchestrator/hosts", self._hosts)
        app.router.add_get(f"{p}/v1/orchestrator/machines", self._machines)
        app.router.add_post(f"{p}/v1/ws/unsubscribe", self._unsubscribe)
        app.router.add_get(f"{p}/v1/ws/subscribe", self._subscribe)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock, ssl_context=self.ssl_context)
        await site.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for conn in self.conns:
            conn.abort()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- helpers

    def _record(self, request: web.Request) -> None:
        self.requests.append((request.method, request.path, dict(request.headers)))

    def authorized(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in self.tokens:
            return True
        return request.headers.get("X-Api-Key", "") in self.header_api_keys

    @staticmethod
    def error(status: int, message: str) -> web.Response:
        return web.json_response({"code": status, "message": message, "stack": []}, status=status)

    def unauthorized(self, request: web.Request, given: str = "") -> web.Response:
        message = "authentication required"
        if self.echo_auth:
            given = given or request.headers.get("Authorization", "") or request.headers.get("X-Api-Key", "")
            message += f"; rejected credentials: {given}"
        return self.error(401, message)

    def _override(self, request: web.Request) -> web.Response | None:
        if request.path in self.overrides:
            status, text = self.overrides[request.path]
            return web.Response(status=status, text=text, content_type="application/json")
        return None

    # ---------------------------------------------------------------- REST

    async def _login(self, request: web.Request) -> web.Response:
        self._record(request)
        body = await request.json()
        self.logins.append(body)
        if (over := self._override(request)) is not None:
            return over
        user = body.get("email") or body.get("username")
        ok = (user in self.users and self.users[user] == body.get("password")) or (
            body.get("api_key") in self.login_api_keys
        )
        if not ok:
            return self.unauthorized(request, f"{body.get('password', '')} {body.get('api_key', '')}")
        token = f"tok-fresh-{next(self._tokens_issued)}"
        self.tokens.add(token)
        return web.json_response({"email": user or "", "token": token, "expires_at": int(time.time()) + 3600})

    async def _listing(self, request: web.Request, value: list[Any]) -> web.Response:
        self._record(request)
        if (over := self._override(request)) is not None:
            return over
        if not self.authorized(request):
            return self.unauthorized(request)
        return web.json_response(value)

    async def _hosts(self, request: web.Request) -> web.Response:
        return await self._listing(request, self.hosts)

    async def _machines(self, request: web.Request) -> web.Response:
        return await self._listing(request, self.machines)

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        self._record(request)
        if not self.authorized(request):
            return self.unauthorized(request)
        body = await request.json()
        self.unsubscribes.append(body)
        live = {c.client_id: c for c in self.conns if not c.closed.is_set()}
        client_id = body.get("client_id")
        conn = live.get(client_id)
        if (conn is None and client_id not in self.known_clients) or self.unsubscribe_answer == "error":
            return self.error(400, "client not found or nothing to unsubscribe")
        types = [t.lower() for t in body.get("event_types", [])]
        done = types[:1] if self.unsubscribe_answer == "partial" else types
        if conn is not None:
            conn.subscriptions = [c for c in conn.subscriptions if c not in done]
        if self.unsubscribe_answer == "partial":
            return web.json_response({"code": 200, "message": f"client is not subscribed to "
                                      f"{', '.join(types[1:])} unsubscribed from: {', '.join(done)}"})
        return web.Response(status=200)

    # ---------------------------------------------------------------- WebSocket

    async def _subscribe(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.handshake_delay:
            await asyncio.sleep(self.handshake_delay)
        status = self.subscribe_answers.pop(0) if self.subscribe_answers else 101
        if status == 101 and not self.authorized(request):
            status = 401
        self.attempts.append(Attempt(time.monotonic(), dict(request.headers), dict(request.query), status))
        if status == 401:
            return self.unauthorized(request)
        if status != 101:
            return self.error(status, {409: "IP address 127.0.0.1 already has an active WebSocket connection",
                                       503: "EventEmitter service is not available"}.get(status, "no"))
        asked = [c.strip().lower() for c in request.query.get("event_types", "").split(",") if c.strip()]
        subs = [c for c in dict.fromkeys(asked) if c in self.supported and c != "global"] + ["global"]
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Conn(ws, request, str(uuid.uuid4()), asked, subs)
        self.conns.append(conn)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        script_task = None
        try:
            if self.confirm:
                await ws.send_str(confirmation(conn.client_id, subs))
            if self.script is not None:
                script_task = asyncio.create_task(self.script(conn))
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                conn.received.append(msg.data)
                try:
                    value = json.loads(msg.data)
                except ValueError:
                    await ws.send_str(frame("global", "error", {"error": "invalid JSON"}))
                    continue
                if value.get("event_type") == "health" and value.get("message") == "ping":
                    conn.pings += 1
                    if self.pong:
                        await ws.send_str(frame("health", "pong", ref_id=frame_id(), client_id=conn.client_id))
                elif value.get("event_type") == "system" and value.get("message") == "client-id":
                    if self.lose_client_id_answers > 0:
                        self.lose_client_id_answers -= 1
                        continue
                    await ws.send_str(frame("system", "client-id", {"client-id": conn.client_id},
                                            client_id=conn.client_id))
        finally:
            self.active -= 1
            conn.closed.set()
            if script_task is not None:
                script_task.cancel()
                with contextlib.suppress(BaseException):
                    await script_task
        return ws


def standard_world(server: HubServer) -> None:
    """Two hosts with a VM each."""
    server.hosts = [host_record(HOST_A, "mac-mini-01.local", description="build farm"),
                    host_record(HOST_B, "mac-studio-02.local", state="unhealthy")]
    server.machines = [vm_record("vm-1", HOST_A, "ci-runner-1"), vm_record("vm-2", HOST_B, "ci-runner-2", "stopped")]
