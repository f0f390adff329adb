"""1 · ingest: receive -> parse -> cluster.apply -> journal, headless, against a bare websockets loop.

The flood server (child process) sends the confirmation then N frames of ``World(1000, 20).flood_frames``
and closes. Alternating runs on fresh connections: the bare loop (``websockets`` ``connect`` with
compression=None and the client's own max_size / max_queue, ``recv()`` N times) and hubtop's real path:
``HubClient(settings, feed, snapshot=False)`` with a :class:`~tui.live.feed.Feed` as the sink, the model
pre-loaded with the same world's snapshot (so events land on known hosts and VMs, as in the app). A run's
clock starts when the confirmation is received and stops when frame N has been handled. Median of 3.
"""

from __future__ import annotations

import asyncio
import gc
import time

from .common import CpuMeter, GcMeter, OthersMeter, Result, median
from .flood import TOKEN, FloodConfig, FloodServer

NAME = "ingest"
TITLE = "headless ingest rate vs a bare websockets receive loop"
TARGET_SHARE = 0.5


def snapshot_records(hosts: int = 1000, vms: int = 20, seed: int = 7):
    """The world's REST snapshot as the client would validate it (HostRecord / VMRecord lists)."""
    from pydantic import TypeAdapter

    from tui.protocol.models import HostRecord, VMRecord
    from tui.sim import World

    world = World(hosts, vms, seed=seed)
    host_recs = TypeAdapter(list[HostRecord]).validate_python(world.hosts_json())
    vm_recs = TypeAdapter(list[VMRecord]).validate_python(world.machines_json())
    return host_recs, vm_recs


def settings_for(port: int):
    from tui.settings import SecretStr, Settings

    return Settings(url=f"http://127.0.0.1:{port}", token=SecretStr(TOKEN))


async def bare_loop(server: FloodServer, n: int, validate: bool = False) -> tuple[float, float]:
    """(frames a second of wall time, frames a second of this thread's CPU time) of a bare receive loop;
    the clocks start at the confirmation."""
    from websockets.asyncio.client import connect

    from tui.settings import Settings

    s = Settings()
    async with connect(server.ws_url, compression=None, max_size=s.max_frame, max_queue=64, proxy=None,
                       additional_headers={"Authorization": f"Bearer {TOKEN}"}, user_agent_header="hubtop") as ws:
        await ws.recv()
        t0, c0 = time.perf_counter(), time.thread_time()
        received = 0
        if validate:  # the floor of a typed parse: one pydantic-core pass per frame, nothing kept
            from tui.protocol.models import Envelope

            check = Envelope.model_validate_json
            while received < n:
                check(await ws.recv())
                received += 1
        while received < n:
            await ws.recv()
            received += 1
        t1, c1 = time.perf_counter(), time.thread_time()
    return n / (t1 - t0), n / (c1 - c0)


async def bare_aiohttp(server: FloodServer, n: int) -> float:
    """Frames a second of the same bare loop on aiohttp's WebSocket client (context)."""
    import aiohttp

    async with aiohttp.ClientSession() as session, session.ws_connect(
            server.ws_url, headers={"Authorization": f"Bearer {TOKEN}"}, compress=0, max_msg_size=16 << 20) as ws:
        await ws.receive()
        t0 = time.perf_counter()
        for _ in range(n):
            await ws.receive()
        return n / (time.perf_counter() - t0)


def _timed_feed_class():
    from tui.live.feed import Feed

    class TimedFeed(Feed):
        """The real Feed; notes when the confirmation and frame N went through (one check per burst the
        client hands over, as the bare loop's counter is one check per frame)."""

        def __init__(self, target: int) -> None:
            super().__init__()
            self.target = target
            self.t0: float | None = None
            self.t1: float | None = None
            self.c0 = self.c1 = 0.0
            self.done = asyncio.Event()

        def __call__(self, item) -> None:
            with self.lock:
                self.handle(item)
            self._check()

        def many(self, items) -> None:
            super().many(items)
            self._check()

        def _check(self) -> None:
            received = self.journal.received
            if received >= self.target:
                if self.t1 is None:
                    self.t1, self.c1 = time.perf_counter(), time.thread_time()
                    self.done.set()
            elif received and self.t0 is None:
                self.t0, self.c0 = time.perf_counter(), time.thread_time()

    return TimedFeed


async def hubtop_run(server: FloodServer, n: int, records, profile=None) -> tuple[float, float, object]:
    """Frames a second through HubClient + Feed: (per wall second, per CPU second of the thread, the feed)."""
    from tui.live.tuning import Tuning
    from tui.transport.client import HubClient, Snapshot

    feed = _timed_feed_class()(n + 1)  # the confirmation, then n frames
    feed.handle(Snapshot(*records))
    feed.cluster.take_changes()
    Tuning().settle(collect=True)  # as the app does once the snapshot is loaded
    client = HubClient(settings_for(server.port), feed, snapshot=False)
    if profile is not None:
        profile.start()
    task = asyncio.create_task(client.run())
    try:
        await asyncio.wait_for(feed.done.wait(), 120)
    finally:
        if profile is not None:
            profile.stop()
        await client.stop()
        try:
            await asyncio.wait_for(task, 5)
        except (TimeoutError, Exception):
            task.cancel()
        await client.aclose()
    return n / (feed.t1 - feed.t0), n / (feed.c1 - feed.c0), feed


