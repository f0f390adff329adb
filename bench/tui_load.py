"""3 · tui: the TUI under 20,000 events/s for 30 s with 1,000 hosts x 20 VMs.

The simulator (``tui.sim``, 1,000 hosts x 20 VMs) runs in a child process; the real ``HubtopApp`` (its feed
thread, its 10 Hz tick, every widget) runs headless in ``run_test(size=(160, 50))`` in this process.

The world itself makes ~1,700 events/s at this size, so the simulator's extra ``rate`` is set to 20,000 minus
that (measured from the same seed at start) and the total is 20,000 events/s. (``rate=20000`` on top of the
world would overflow the hub's 2,048-per-100-ms queue every flush, which is the ``burst`` benchmark.) The
simulator flushes every 100 ms, so the load arrives as ~2,000-frame bursts ten times a second, like the real
hub's.

One run, three phases on the same simulator:
1. headless baseline: a ``Monitor`` (client + ``Feed`` in a thread, no app) under the same load for a while: what the socket,
   the simulator and the ingest path do alone (lag, drops);
2. the app idle (the world's own ~1,700 ev/s only): key latency and refresh rate at rest (baseline);
3. the app under the load for 30 s.
Backlog: every second the simulator's sent count vs the app's ``feed.journal.received``; lag in events and
in seconds of traffic (lag / the sent rate), and how long the app takes to catch up once the load stops.
Key latency: a thread posts ``Key("f12")`` every 100 ms, bound to a tiny action in a HubtopApp subclass.
Refresh: ``app.ticks`` a second, and painted ticks a second (the screen refresh after the tick completed).
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from dataclasses import dataclass, field

from .common import (
    CpuMeter,
    GcMeter,
    OthersMeter,
    Result,
    lat_summary,
    mib,
    percentile,
    rss_bytes,
)
from .flood import TOKEN
from .simproc import SimProcess

NAME = "tui"
TITLE = "the TUI under 20,000 events/s for 30 s (1,000 hosts x 20 VMs)"
HOSTS, VMS, SEED = 1000, 20, 7
TOTAL_RATE = 20_000
KEY_P95, KEY_P99, MIN_HZ, MAX_LAG_S = 0.050, 0.100, 8.0, 1.0


def world_rate(hosts: int = HOSTS, vms: int = VMS, seed: int = SEED, seconds: float = 20.0) -> float:
    """Events a second the simulated world makes by itself (same seed as the simulator)."""
    from tui.sim import World

    from .simproc import patch_if_slow

    world = World(hosts, vms, seed=seed)
    patch_if_slow(world)  # as in the simulator child (an old World takes ~1 s per simulated tick at this size)
    return len(world.step(seconds)) / seconds


def settings_for(url: str):
    from tui.settings import SecretStr, Settings

    return Settings(url=url, token=SecretStr(TOKEN))


@dataclass
class Phase:
    name: str
    t0: float = 0.0
    t1: float = 0.0
    sent0: int = 0
    sent1: int = 0
    recv0: int = 0
    recv1: int = 0
    drop0: int = 0
    drop1: int = 0
    cpu: dict = field(default_factory=dict)
    gc: GcMeter | None = None
    samples: list = field(default_factory=list)  # (t, sent, dropped, received)
    drain_s: float | None = None

    @property
    def seconds(self) -> float:
        return self.t1 - self.t0

    @property
    def sent_rate(self) -> float:
        return (self.sent1 - self.sent0) / self.seconds

    @property
    def recv_rate(self) -> float:
        return (self.recv1 - self.recv0) / self.seconds

    @property
    def drops(self) -> int:
        return self.drop1 - self.drop0

    def lag(self) -> tuple[int, float]:
        """Max (sent - received) over the samples, in events and in seconds of this phase's traffic."""
        worst = max((max(0, s - r) for _, s, _, r in self.samples), default=0)
        return worst, worst / self.sent_rate if self.sent_rate > 0 else 0.0


