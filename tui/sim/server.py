"""The simulated Events Hub: an aiohttp server that speaks the real server's protocol over a :class:`World`.

Every endpoint is served under ``/api/v1/...`` and, like the real server, also without the ``v1``. The REST
side lives in :mod:`.rest`; this module holds the WebSocket side, publishing, and the hub's tick.

One loop ticks every :data:`FLUSH_INTERVAL`: it steps the world by the time that passed (times ``speed``),
adds ``rate`` load frames a second from a pre-encoded pool, and wakes every client's sender, which sends its
whole queue: a flush. Tests use the hooks documented on :class:`Simulator` (``drop_all``, ``stall_pongs``,
``broadcast_raw``, ``emit``, ``hub_running``, ``frozen``, ``on_client_frame``, and the records ``connections``,
``unsubscribe_calls``, ``sent_counts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import WSMsgType, web

from .delivery import FLUSH_INTERVAL, QUEUE_LIMIT, REORDER_WINDOW, Reorderer, SimClient
from .frames import FramePool, IdSource, encode_frame
from .rest import API_PREFIX, LOGIN_PATHS, RestApi, diagnostics_response
from .wire import CHANNELS, CONFIRMATION, HANDLED, Stamp, header_error, json_error, parse_channels
from .world import World

__all__ = ["FLUSH_INTERVAL", "QUEUE_LIMIT", "Simulator", "serve", "start"]

HEARTBEAT = 30.0
#: how long closing a WebSocket waits for the client's close frame (when a test asks for a close frame)
CLOSE_TIMEOUT = 3.0
DEFAULT_USER = "admin@example.com"
#: the longest stretch of real time one tick may simulate (after the process was stopped, say)
MAX_STEP = 1.0
#: how many pre-encoded frames the load generator cycles through
LOAD_POOL_SIZE = 4096
#: world events after which the load pool is rebuilt, so load frames name live hosts and VMs
_STRUCTURE_MESSAGES = frozenset({"HOST_ADDED", "HOST_REMOVED", "HOST_VM_ADDED", "HOST_VM_REMOVED"})


class Simulator(RestApi):
    """The simulated hub. Build it, then serve ``sim.app`` (see :func:`start`).

    Options: ``reorder`` (default on: orchestrator frames reach the queues after a random delay of up to
    ``reorder_window`` seconds, so frames built close together can arrive swapped; their timestamps keep the
    build order), ``frozen`` (the world makes no events by itself; also ``sim.world.frozen``), ``speed``
    (simulated seconds per real second), ``api_key`` (``"KEY:SECRET"``, or its base64 form, which clients must
    send base64-encoded), ``one_connection_per_ip`` (answer 409 to a second connection from an IP, which the
    real server documents but never does), ``on_client_frame`` (a function called with the client's id and the
    text of every frame a client sends: a test's record).

    Test hooks: ``hub_running`` (``False``: subscribe answers 503), ``stall_pongs`` (``True``: app-level
    pings go unanswered), ``hold`` (``True``: no flush, queues fill), :meth:`drop_all`, :meth:`broadcast_raw`, :meth:`emit`, ``rate`` (load, frames a
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
        reorder: bool = True,
        reorder_window: float = REORDER_WINDOW,
        frozen: bool = False,
        speed: float = 1.0,
        on_client_frame: Callable[[str, str], Any] | None = None,
    ) -> None:
        self.seed = seed if seed is not None else random.SystemRandom().randrange(1, 100_000)
        self.token = token or secrets.token_urlsafe(32)
        self.api_key = api_key
        self.user = user
        self.password = password or secrets.token_urlsafe(12)
        self.rate = rate
        self.speed = speed
        self.one_connection_per_ip = one_connection_per_ip
        self.world = World(hosts=hosts, vms=vms, seed=self.seed, epoch=time.time(), frozen=frozen)
        self.hub_running = True
        self.stall_pongs = False
        #: True: the hub does not flush, so queues fill as they would before a client's first flush
        self.hold = False
        #: called with (client id, text) for every frame a client sends, before the hub answers it (a test's record)
        self.on_client_frame = on_client_frame
        self.clients: dict[str, SimClient] = {}
        self.connections: list[tuple[list[str], list[str]]] = []
        self.unsubscribe_calls: list[tuple[str, list[str]]] = []
        self.sent_counts: dict[str, int] = {}
        self.url: str | None = None
        self.started_at = time.time()
        self._ids = IdSource()
        self._stamp = Stamp()
        self._reorder = Reorderer(self._publish, enabled=reorder, window=reorder_window)
        self._load_pool: FramePool | None = None
        self._load_carry = 0.0
        self.app = self._build_app()

    @property
    def reorder(self) -> bool:
        return self._reorder.enabled

    @reorder.setter
    def reorder(self, value: bool) -> None:
        self._reorder.enabled = value

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth_middleware])
        routes = [("GET", "/ws/subscribe", self._subscribe), *self.rest_routes()]
        for method, path, handler in routes:
            for prefix in (f"{API_PREFIX}/v1", API_PREFIX):
                app.router.add_route(method, prefix + path, handler)
        app.cleanup_ctx.append(self._hub_loop_context)
        app.on_shutdown.append(self._close_all)
        return app

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if request.match_info.http_exception is not None or request.path in LOGIN_PATHS:
            return await handler(request)
        refusal = self.refusal(request)
        if refusal is not None:
            return refusal
        return await handler(request)

    # ------------------------------------------------------------------ WebSocket

    async def _subscribe(self, request: web.Request) -> web.StreamResponse:
        if not self.hub_running:
            return diagnostics_response(503, "EventEmitter service is not available", "HandleWebSocketConnection")
        ip = request.remote or ""
        if self.one_connection_per_ip and any(client.ip == ip for client in self.clients.values()):
            return diagnostics_response(409, f"IP address {ip} already has an active WebSocket connection",
                                        "HandleWebSocketConnection")
        raw = request.query.get("event_types", "")
        asked = [name for name in raw.split(",") if name.strip()]
        subscriptions, _ = parse_channels(raw.split(","))
        confirmed = subscriptions if "global" in subscriptions else [*subscriptions, "global"]
        ws = web.WebSocketResponse(heartbeat=HEARTBEAT, compress=False, max_msg_size=1 << 16, timeout=CLOSE_TIMEOUT)
        if not ws.can_prepare(request).ok:
            return diagnostics_response(400, "Failed to upgrade connection: websocket: the client is not using the "
                                        "websocket protocol: 'upgrade' token not found in 'Connection' header",
                                        "HandleWebSocketConnection")
        client = SimClient(id=str(uuid.uuid4()), ip=ip, username=self.user, ws=ws, transport=request.transport,
                           subscriptions=list(dict.fromkeys(confirmed)))
        # queued like any frame: it goes out with the first flush, and a full queue can evict it
        client.enqueue(self._frame("global", CONFIRMATION, {"client_id": client.id, "subscriptions": confirmed}))
        self.clients[client.id] = client  # before the upgrade, so a second connection from this IP sees it
        self.sent_counts[client.id] = 0
        sender = None
        try:
            await ws.prepare(request)
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
        """Route one client frame as the hub does: by its (case-sensitive) ``event_type`` to the channel's
        handler (``health`` answers a ping, ``system`` a ``client-id``), or an error frame."""
        if self.on_client_frame is not None:
            self.on_client_frame(client.id, text)
        try:
            frame = json.loads(text)
        except ValueError:
            client.enqueue(self._frame("global", "error", {"error": json_error(text)}))
            return
        frame = {} if frame is None else frame  # Go reads null into an empty header
        if not isinstance(frame, dict) or not all(isinstance(frame.get(key, ""), str) for key in ("event_type", "id")):
            client.enqueue(self._frame("global", "error", {"error": header_error(frame)}))
            return
        event_type = frame.get("event_type", "")
        if event_type not in CHANNELS:
            client.enqueue(self._frame("global", "error", {"error": f"invalid message type {event_type}"}))
            return
        ref_id = frame.get("id") or self._ids()
        message = frame.get("message")
        if event_type not in HANDLED:
            client.enqueue(self._frame("global", "error", {"error": f"no handlers registered for type {event_type}"},
                                       ref_id=ref_id, client_id=client.id))
        elif event_type == "health" and message == "ping":
            client.last_ping_at = time.time()
            if not self.stall_pongs:
                client.enqueue(self._frame("health", "pong", ref_id=ref_id, client_id=client.id))
                client.last_pong_at = time.time()
        elif event_type == "system" and isinstance(message, str) and message.lower() == "client-id":
            client.enqueue(self._frame("system", "client-id", {"client-id": client.id}, ref_id=ref_id,
                                       client_id=client.id))

    async def _send_loop(self, client: SimClient) -> None:
        """Send the client's queue each time the hub ticks; stop when the connection is gone."""
        ws = client.ws
        while True:
            await client.wake.wait()
            client.wake.clear()
            batch = client.queue
            client.queue = type(batch)(maxlen=QUEUE_LIMIT)
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

    def _frame(self, channel: str, message: str, body: Any = None, *, ref_id: str | None = None,
               client_id: str | None = None, event_id: str | None = None) -> str:
        """A frame built now: a fresh id, this instant as its timestamp, the newline the server ends it with."""
        return encode_frame(event_id or self._ids(), channel, message, body, timestamp=self._stamp(), ref_id=ref_id,
                            client_id=client_id, newline=True)

    def _publish(self, channel: str, frame: str) -> None:
        for client in self.clients.values():
            if channel in client.subscriptions:
                client.enqueue(frame)

    def _send(self, channel: str, frame: str) -> None:
        """Orchestrator frames take the long way round (see :class:`~.delivery.Reorderer`); others go straight."""
        if channel == "orchestrator":
            self._reorder(channel, frame)
        else:
            self._publish(channel, frame)

    def emit(self, channel: str, message: str, body: Any = None) -> str:
        """Send one event (fresh id, current time) to the subscribers of ``channel``; returns its id. An
        ``orchestrator`` event is delivered like the world's own, so it can be overtaken when ``reorder`` is on."""
        event_id = self._ids()
        self._send(channel, self._frame(channel, message, body, event_id=event_id))
        return event_id

    def broadcast_raw(self, data: str | bytes) -> None:
        """Queue ``data`` as it is (text, or binary for bytes) for every client, whatever it subscribed to."""
        for client in self.clients.values():
            client.enqueue(data)

    async def drop_all(self, code: int | None = None) -> None:
        """Close every client: by aborting the TCP connection, as the server drops one (``None``), or, when a
        test asks for one, with a close frame of ``code``."""
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
        for channel, message, body in self.world.step(elapsed * self.speed):
            self._send(channel, self._frame(channel, message, body))
            rebuild = rebuild or message in _STRUCTURE_MESSAGES
        if self.rate > 0 and self.clients:
            self._add_load(elapsed, rebuild)
        if self.hold:
            return
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
        for channel, frame in self._load_pool.take(count, self._ids, self._stamp()):
            by_channel.setdefault(channel, []).append(frame)
        for channel, frames in by_channel.items():
            for client in self.clients.values():
                if channel in client.subscriptions:
                    client.enqueue_many(frames)

    async def _close_all(self, app: web.Application) -> None:
        """Shutting down, the server closes each socket without a close frame; what is still queued is lost."""
        self._reorder.cancel()
        for client in list(self.clients.values()):
            client.queue.clear()
            if client.transport is not None:
                client.transport.close()


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
    **options: Any,
) -> None:
    """Run a simulator until cancelled, after printing where it is and how to connect to it. ``options``:
    more :class:`Simulator` options (``reorder``, ``frozen``, ``api_key``, ``speed``)."""
    sim = Simulator(token=token, hosts=hosts, vms=vms, rate=rate, seed=seed,
                    one_connection_per_ip=one_connection_per_ip, **options)
    runner, url = await start(host, port, simulator=sim)
    try:
        vm_count = len(sim.world.machines_json())
        load = f", {rate:g} extra events/s" if rate > 0 else ""
        print(f"hubtop simulator on {url}  ({hosts} hosts, {vm_count} VMs, seed {sim.seed}{load})")
        print(f"token: {sim.token}")
        print(f"login: {sim.user} / {sim.password}")
        print(f"try:   HUBTOP_TOKEN={sim.token} hubtop --url {url}")
        print(f"power: curl -X PUT -H 'Authorization: Bearer {sim.token}' {url}/api/v1/orchestrator/machines/NAME/start")
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