def breakdown(records) -> dict[str, float]:
    """Per-frame cost of the pieces, in process, on the flood server's own pool (µs, best of 3)."""
    import json

    from tui.protocol.parse import parse_frame
    from tui.sim import World
    from tui.transport.client import Snapshot

    frames = World(1000, 20, seed=7).flood_frames(32_768)

    def best(fn) -> float:
        times = []
        for _ in range(3):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times) / len(frames) * 1e6

    def loads() -> None:
        for f in frames:
            json.loads(f)

    def parse() -> None:
        for f in frames:
            parse_frame(f)

    feed_cls = _timed_feed_class()

    def feed_all() -> None:
        feed = feed_cls(1 << 60)
        feed.handle(Snapshot(*records))
        feed.cluster.take_changes()
        events = [parse_frame(f) for f in frames]  # fresh: the journal releases the bodies it keeps
        t0 = time.perf_counter()
        for e in events:
            feed(e)
        feed_all.elapsed = time.perf_counter() - t0  # type: ignore[attr-defined]

    feed_times = []
    for _ in range(3):
        gc.collect()
        feed_all()
        feed_times.append(feed_all.elapsed)  # type: ignore[attr-defined]
    return {"json.loads": best(loads), "parse_frame": best(parse),
            "Feed(event)": min(feed_times) / len(frames) * 1e6}


def run(args) -> Result:
    n = 50_000 if args.quick else 200_000
    repeats = 1 if args.quick else 3
    result = Result(NAME, TITLE)
    records = snapshot_records()
    with FloodServer(FloodConfig(frames=n)) as server:
        info = server.info
        result.params = (f"{n:,} frames/run (mean payload {info['mean_payload']:.0f} B, pool {info['pool']:,}), "
                         f"{repeats} alternating runs each (bare, hubtop, bare + typed parse, bare on aiohttp), model pre-loaded with "
                         "1,000 hosts x 20 VMs")
        bare, hub, bare_cpu, hub_cpu, typed, aio = [], [], [], [], [], []
        server_cpu = []
        last_feed = None
        others = OthersMeter([server.proc.pid]).start()
        gcm, hub_wall = GcMeter(), 0.0
        for _ in range(repeats):
            for kind in ("bare", "hubtop", "typed", "aiohttp"):
                gc.collect()
                meter = CpuMeter(server.proc.pid).start()
                if kind == "bare":
                    rate, cpu_rate = asyncio.run(bare_loop(server, n))
                    bare.append(rate)
                    bare_cpu.append(cpu_rate)
                elif kind == "typed":
                    typed.append(asyncio.run(bare_loop(server, n, validate=True))[0])
                elif kind == "aiohttp":
                    aio.append(asyncio.run(bare_aiohttp(server, n)))
                else:
                    gcm.start()
                    t0 = time.perf_counter()
                    rate, cpu_rate, last_feed = asyncio.run(hubtop_run(server, n, records))
                    hub_wall += time.perf_counter() - t0
                    gcm.stop()
                    hub.append(rate)
                    hub_cpu.append(cpu_rate)
                server_cpu.append(meter.stop().share)
        others.stop()
        prof_text = None
        if args.profile:
            from .profiling import profiler, top_functions

            prof = profiler()
            asyncio.run(hubtop_run(server, n, records, profile=prof))
            prof_text = top_functions(prof.last_session, 20)
    b, h = median(bare), median(hub)
    share = h / b
    result.add("hubtop ingest rate (median)", f"{h:,.0f} frames/s", f"bare loop {b:,.0f} frames/s")
    result.add("hubtop / bare", f"{share:.0%}", "", f">= {TARGET_SHARE:.0%}", share >= TARGET_SHARE)
    bc, hc = median(bare_cpu), median(hub_cpu)
    result.add("same, per CPU second of the receiving thread", f"{hc:,.0f} frames/s = {hc / bc:.0%} of bare",
               f"bare loop {bc:,.0f} frames/s")
    result.add("cost per frame (hubtop - bare)", f"{(1 / h - 1 / b) * 1e6:.1f} µs", f"bare {1e6 / b:.1f} µs/frame")
    t = median(typed)
    result.add("context: bare loop + Envelope.model_validate_json per frame", f"{t:,.0f} frames/s = {t / b:.0%} of bare",
               "(the floor of any typed per-frame parse)")
    ai = median(aio)
    result.add("context: the bare loop on aiohttp's WebSocket client", f"{ai:,.0f} frames/s = {ai / b:.1f}x bare",
               f"{1e6 / ai:.1f} µs/frame vs {1e6 / b:.1f} µs")
    result.add("all runs", "hubtop " + ", ".join(f"{r:,.0f}" for r in hub), "bare " + ", ".join(f"{r:,.0f}" for r in bare))
    pairs = [h_ / b_ for h_, b_ in zip(hub, bare, strict=True)]
    result.add("each hubtop run / the bare run just before it", ", ".join(f"{r:.0%}" for r in pairs),
               f"median {median(pairs):.0%}: the machine's speed drifts between runs, a pair shares it")
    parts = breakdown(records)
    result.add("per-frame pieces, in process", f"parse_frame {parts['parse_frame']:.1f} µs, "
               f"Feed(event) {parts['Feed(event)']:.1f} µs", f"json.loads alone {parts['json.loads']:.1f} µs")
    if last_feed is not None:
        j = last_feed.journal
        result.add("journal check (last run)", f"received {j.received:,}, applied {j.applied:,}, "
                   f"duplicates {j.duplicates:,}, malformed {j.malformed:,}")
    result.add("garbage collector in the hubtop runs", gcm.text(hub_wall), "bare loop: next to none")
    result.note(others.text())
    result.note(f"flood server CPU while sending: max {max(server_cpu):.0%} of one core "
                "(well under 100%: the client, not the server, sets the pace)")
    if prof_text:
        result.note("hubtop run under pyinstrument (slower than unprofiled):\n" + prof_text)
    return result
