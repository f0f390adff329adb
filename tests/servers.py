"""Scripted servers on 127.0.0.1 for the REST and HubClient tests.

- :class:`HubServer`: one aiohttp app that speaks the Events Hub protocol closely enough for hubtop: login,
  hosts, machines, unsubscribe, and the WebSocket subscribe endpoint, with knobs for what the server answers
  (statuses at connect, pongs, confirmation, unsubscribe answers, REST overrides) and records of what it saw
  (requests, logins, unsubscribes, connection attempts, how many sockets were open at once).
- :class:`RawHub`: a ``websockets`` server for frame-level scripts; it answers the two snapshot GETs itself
  (``process_request``), so a :class:`~tui.transport.client.HubClient` works against it unchanged.
- :class:`SilentServer`: accepts TCP connections and never answers (timeouts).
- :class:`ServerThread`: any of these in its own thread and event loop, for a test that blocks its own loop
  (a busy UI) or calls a synchronous entry point (``asyncio.run`` inside the CLI).
- :class:`SimRecorder`: records every REST call and every client frame a :class:`~tui.sim.Simulator` sees.
- :func:`frame`: a server frame (the Go ``EventMessage``) as JSON text.
- client side: :func:`fast_settings`, :class:`Collector` (a recording sink), :func:`running` (a client task).

Every server binds port 0 on 127.0.0.1 and is an async context manager.
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
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aiohttp import WSMsgType, web
from websockets.asyncio.server import ServerConnection, serve

from tui.protocol.errors import HubError
from tui.protocol.parse import Event, Malformed, Note
from tui.settings import SecretStr, Settings
from tui.transport.client import HubClient, Snapshot, Status

ALL_CHANNELS = (
    "global", "orchestrator", "health", "pdfm", "system", "stats", "system_logs", "reverse_proxy",
    "catalog_cache", "job_manager", "auth",
)

_ids = itertools.count(1)


def frame_id() -> str:
    """A fresh 64-hex-digit id, like the server's."""
    return f"{next(_ids):064x}"


def go_timestamp(ts: float | None = None) -> str:
    """RFC 3339 UTC with nanoseconds, as Go writes it."""
    ts = time.time() if ts is None else ts
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{base}.{int((ts % 1) * 1e9):09d}Z"


def envelope(channel: str, message: str, body: Any = None, *, id: str | None = None, **extra: Any) -> dict:
    msg: dict[str, Any] = {"id": id or frame_id(), "event_type": channel, "timestamp": go_timestamp(),
                           "message": message}
    if body is not None:
        msg["body"] = body
    msg.update(extra)
    return msg


def frame(channel: str, message: str, body: Any = None, *, id: str | None = None, **extra: Any) -> str:
    """A server frame as JSON text."""
    return json.dumps(envelope(channel, message, body, id=id, **extra))


def confirmation(client_id: str, subscriptions: list[str]) -> str:
    return frame("global", "WebSocket connection established subscribed to global by default",
                 {"client_id": client_id, "subscriptions": subscriptions})


def host_record(host_id: str, hostname: str, state: str = "healthy", description: str = "", **extra: Any) -> dict:
    rec = {"id": host_id, "enabled": True, "host": f"http://{hostname}:80/api", "architecture": "arm64",
           "description": description, "tags": None, "state": state, "devops_version": "0.9.12",
           "resources": {"logical_cpu_count": 8, "memory_size": 17179869184, "total_apple_vms": 2},
           "has_websocket_events": True,
           "detailed_resources": {"total": {"logical_cpu_count": 8, "memory_size": 17179869184}}}
    rec.update(extra)
    return rec


