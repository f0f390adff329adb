"""The simulated Events Hub: an aiohttp server that speaks the real server's protocol over a :class:`World`.

Endpoints (under ``/api``): ``POST /v1/auth/token``, ``GET /v1/ws/subscribe`` (WebSocket),
``POST /v1/ws/unsubscribe``, ``GET /v1/orchestrator/hosts``, ``GET /v1/orchestrator/machines``,
``GET /v1/ws/stats``, ``GET /v1/ws/clients``. Like the Go hub, every client has a queue of at most
:data:`QUEUE_LIMIT` frames (oldest dropped) that is flushed every :data:`FLUSH_INTERVAL` seconds, so
frames arrive in bursts.

One loop ticks every :data:`FLUSH_INTERVAL`: it steps the world by the time that passed, adds
``rate`` load frames a second from a pre-encoded pool, and wakes every client's sender. Tests use the
hooks documented on :class:`Simulator` (``drop_all``, ``stall_pongs``, ``broadcast_raw``, ``emit``,
``hub_running``, and the records ``connections``, ``unsubscribe_calls``, ``sent_counts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import random
import secrets
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from ..hub.models import CHANNELS
from .frames import FramePool, IdSource, encode_frame, now_rfc3339, rfc3339_nano
from .world import World

API_PREFIX = "/api"
LOGIN_PATH = f"{API_PREFIX}/v1/auth/token"
QUEUE_LIMIT = 2048
FLUSH_INTERVAL = 0.1
HEARTBEAT = 30.0
#: how long closing a WebSocket waits for the client's close frame
CLOSE_TIMEOUT = 3.0
TOKEN_LIFETIME = 24 * 3600
DEFAULT_USER = "admin@example.com"
#: the longest stretch of time one tick may simulate (after the process was stopped, say)
MAX_STEP = 1.0
#: how many pre-encoded frames the load generator cycles through
LOAD_POOL_SIZE = 4096
#: world events after which the load pool is rebuilt, so load frames name live hosts and VMs
_STRUCTURE_MESSAGES = frozenset({"HOST_ADDED", "HOST_REMOVED", "HOST_VM_ADDED", "HOST_VM_REMOVED"})

_dumps = functools.partial(json.dumps, separators=(",", ":"))


@dataclass(eq=False)
class SimClient:
    """One live WebSocket subscriber."""

    id: str
    ip: str
    username: str
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    subscriptions: list[str]
    connected_at: float = field(default_factory=time.time)
    last_ping_at: float | None = None
    last_pong_at: float | None = None
    queue: deque[str | bytes] = field(default_factory=lambda: deque(maxlen=QUEUE_LIMIT))
    #: frames that fell off the full queue
    dropped: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: False until the confirmation went out: nothing is queued before it, so it is always the first frame
    live: bool = False

    def enqueue(self, frame: str | bytes) -> None:
        if len(self.queue) == QUEUE_LIMIT:
            self.dropped += 1
        self.queue.append(frame)

    def enqueue_many(self, frames: list[str]) -> None:
        overflow = len(self.queue) + len(frames) - QUEUE_LIMIT
        if overflow > 0:
            self.dropped += overflow
        self.queue.extend(frames)


def _error(status: int, message: str) -> web.Response:
    """The server's error JSON."""
    return web.json_response({"code": status, "message": message, "stack": []}, status=status, dumps=_dumps)


async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the 400 answer the hub gives for anything else."""
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "Invalid request body: not JSON")
    if not isinstance(body, dict):
        return _error(400, "Invalid request body: expected an object")
    return body


def _parse_channels(names: list[str]) -> list[str]:
    """Valid channel names, lower-cased, in the order given (as the Go server keeps them)."""
    wanted = (name.strip().lower() for name in names)
    return [name for name in wanted if name in CHANNELS]


def _go_duration(seconds: float) -> str:
    """Roughly Go's ``time.Duration.String``: ``1h2m3s``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


