"""The flood server: a ``websockets`` server in a child process that sends pre-encoded frames as fast as
the socket takes them.

Each WebSocket connection gets the hub's confirmation frame (sent with ``ws.send``), then ``frames`` frames
cycled from ``World(hosts, vms, seed).flood_frames(pool)``. The frames are encoded once, at start, all the
way to WebSocket wire bytes (unmasked server frames), and written to the transport in 1 MiB slices with the
connection's own flow control, so the server spends next to no CPU per frame and the client is what is
measured. The pool (32,768 by default) is larger than the model's de-duplication window (8,192 ids), so
cycling never turns the load into duplicates, and the world's VM state changes form closed cycles, so
repeating the pool keeps the model consistent. Then it closes (``close=True``) or stays open, idle.

With ``rest=True`` it also answers ``GET /api/v1/orchestrator/hosts`` and ``/machines`` with the same
world, so the app's own HubClient (which takes that snapshot) can connect to it. With ``hold=True`` each
connection waits after the confirmation until :meth:`FloodServer.go`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing as mp
import os
import time
import uuid
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, urlsplit

from .common import cpu_seconds

TOKEN = "bench-token"
CHANNELS = "orchestrator,health"


@dataclass
class FloodConfig:
    frames: int  # flood frames per connection, after the confirmation
    hosts: int = 1000
    vms: int = 20
    seed: int = 7
    pool: int = 32_768
    close: bool = True
    hold: bool = False
    rest: bool = False
    chunk: int = 1 << 20
    #: send each frame with ``await ws.send(text)`` instead of pre-encoded wire bytes (slower: the server
    #: then spends ~5 µs of Python per frame and may set the pace)
    send_each: bool = False


def ws_frame(payload: bytes) -> bytes:
    """One unmasked, unfragmented text frame as a server writes it."""
    n = len(payload)
    if n < 126:
        head = bytes((0x81, n))
    elif n < 1 << 16:
        head = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return head + payload


class WirePlan:
    """The pool as one blob of wire bytes, and how to cut ``n`` frames out of it (cycling)."""

    def __init__(self, frames: list[str]) -> None:
        encoded = [ws_frame(f.encode()) for f in frames]
        self.blob = b"".join(encoded)
        self.offsets = list(itertools.accumulate((len(e) for e in encoded), initial=0))
        self.count = len(encoded)
        self.mean_payload = sum(len(f.encode()) for f in frames) / len(frames)

    def _cuts(self, frames: int, chunk: int) -> list[int]:
        """Byte offsets that cut the first ``frames`` frames into pieces of about ``chunk`` bytes, on frame
        boundaries (so another frame, a pong, can go between two pieces)."""
        cuts = [0]
        for i in range(1, frames + 1):
            if self.offsets[i] - cuts[-1] >= chunk or i == frames:
                cuts.append(self.offsets[i])
        return cuts

    def slices(self, n: int, chunk: int):
        view = memoryview(self.blob)
        whole, rest = divmod(n, self.count)
        full = self._cuts(self.count, chunk)
        for _ in range(whole):
            for a, b in zip(full, full[1:], strict=False):
                yield view[a:b]
        if rest:
            part = self._cuts(rest, chunk)
            for a, b in zip(part, part[1:], strict=False):
                yield view[a:b]


# ----------------------------------------------------------------------------- child process


def _child(cfg: dict, ready, go, stop, flooded, connections) -> None:
    asyncio.run(_serve(FloodConfig(**cfg), ready, go, stop, flooded, connections))


async def _serve(cfg: FloodConfig, ready, go, stop, flooded, connections) -> None:
    from websockets.asyncio.server import serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    from tui.sim import World

    world = World(cfg.hosts, cfg.vms, seed=cfg.seed)
    texts = world.flood_frames(cfg.pool)
    plan = WirePlan(texts)
    rest: dict[str, bytes] = {}
    if cfg.rest:
        rest["/api/v1/orchestrator/hosts"] = json.dumps(world.hosts_json(), separators=(",", ":")).encode()
        rest["/api/v1/orchestrator/machines"] = json.dumps(world.machines_json(), separators=(",", ":")).encode()

    def process_request(connection, request):
        path = urlsplit(request.path).path
        body = rest.get(path)
        if body is not None:
            headers = Headers([("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                               ("Connection", "close")])
            return Response(200, "OK", headers, body)
        if path.endswith("/v1/ws/subscribe"):
            return None
        return connection.respond(404, "not found\n")

    async def handler(ws) -> None:
        with connections.get_lock():
            connections.value += 1
        query = parse_qs(urlsplit(ws.request.path).query)
        asked = [c.strip().lower() for c in ",".join(query.get("event_types", [CHANNELS])).split(",") if c.strip()]
        subs = [*dict.fromkeys(asked), "global"] if "global" not in asked else list(dict.fromkeys(asked))
        confirm = json.dumps({
            "id": uuid.uuid4().hex * 2, "event_type": "global", "timestamp": "2026-01-01T00:00:00.123456789Z",
            "message": "WebSocket connection established subscribed to global by default",
            "body": {"client_id": str(uuid.uuid4()), "subscriptions": subs},
        }, separators=(",", ":"))
        await ws.send(confirm)
        # answer the client's app-level health pings (hubtop drops a connection whose pings go unanswered);
        # while the flood writes raw frames, pongs go between its pieces
        pongs: list[str] = []
        flooding = [False]
        reader = asyncio.create_task(_answer_pings(ws, pongs, flooding))
        try:
            while cfg.hold and not go.is_set():
                await asyncio.sleep(0.002)
            transport = ws.transport
            flooding[0] = True
            if cfg.send_each:
                pool = len(texts)
                for i in range(cfg.frames):
                    await ws.send(texts[i % pool])
            else:
                for piece in plan.slices(cfg.frames, cfg.chunk):
                    if transport.is_closing():
                        return
                    transport.write(piece)
                    while pongs:
                        transport.write(ws_frame(pongs.pop(0).encode()))
                    await ws.drain()
            flooding[0] = False
            while pongs:
                await ws.send(pongs.pop(0))
            with flooded.get_lock():
                flooded.value += cfg.frames
            if cfg.close:
                await ws.close()
            else:
                await ws.wait_closed()
        finally:
            reader.cancel()

    async with serve(handler, "127.0.0.1", 0, compression=None, max_size=1 << 20, ping_interval=None,
                     write_limit=4 << 20, process_request=process_request, close_timeout=5) as server:
        port = server.sockets[0].getsockname()[1]
        ready.put({"port": port, "mean_payload": plan.mean_payload, "pool": plan.count, "pid": os.getpid()})
        while not stop.is_set():
            await asyncio.sleep(0.05)


async def _answer_pings(ws, pongs: list[str], flooding: list[bool]) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        async for message in ws:
            try:
                frame = json.loads(message)
            except ValueError:
                continue
            if isinstance(frame, dict) and frame.get("event_type") == "health" and frame.get("message") == "ping":
                pong = json.dumps({"id": uuid.uuid4().hex * 2, "ref_id": frame.get("id", ""), "event_type": "health",
                                   "timestamp": "2026-01-01T00:00:00Z", "message": "pong"}, separators=(",", ":"))
                if flooding[0]:
                    pongs.append(pong)
                else:
                    await ws.send(pong)
    except ConnectionClosed:
        return


# ----------------------------------------------------------------------------- parent side


class FloodServer:
    """Starts and stops the flood server child. ``with FloodServer(FloodConfig(...)) as fs: fs.port``."""

    def __init__(self, cfg: FloodConfig) -> None:
        self.cfg = cfg
        ctx = mp.get_context("spawn")
        self._ready = ctx.Queue()
        self._go = ctx.Event()
        self._stop = ctx.Event()
        self.flooded = ctx.Value("q", 0)
        self.connections = ctx.Value("q", 0)
        self.proc = ctx.Process(target=_child, name="bench-flood", daemon=True,
                                args=(asdict(cfg), self._ready, self._go, self._stop, self.flooded,
                                      self.connections))
        self.port = 0
        self.info: dict = {}

    def start(self, timeout: float = 120.0) -> FloodServer:
        self.proc.start()
        self.info = wait_ready(self._ready, self.proc, timeout)
        self.port = self.info["port"]
        return self

    def go(self) -> None:
        self._go.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/ws/subscribe?event_types={CHANNELS}"

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        self._stop.set()
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)

    def __enter__(self) -> FloodServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_ready(queue, proc, timeout: float) -> dict:
    """The child's first message; fails fast when the child dies before it."""
    import queue as _queue

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            return queue.get(timeout=0.2)
        except _queue.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{proc.name} exited with {proc.exitcode} before it was ready") from None
    proc.terminate()
    raise RuntimeError(f"{proc.name} was not ready in {timeout:g} s")


def wait_flooded(server: FloodServer, count: int, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.flooded.value >= count:
            return True
        time.sleep(0.01)
    return False