def vm_record(vm_id: str, host_id: str, name: str, state: str = "running", os: str = "macosx") -> dict:
    """A VM record in the server's capitalised form."""
    return {"ID": vm_id, "Name": name, "State": state, "OS": os, "Type": "VM", "Uptime": "0",
            "Description": "", "Home": f"/Users/x/{name}.macvm", "Hardware": {"cpu": {"cpus": 4}},
            "host_id": host_id, "host_name": "", "host_state": "healthy", "internal_ip_address": "10.0.0.2"}


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it is truthy; fail the test (AssertionError) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------------------------------------ aiohttp


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

    def __init__(self, *, token: str | None = "tok-initial", header_api_keys: tuple[str, ...] = (),
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


# ------------------------------------------------------------------------------------------------ websockets


RawScript = Callable[[ServerConnection], Awaitable[Any]]


class RawHub:
    """A ``websockets`` server for frame-level control, plus the two snapshot listings.

    Every WebSocket connection gets the confirmation (for the channels in its query) and then runs
    ``script(connection)``; when the script returns, the connection is left open until the client goes.
    ``GET /api/v1/orchestrator/hosts`` and ``.../machines`` are answered with ``hosts`` / ``machines``
    (counted in ``snapshots``). Records ``paths`` (request paths of upgrades) and ``active`` / ``max_active``.
    """

    def __init__(self, script: RawScript | None = None, **serve_options: Any) -> None:
        self.script = script
        #: extra options for ``websockets.serve`` (e.g. ``ping_interval``/``ping_timeout`` for protocol pings)
        self.serve_options = serve_options
        self.hosts: list[Any] = []
        self.machines: list[Any] = []
        self.snapshots = 0
        self.paths: list[str] = []
        self.connections: list[ServerConnection] = []
        self.active = 0
        self.max_active = 0
        self.port = 0
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        path = request.path.split("?")[0]
        if path.endswith("/v1/orchestrator/hosts"):
            self.snapshots += 1
            return connection.respond(HTTPStatus.OK, json.dumps(self.hosts))
        if path.endswith("/v1/orchestrator/machines"):
            return connection.respond(HTTPStatus.OK, json.dumps(self.machines))
        if not path.endswith("/v1/ws/subscribe"):
            return connection.respond(HTTPStatus.NOT_FOUND, "not found")
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        self.paths.append(connection.request.path)
        self.connections.append(connection)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            query = connection.request.path.partition("?")[2]
            asked = []
            for part in query.split("&"):
                key, _, value = part.partition("=")
                if key == "event_types":
                    asked = [c for c in value.lower().split(",") if c]
            subs = [c for c in dict.fromkeys(asked) if c != "global"] + ["global"]
            await connection.send(confirmation(str(uuid.uuid4()), subs))
            if self.script is not None:
                await self.script(connection)
            await connection.wait_closed()
        finally:
            self.active -= 1

    async def __aenter__(self) -> RawHub:
        self._server = await serve(self._handler, "127.0.0.1", 0, process_request=self._process_request,
                                   **{"compression": None, "max_size": None, **self.serve_options})
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close(close_connections=False)
        for conn in self.connections:
            conn.transport.abort()
        await self._server.wait_closed()


# ------------------------------------------------------------------------------------------------ silent


class SilentServer:
    """Accepts TCP connections and never says a word (for timeouts). Counts ``accepted``."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.append(writer)
        with contextlib.suppress(Exception):
            while await reader.read(65536):
                pass

    async def __aenter__(self) -> SilentServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for w in self._writers:
            w.transport.abort()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


# ------------------------------------------------------------------------------------------------ in a thread


class ServerThread:
    """Run an async-context-manager server (``HubServer(...)``, ``RawHub(...)``) in a daemon thread with its own
    event loop. ``with ServerThread(HubServer()) as hub:`` gives the entered server; :meth:`call` runs a
    coroutine function or a plain function on the server's loop and returns its result."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: Any = None
        self._ready: Any = None
        self._error: BaseException | None = None

    def __enter__(self) -> Any:
        import threading

        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="test-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError("the server thread did not start")
        if self._error is not None:
            raise self._error
        return self.server

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        try:
            loop.run_until_complete(self.server.__aenter__())
        except BaseException as exc:  # reported by __enter__
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
        """``fn(*args)`` on the server's loop (awaited when it returns an awaitable); its result."""
        import concurrent.futures
        import inspect

        async def run() -> Any:
            value = fn(*args)
            return await value if inspect.isawaitable(value) else value

        assert self.loop is not None
        future: concurrent.futures.Future = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return future.result(timeout)

    def __exit__(self, *exc: object) -> None:
        if self.loop is None or self.loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self.call(self.server.__aexit__, None, None, None)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


# ------------------------------------------------------------------------------------------------ simulator


class SimRecorder:
    """Records what a :class:`~tui.sim.Simulator` saw: ``requests`` as (method, path, status) for every HTTP
    request (the WebSocket upgrade included, 101 when it upgraded), ``frames`` as (client id, text) for every
    frame a client sent, in the order they happened. Attach before the simulator starts serving."""

    def __init__(self, sim: Any) -> None:
        self.requests: list[tuple[str, str, int]] = []
        self.frames: list[tuple[str, str]] = []

        async def record(request: web.Request, response: web.StreamResponse) -> None:
            # when the answer's headers go out: in order, and a WebSocket as soon as it upgrades (101)
            self.requests.append((request.method, request.path, response.status))

        sim.app.on_response_prepare.append(record)
        on_frame = sim._on_client_frame

        def on_client_frame(client: Any, text: str) -> None:
            self.frames.append((client.id, text))
            on_frame(client, text)

        sim._on_client_frame = on_client_frame

    def subscribe_statuses(self) -> list[int]:
        return [status for _, path, status in self.requests if path.endswith("/v1/ws/subscribe")]


def quiet(sim: Any) -> Any:
    """Freeze the simulator's world (no events of its own; the listings stay as they are), so a test knows
    exactly which frames it sent."""
    sim.world.frozen = True
    return sim


# ------------------------------------------------------------------------------------------------ client side


#: distinctive secrets, so a test can look for them in every message
TOKEN = "tok-initial"
PASSWORD = "pw-S3CR3T-hunter2"
API_KEY = "key-S3CR3T-0xdeadbeef"

HOST_A = "a16c7dfc2e8e79b927f0d8e786c7ac5fce172d800be06c15cb789eabae1550de"
HOST_B = "b27d8e9f00112233445566778899aa4f5e6d7c8b9a0b1c2d3e4f5061728394a"


def fast_settings(url: str, **kw: Any) -> Settings:
    """Settings with small timeouts and backoff so a client test runs in a fraction of a second."""
    values: dict[str, Any] = dict(url=url, token=SecretStr(TOKEN), timeout=1.0, ping_interval=30.0,
                                  pong_timeout=0.5, backoff_base=0.02, backoff_cap=0.1)
    values.update(kw)
    return Settings(**values)


class Collector:
    """A HubClient sink that keeps every item, with typed views and an async wait."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def __call__(self, item: Any) -> None:
        self.items.append(item)

    def of(self, cls: type) -> list[Any]:
        return [i for i in self.items if isinstance(i, cls)]

    @property
    def events(self) -> list[Event]:
        return self.of(Event)

    @property
    def malformed(self) -> list[Malformed]:
        return self.of(Malformed)

    @property
    def notes(self) -> list[Note]:
        return self.of(Note)

    @property
    def statuses(self) -> list[Status]:
        return self.of(Status)

    @property
    def snapshots(self) -> list[Snapshot]:
        return self.of(Snapshot)

    def states(self) -> list[str]:
        return [s.state for s in self.statuses]

    async def wait(self, predicate: Callable[[Collector], Any], timeout: float = 5.0, what: str = "items") -> Any:
        return await wait_until(lambda: predicate(self), timeout, what)


class Tee:
    """A sink that hands every item to each of ``sinks`` (e.g. a Feed and a Collector)."""

    def __init__(self, *sinks: Callable[[Any], Any]) -> None:
        self.sinks = sinks

    def __call__(self, item: Any) -> None:
        for sink in self.sinks:
            sink(item)


@contextlib.asynccontextmanager
async def running(client: HubClient) -> AsyncIterator[asyncio.Task]:
    """Run ``client.run()`` as a task for the block; stop it (and fail on a hang) afterwards."""
    task = asyncio.create_task(client.run())
    try:
        yield task
    finally:
        await client.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), 5)
        except TimeoutError:
            task.cancel()
            raise AssertionError("the client did not stop within 5 s of stop()") from None
        except (HubError, asyncio.CancelledError):
            pass  # a test that expects these awaits the task itself
        finally:
            with contextlib.suppress(BaseException):
                await client.rest.aclose()


def standard_world(server: HubServer) -> None:
    """Two hosts with a VM each."""
    server.hosts = [host_record(HOST_A, "mac-mini-01.local", description="build farm"),
                    host_record(HOST_B, "mac-studio-02.local", state="unhealthy")]
    server.machines = [vm_record("vm-1", HOST_A, "ci-runner-1"), vm_record("vm-2", HOST_B, "ci-runner-2", "stopped")]