class Simulator:
    """The simulated hub. Build it, then serve ``sim.app`` (see :func:`start`).

    Test hooks: ``hub_running`` (``False``: subscribe answers 503), ``stall_pongs`` (``True``: app-level
    pings go unanswered), :meth:`drop_all`, :meth:`broadcast_raw`, :meth:`emit`, ``rate`` (load, frames a
    second, may be changed while running). Records: ``clients`` (live, by id), ``connections`` (per
    accepted subscribe: the channel names asked for, the subscriptions confirmed), ``unsubscribe_calls``
    ((client id, event types) per unsubscribe request), ``sent_counts`` (frames sent, by client id).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        hosts: int = 12,
        vms: int = 8,
        rate: float = 0.0,
        seed: int | None = None,
        one_connection_per_ip: bool = False,
        api_key: str | None = None,
        user: str = DEFAULT_USER,
        password: str | None = None,
    ) -> None:
        self.seed = seed if seed is not None else random.SystemRandom().randrange(1, 100_000)
        self.token = token or secrets.token_urlsafe(32)
        self.api_key = api_key
        self.user = user
        self.password = password or secrets.token_urlsafe(12)
        self.rate = rate
        self.one_connection_per_ip = one_connection_per_ip
        self.world = World(hosts=hosts, vms=vms, seed=self.seed, epoch=time.time())
        self.hub_running = True
        self.stall_pongs = False
        self.clients: dict[str, SimClient] = {}
        self.connections: list[tuple[list[str], list[str]]] = []
        self.unsubscribe_calls: list[tuple[str, list[str]]] = []
        self.sent_counts: dict[str, int] = {}
        self.url: str | None = None
        self.started_at = time.time()
        self._ids = IdSource()
        self._load_pool: FramePool | None = None
        self._load_carry = 0.0
        self.app = self._build_app()

    # ------------------------------------------------------------------ app

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth_middleware])
        app.add_routes([
            web.post(LOGIN_PATH, self._login),
            web.get(f"{API_PREFIX}/v1/ws/subscribe", self._subscribe),
            web.post(f"{API_PREFIX}/v1/ws/unsubscribe", self._unsubscribe),
            web.get(f"{API_PREFIX}/v1/ws/stats", self._stats),
            web.get(f"{API_PREFIX}/v1/ws/clients", self._clients),
            web.get(f"{API_PREFIX}/v1/orchestrator/hosts", self._hosts),
            web.get(f"{API_PREFIX}/v1/orchestrator/machines", self._machines),
        ])
        app.cleanup_ctx.append(self._hub_loop_context)
        app.on_shutdown.append(self._close_all)
        return app

    def _is_authorized(self, request: web.Request) -> bool:
        """Bearer token, ``X-Api-Key``, or the ``access_token`` / ``authorization`` query parameter."""
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer " and self._is_token(header[7:]):
            return True
        key = request.headers.get("X-Api-Key")
        if key and self.api_key and hmac.compare_digest(key.encode(), self.api_key.encode()):
            return True
        for name in ("access_token", "authorization"):
            value = request.query.get(name, "")
            if value[:7].lower() == "bearer ":
                value = value[7:]
            if value and self._is_token(value):
                return True
        return False

    def _is_token(self, value: str) -> bool:
        return hmac.compare_digest(value.strip().encode(), self.token.encode())

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        unknown_route = request.match_info.http_exception is not None
        if unknown_route or request.path == LOGIN_PATH or self._is_authorized(request):
            return await handler(request)
        return _error(401, "authentication required")

    # ------------------------------------------------------------------ REST

    async def _login(self, request: web.Request) -> web.Response:
        body = await _json_object(request)
        if isinstance(body, web.Response):
            return body
        if "api_key" in body:
            key = body["api_key"]
            valid = bool(isinstance(key, str) and self.api_key and hmac.compare_digest(key.encode(),
                                                                                          self.api_key.encode()))
        else:
            name = body.get("email") or body.get("username")
            password = body.get("password")
            if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
                return _error(400, "Invalid request body: email or username and password are required")
            valid = name in (self.user, self.user.split("@")[0]) and hmac.compare_digest(
                password.encode(), self.password.encode())
        if not valid:
            return _error(401, "Invalid credentials")
        return web.json_response(
            {"email": self.user, "token": self.token, "expires_at": int(time.time()) + TOKEN_LIFETIME}, dumps=_dumps
        )

    async def _hosts(self, request: web.Request) -> web.Response:
        return web.json_response(self.world.hosts_json(), dumps=_dumps)

    async def _machines(self, request: web.Request) -> web.Response:
        return web.json_response(self.world.machines_json(), dumps=_dumps)

    async def _stats(self, request: web.Request) -> web.Response:
        type_stats: dict[str, int] = {}
        for client in self.clients.values():
            for channel in dict.fromkeys(client.subscriptions):
                type_stats[channel] = type_stats.get(channel, 0) + 1
        return web.json_response({
            "total_clients": len(self.clients),
            "total_subscriptions": sum(type_stats.values()),
            "type_stats": type_stats,
            "messages_sent": sum(self.sent_counts.values()),
            "start_time": rfc3339_nano(int(self.started_at * 1e9)),
            "uptime": _go_duration(time.time() - self.started_at),
        }, dumps=_dumps)

    async def _clients(self, request: web.Request) -> web.Response:
        def stamp(moment: float | None) -> str:
            return rfc3339_nano(int((moment or 0.0) * 1e9))

        return web.json_response([
            {
                "id": client.id,
                "user_id": client.username,
                "username": client.username,
                "connected_at": stamp(client.connected_at),
                "last_ping_at": stamp(client.last_ping_at),
                "last_pong_at": stamp(client.last_pong_at),
                "event_subscriptions": list(client.subscriptions),
                "is_alive": not client.ws.closed,
                "queue_depth": len(client.queue),
            }
            for client in self.clients.values()
        ], dumps=_dumps)

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        """Mirror of the Go handler, including its answers: 200 empty, 200 with a note, or 400."""
        body = await _json_object(request)
        if isinstance(body, web.Response):
            return body
        client_id = body.get("client_id")
        names = body.get("event_types")
        if not isinstance(client_id, str) or not isinstance(names, list):
            return _error(400, "Invalid request body: client_id and event_types are required")
        names = [str(name) for name in names]
        self.unsubscribe_calls.append((client_id, names))
        if not names:
            return _error(400, "Invalid event_types body parameter")
        channels = _parse_channels(names)
        if not channels:
            return _error(400, "No valid event types to unsubscribe: invalid event type(s): " + ", ".join(names))
        client = self.clients.get(client_id)
        if client is None:
            return _error(400, f"client {client_id} does not exist")
        removed: list[str] = []
        problem = ""
        for channel in channels:
            if channel == "global":
                continue
            if channel in client.subscriptions:
                client.subscriptions = [name for name in client.subscriptions if name != channel]
                removed.append(channel)
            else:
                problem = f"not subscribed to event type {channel}"
        if "global" in channels:
            problem = "cannot unsubscribe from global event type"
        if not removed:
            return _error(400, problem)
        if problem:
            return web.json_response(
                {"code": 200, "message": f"{problem} unsubscribed from: {', '.join(removed)}"}, dumps=_dumps
            )
        return web.Response(status=200)

    # ------------------------------------------------------------------ WebSocket

    async def _subscribe(self, request: web.Request) -> web.StreamResponse:
        if not self.hub_running:
            return _error(503, "event emitter is not running")
        ip = request.remote or ""
        if self.one_connection_per_ip and any(client.ip == ip for client in self.clients.values()):
            return _error(409, f"IP address {ip} already has an active WebSocket connection")
        asked = [name for name in request.query.get("event_types", "").split(",") if name.strip()]
        subscriptions = _parse_channels(asked)
        confirmed = subscriptions if "global" in subscriptions else [*subscriptions, "global"]
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT, compress=False, max_msg_size=1 << 16, timeout=CLOSE_TIMEOUT)
        client = SimClient(
            id=str(uuid.uuid4()), ip=ip, username=self.user, ws=ws, transport=request.transport,
            subscriptions=list(confirmed),
        )
        confirmation = self._frame("global", "WebSocket connection established subscribed to global by default",
                                   {"client_id": client.id, "subscriptions": confirmed})
        self.clients[client.id] = client  # before the upgrade, so a second connection from this IP sees it
        self.sent_counts[client.id] = 0
        sender = None
        try:
            await ws.prepare(request)
            await ws.send_str(confirmation)
            self.sent_counts[client.id] += 1
            client.live = True
            self.connections.append((asked, list(confirmed)))
            sender = asyncio.create_task(self._send_loop(client))
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._on_client_frame(client, message.data)
                elif message.type == WSMsgType.BINARY:
                    self._on_client_frame(client, message.data.decode("utf-8", "replace"))
        finally:
            self.clients.pop(client.id, None)
            if sender is not None:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
        return ws

    def _on_client_frame(self, client: SimClient, text: str) -> None:
        """Route one client frame: health ping, system client-id, or an error frame."""
        try:
            frame = json.loads(text)
        except ValueError:
            self._reply_error(client, "", "invalid message format: not JSON")
            return
        if not isinstance(frame, dict):
            self._reply_error(client, "", "invalid message format: expected an object")
            return
        ref_id = frame.get("id") if isinstance(frame.get("id"), str) else ""
        event_type = str(frame.get("event_type", "")).strip().lower()
        message = frame.get("message")
        if event_type == "health" and message == "ping":
            client.last_ping_at = time.time()
            if not self.stall_pongs:
                client.enqueue(encode_frame(self._ids(), "health", "pong", timestamp=now_rfc3339(), ref_id=ref_id,
                                            client_id=client.id))
                client.last_pong_at = time.time()
        elif event_type == "system" and message == "client-id":
            client.enqueue(encode_frame(self._ids(), "system", "client-id", {"client-id": client.id},
                                        timestamp=now_rfc3339(), client_id=client.id))
        elif event_type in ("health", "system"):
            self._reply_error(client, ref_id, f"unknown {event_type} message {message!r}")
        else:
            self._reply_error(client, ref_id, f"no handlers registered for type {event_type or '(none)'}")

    def _reply_error(self, client: SimClient, ref_id: str, error: str) -> None:
        client.enqueue(encode_frame(self._ids(), "global", "error", {"error": error}, timestamp=now_rfc3339(),
                                    ref_id=ref_id, client_id=client.id))

    async def _send_loop(self, client: SimClient) -> None:
        """Send the client's queue each time the hub ticks; stop when the connection is gone."""
        ws = client.ws
        while True:
            await client.wake.wait()
            client.wake.clear()
            batch = client.queue
            client.queue = deque(maxlen=QUEUE_LIMIT)
            sent = 0
            try:
                for frame in batch:
                    if isinstance(frame, str):
                        await ws.send_str(frame)
                    else:
                        await ws.send_bytes(frame)
                    sent += 1
            except (ConnectionError, RuntimeError):
                return  # the reader notices the closed connection and unregisters the client
            finally:
                self.sent_counts[client.id] += sent

    # ------------------------------------------------------------------ publishing

    def _frame(self, channel: str, message: str, body: Any = None) -> str:
        return encode_frame(self._ids(), channel, message, body, timestamp=now_rfc3339())

    def _publish(self, channel: str, frame: str) -> None:
        for client in self.clients.values():
            if client.live and channel in client.subscriptions:
                client.enqueue(frame)

    def emit(self, channel: str, message: str, body: Any = None) -> str:
        """Send one event (fresh id, current time) to the subscribers of ``channel``; returns its id."""
        event_id = self._ids()
        self._publish(channel, encode_frame(event_id, channel, message, body, timestamp=now_rfc3339()))
        return event_id

    def broadcast_raw(self, data: str | bytes) -> None:
        """Queue ``data`` as it is (text, or binary for bytes) for every client, whatever it subscribed to."""
        for client in self.clients.values():
            if client.live:
                client.enqueue(data)

    async def drop_all(self, code: int | None = None) -> None:
        """Close every client: with a close frame of ``code``, or (``None``) by aborting the TCP connection."""
        clients = list(self.clients.values())
        if code is None:
            for client in clients:
                if client.transport is not None:
                    client.transport.abort()
            return
        await asyncio.gather(*(client.ws.close(code=code) for client in clients), return_exceptions=True)

    # ------------------------------------------------------------------ the hub tick

    async def _hub_loop_context(self, app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(self._hub_loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _hub_loop(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        deadline = last + FLUSH_INTERVAL
        while True:
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            now = loop.time()
            deadline = max(deadline + FLUSH_INTERVAL, now + FLUSH_INTERVAL / 2)
            self._tick(min(MAX_STEP, now - last))
            last = now

    def _tick(self, elapsed: float) -> None:
        """Step the world, add the load, wake every client that has something to send."""
        rebuild = False
        for channel, message, body in self.world.step(elapsed):
            self._publish(channel, self._frame(channel, message, body))
            rebuild = rebuild or message in _STRUCTURE_MESSAGES
        if self.rate > 0 and self.clients:
            self._add_load(elapsed, rebuild)
        for client in self.clients.values():
            if client.queue:
                client.wake.set()

    def _add_load(self, elapsed: float, rebuild: bool) -> None:
        due = self.rate * elapsed + self._load_carry
        count = int(due)
        self._load_carry = due - count
        if self._load_pool is None or rebuild:
            self._load_pool = FramePool(self.world.flood_events(LOAD_POOL_SIZE))
        by_channel: dict[str, list[str]] = {}
        for channel, frame in self._load_pool.take(count, self._ids, now_rfc3339()):
            by_channel.setdefault(channel, []).append(frame)
        for channel, frames in by_channel.items():
            for client in self.clients.values():
                if client.live and channel in client.subscriptions:
                    client.enqueue_many(frames)

    async def _close_all(self, app: web.Application) -> None:
        await asyncio.gather(
            *(client.ws.close(code=1001, message=b"server shutting down") for client in list(self.clients.values())),
            return_exceptions=True,
        )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def start(
    host: str = "127.0.0.1", port: int = 0, *, simulator: Simulator | None = None, **options: Any
) -> tuple[web.AppRunner, str]:
    """Serve ``simulator`` (or a new ``Simulator(**options)``) on ``host``:``port`` (0: a free port).

    Returns the runner (``await runner.cleanup()`` to stop) and the base URL, e.g. ``http://127.0.0.1:5680``;
    the URL is also set on the simulator as ``url``.
    """
    if simulator is not None and options:
        raise TypeError("give either a simulator or options for a new one, not both")
    sim = simulator or Simulator(**options)
    runner = web.AppRunner(sim.app, handle_signals=False, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    sim.url = f"http://{_url_host(host)}:{bound_port}"
    return runner, sim.url


async def serve(
    host: str = "127.0.0.1",
    port: int = 5680,
    token: str | None = None,
    hosts: int = 12,
    vms: int = 8,
    rate: float = 0.0,
    seed: int | None = None,
    one_connection_per_ip: bool = False,
    print: Callable[[str], Any] = print,
) -> None:
    """Run a simulator until cancelled, after printing where it is and how to connect to it."""
    sim = Simulator(token=token, hosts=hosts, vms=vms, rate=rate, seed=seed,
                    one_connection_per_ip=one_connection_per_ip)
    runner, url = await start(host, port, simulator=sim)
    try:
        vm_count = len(sim.world.machines_json())
        load = f", {rate:g} extra events/s" if rate > 0 else ""
        print(f"hubtop simulator on {url}  ({hosts} hosts, {vm_count} VMs, seed {sim.seed}{load})")
        print(f"token: {sim.token}")
        print(f"login: {sim.user} / {sim.password}")
        print(f"try:   HUBTOP_TOKEN={sim.token} hubtop --url {url}")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