class Meters:
    """CPU of this process, its UI (main) thread, the feed thread, and the simulator; and the GC."""

    def __init__(self, sim: SimProcess, feed_tid: int | None) -> None:
        self.sim = sim
        self.m = {"process": CpuMeter("self"), "ui thread": CpuMeter("self", threading.main_thread().native_id)}
        if feed_tid is not None:
            self.m["feed thread"] = CpuMeter("self", feed_tid)
        self.sim_cpu0 = 0.0
        self.gc = GcMeter()

    def start(self) -> Meters:
        for m in self.m.values():
            m.start()
        self.sim_cpu0 = self.sim.cpu.value
        self.gc.start()
        return self

    def stop(self, phase: Phase) -> None:
        self.gc.stop()
        phase.gc = self.gc
        for name, m in self.m.items():
            phase.cpu[name] = m.stop().share
        phase.cpu["simulator"] = (self.sim.cpu.value - self.sim_cpu0) / phase.seconds


async def run_phase(name: str, seconds: float, sim: SimProcess, received, feed_tid: int | None,
                    sampler_interval: float = 1.0) -> Phase:
    """Sleep ``seconds`` in the app's loop while sampling (from a thread) sent / dropped / received."""
    from .harness import Sampler

    ph = Phase(name)
    meters = Meters(sim, feed_tid).start()
    sampler = Sampler(lambda: (sim.sent.value, sim.dropped.value, received()), sampler_interval)
    ph.t0 = time.perf_counter()
    ph.sent0, ph.drop0, ph.recv0 = sim.sent.value, sim.dropped.value, received()
    sampler.start()
    await asyncio.sleep(seconds)
    ph.t1 = time.perf_counter()
    ph.sent1, ph.drop1, ph.recv1 = sim.sent.value, sim.dropped.value, received()
    ph.samples = [(t, *v) for t, v in sampler.stop()]
    meters.stop(ph)
    return ph


async def drain(sim: SimProcess, received, timeout: float = 15.0) -> float | None:
    """After the load stops: seconds until the app has counted everything sent by then (None: not in time)."""
    t0 = time.perf_counter()
    await asyncio.sleep(0.15)  # the simulator's last flush of the load
    target = sim.sent.value
    while time.perf_counter() - t0 < timeout:
        if received() >= target:
            return time.perf_counter() - t0
        await asyncio.sleep(0.01)
    return None


async def headless_phase(sim: SimProcess, rate: float, seconds: float) -> Phase:
    """The same load into a Monitor (its client and Feed in a thread) without the app: the ingest path and the
    socket alone."""
    import threading

    from tui.live.monitor import Monitor

    monitor = Monitor(settings_for(sim.url))
    feed = monitor.feed
    thread = threading.Thread(target=asyncio.run, args=(monitor.run(),), name="hubtop-feed", daemon=True)
    thread.start()
    try:
        t0 = time.perf_counter()
        while not feed.snapshots:
            if time.perf_counter() - t0 > 90:
                raise RuntimeError("the headless client got no snapshot in 90 s")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)

        def received() -> int:
            return feed.journal.received

        sim.set_rate(rate)
        ph = await run_phase("headless", seconds, sim, received, thread.native_id)
        sim.set_rate(0)
        ph.drain_s = await drain(sim, received)
    finally:
        sim.set_rate(0)
        monitor.stop()
        thread.join(5)
    return ph


async def app_phases(sim: SimProcess, rate: float, idle_s: float, load_s: float, profile: bool):
    from .harness import BenchApp, KeyProber, feed_thread_id, settle_keys, wait_for_model

    app = BenchApp(settings_for(sim.url))
    info: dict = {}
    async with app.run_test(size=(160, 50)):
        info["ready_s"] = await wait_for_model(app, 120)
        await asyncio.sleep(1.0)  # the first ticks after the snapshot (gc.freeze) are not measured
        info["rss_ready"] = rss_bytes()
        tid = feed_thread_id(app)

        def received() -> int:
            return app.monitor.feed.journal.received

        prober = KeyProber(app)
        prober.start()
        app.probe.clear()
        idle = await run_phase("idle", idle_s, sim, received, tid)
        sim.set_rate(rate)
        prof = spy = None
        if profile:
            from .profiling import PySpy, profiler

            spy = PySpy(load_s - 1.0)
            if not spy.start():  # no py-spy: pyinstrument, UI thread only
                spy = None
                prof = profiler()
                prof.start()
        load = await run_phase("load", load_s, sim, received, tid)
        if prof is not None:
            prof.stop()
            from .profiling import top_functions

            info["profile"] = ("UI thread under load, pyinstrument (the feed thread is not sampled):\n"
                               + top_functions(prof.last_session, 20))
        if spy is not None:
            info["profile"] = "under load, " + spy.report()
        sim.set_rate(0)
        load.drain_s = await drain(sim, received)
        prober.stop()
        await settle_keys(app)
        info["rss_end"] = rss_bytes()
        info["connections"] = sim.connections.value
        info["skipped_keys"] = prober.skipped
        info["unanswered_keys"] = len(app.probe.posted)
        info["journal"] = app.monitor.feed.journal.counters()
        info["status"] = app.monitor.feed.status.state if app.monitor.feed.status else None
        probe = app.probe
    return idle, load, probe, info


def window(items, t0: float, t1: float, key=lambda x: x[0]):
    return [x for x in items if t0 <= key(x) < t1]


def phase_view(ph: Phase, probe) -> dict:
    keys = [lat for t, lat in window(probe.keys, ph.t0, ph.t1)]
    ticks = window(probe.ticks, ph.t0, ph.t1)
    paints = window(probe.paints, ph.t0, ph.t1)
    return {
        "keys": keys,
        "tick_hz": len(ticks) / ph.seconds,
        "paint_hz": len(paints) / ph.seconds,
        "tick_dur": [d for _, d in ticks],
        "paint_lat": [p - t for t, p in paints],
    }


def cpu_text(ph: Phase) -> str:
    return ", ".join(f"{k} {v:.0%}" for k, v in ph.cpu.items())


def run_scenario(result: Result, args, extra_rate: float, total_label: str) -> None:
    quick = args.quick
    head_s, idle_s, load_s = (3.0, 3.0, 8.0) if quick else (10.0, 5.0, 30.0)
    with SimProcess(hosts=HOSTS, vms=VMS, rate=0, seed=SEED) as sim:
        others = OthersMeter([sim.proc.pid]).start()
        headless = asyncio.run(headless_phase(sim, extra_rate, head_s))
        gc.collect()
        idle, load, probe, info = asyncio.run(app_phases(sim, extra_rate, idle_s, load_s, args.profile))
        others.stop()
    result.params = (f"{HOSTS:,} hosts x {VMS} VMs ({sim.info.get('vms', 0):,} VMs), {total_label}; phases: headless "
                     f"{head_s:g} s, app idle {idle_s:g} s, app under load {load_s:g} s; app size 160x50 headless")
    lv, iv = phase_view(load, probe), phase_view(idle, probe)
    lag_n, lag_s = load.lag()
    hlag_n, hlag_s = headless.lag()
    drained = load.drain_s is not None and load.drain_s <= MAX_LAG_S
    result.add("load delivered to the app", f"{load.sent_rate:,.0f} ev/s sent, {load.recv_rate:,.0f} ev/s counted",
               f"headless {headless.sent_rate:,.0f} sent, {headless.recv_rate:,.0f} counted")
    result.add("backlog: max lag (sent - counted)", f"{lag_n:,} events = {lag_s:.2f} s of traffic",
               f"headless {hlag_n:,} = {hlag_s:.2f} s", f"<= {MAX_LAG_S:g} s", lag_s <= MAX_LAG_S)
    drain_txt = f"{load.drain_s:.2f} s" if load.drain_s is not None else "not caught up in 15 s"
    hdrain = f"{headless.drain_s:.2f} s" if headless.drain_s is not None else "not caught up"
    result.add("backlog: catch-up after the load stops", drain_txt, f"headless {hdrain}", f"<= {MAX_LAG_S:g} s",
               drained)
    drop_rate, hdrop_rate = load.drops / load.seconds, headless.drops / headless.seconds
    result.add("frames the hub's queue dropped (2,048 per 100 ms cap)", f"{drop_rate:,.0f} /s",
               f"headless {hdrop_rate:,.0f} /s")
    if drop_rate > hdrop_rate + 0.05 * TOTAL_RATE:
        result.note(f"the hub's queue dropped {drop_rate - hdrop_rate:,.0f} frames/s more for the app than for the "
                    "headless client: at times the app read too slowly and the hub, not the app, absorbed it")
    kp95, kp99 = percentile(lv["keys"], 95), percentile(lv["keys"], 99)
    result.add("key press -> handler", lat_summary(lv["keys"]), f"idle {lat_summary(iv['keys'])}",
               f"p95 <= {KEY_P95 * 1000:.0f} ms, p99 <= {KEY_P99 * 1000:.0f} ms",
               bool(lv["keys"]) and kp95 <= KEY_P95 and kp99 <= KEY_P99)
    result.add("refresh: ticks a second (app.ticks)", f"{lv['tick_hz']:.1f} Hz", f"idle {iv['tick_hz']:.1f} Hz",
               f">= {MIN_HZ:g} Hz", lv["tick_hz"] >= MIN_HZ)
    result.add("refresh: painted ticks a second (screen refreshed after the tick)", f"{lv['paint_hz']:.1f} Hz",
               f"idle {iv['paint_hz']:.1f} Hz", f">= {MIN_HZ:g} Hz", lv["paint_hz"] >= MIN_HZ)
    result.add("tick duration (refresh_from_model)", lat_summary(lv["tick_dur"]), f"idle {lat_summary(iv['tick_dur'])}")
    result.add("tick start -> screen refreshed", lat_summary(lv["paint_lat"]), f"idle {lat_summary(iv['paint_lat'])}")
    result.add("CPU (share of one core)", cpu_text(load), f"idle: {cpu_text(idle)}; headless: {cpu_text(headless)}")
    result.add("garbage collector under load", load.gc.text(load.seconds) if load.gc else "-",
               f"idle {idle.gc.text(idle.seconds) if idle.gc else '-'}")
    result.add("RSS", f"{mib(info['rss_end'])} at the end", f"{mib(info['rss_ready'])} after the snapshot")
    result.note(f"snapshot to tree: {info['ready_s']:.1f} s after the app started; feed state at the end: "
                f"{info['status']}; journal {info['journal']['received']:,} received, "
                f"{info['journal']['malformed']} malformed, {info['journal']['duplicates']} duplicates")
    if info["connections"] != 2:  # the headless client's, then the app's
        result.note(f"PROBLEM: the simulator accepted {info['connections']} connections (expected 2: the app "
                    "reconnected during the run, so a resync snapshot is in the figures)")
    if info["skipped_keys"] or info["unanswered_keys"]:
        result.note(f"probe keys skipped (too many unanswered): {info['skipped_keys']}, unanswered at the end: "
                    f"{info['unanswered_keys']}")
    if sim.info.get("patched"):
        result.note("the simulator's World._random_vm was O(VMs) per call in this checkout; the simulator child "
                    "ran with bench/simproc.py:patch_random_vm (see README)")
    result.note(others.text())
    if "profile" in info:
        result.note(info["profile"])


def run(args) -> Result:
    result = Result(NAME, TITLE)
    world = world_rate()
    extra = max(0.0, TOTAL_RATE - world)
    run_scenario(result, args, extra, f"load {extra:,.0f} ev/s + the world's own ~{world:,.0f} ev/s = "
                 f"{TOTAL_RATE:,} ev/s in 100-ms flushes")
    return result
