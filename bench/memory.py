"""6 · memory: 1,000,000 events through the TUI with the default journal (10,000 entries).

The flood server (child process, ``rest=True``) answers the app's snapshot calls with the 1,000 x 20 world,
sends the confirmation, waits until the app has built its tree, then sends 1,000,000 frames as fast as the
app reads them and stays connected. The app is the real ``HubtopApp`` (its own HubClient in its feed
thread, its tick, every widget) in ``run_test(size=(160, 50))``. RSS comes from /proc/self/statm every
second. Warm-up: the first 100,000 events (the journal and the de-duplication window are full long before).
Baselines in the same run: RSS of this process before the app, and with the app idle after the snapshot.
A flood of full flushes is how the hub's queue overflowing looks, so hubtop takes the listings again once the
flood drains: the end is measured when that resync is in (the RSS at the flood's last frame is shown too).
"""

from __future__ import annotations

import asyncio
import gc
import time

from .common import CpuMeter, GcMeter, OthersMeter, Result, mib, rss_bytes
from .flood import TOKEN, FloodConfig, FloodServer

NAME = "memory"
TITLE = "RSS over 1,000,000 events through the TUI (journal 10,000)"
MAX_GROWTH, MAX_TOTAL = 0.10, 200 * 1024 * 1024
DEADLINE_S = 95.0
#: how long the end waits for the resync a suspected loss asked for
RESYNC_WAIT_S = 30.0


async def app_run(server: FloodServer, n: int, warm: int, deadline: float) -> dict:
    from tui.settings import SecretStr, Settings

    from .harness import BenchApp, KeyProber, Sampler, settle_keys, wait_for_model

    app = BenchApp(Settings(url=server.url, token=SecretStr(TOKEN)))
    out: dict = {}
    async with app.run_test(size=(160, 50)):
        out["ready_s"] = await wait_for_model(app, 120)
        await asyncio.sleep(1.5)
        out["rss_idle"] = rss_bytes()
        journal = app.monitor.feed.journal
        base = journal.received
        target = base + n

        sampler = Sampler(lambda: (journal.received - base, rss_bytes()), 1.0)
        prober = KeyProber(app, interval=0.25)
        cpu = CpuMeter().start()
        gcm = GcMeter().start()
        t0 = time.perf_counter()
        sampler.start()
        prober.start()
        resyncs_before = app.monitor.feed.resyncs
        server.go()
        warm_rss = None
        while journal.received < target and time.perf_counter() - t0 < deadline:
            if warm_rss is None and journal.received - base >= warm:
                warm_rss = (journal.received - base, rss_bytes(), time.perf_counter() - t0)
            await asyncio.sleep(0.05)
        out["seconds"] = time.perf_counter() - t0
        out["done"] = journal.received - base
        out["rss_flood_end"] = rss_bytes()
        # a flood of full flushes is what the hub's queue overflowing looks like: hubtop takes the listings
        # again once it drains (20,000 VM records). The end is measured once that resync is in.
        feed = app.monitor.feed
        settle_start = time.perf_counter()
        if journal.suspected_losses:
            while feed.resyncs == resyncs_before and time.perf_counter() - settle_start < RESYNC_WAIT_S:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)
        out["settle_s"] = time.perf_counter() - settle_start
        out["losses"], out["resyncs"] = journal.suspected_losses, feed.resyncs - resyncs_before
        out["rss_end"] = rss_bytes()
        prober.stop()
        await settle_keys(app)
        out["samples"] = sampler.stop()
        gcm.stop()
        out["cpu"] = cpu.stop().share
        out["gc"] = gcm
        out["warm"] = warm_rss
        out["journal_len"] = len(journal)
        out["keys"] = [lat for _, lat in app.probe.keys]
        gc.collect()
        out["rss_after_collect"] = rss_bytes()
    return out


def run(args) -> Result:
    n = 300_000 if args.quick else 1_000_000
    warm = 50_000 if args.quick else 100_000
    result = Result(NAME, TITLE)
    rss_start = rss_bytes()
    with FloodServer(FloodConfig(frames=n, close=False, hold=True, rest=True)) as server:
        others = OthersMeter([server.proc.pid]).start()
        out = asyncio.run(app_run(server, n, warm, DEADLINE_S))
        others.stop()
    result.params = (f"{n:,} flood frames (World(1000, 20) pool, cycled) into the app at the rate it reads them; "
                     f"warm-up {warm:,} events; RSS sampled every second")
    samples = out["samples"]
    peak = max(r for _, (_, r) in samples) if samples else out["rss_end"]
    if out["warm"] is None:
        result.note(f"PROBLEM: only {out['done']:,} events arrived in {out['seconds']:.0f} s (no warm-up point)")
        warm_n, warm_rss = 0, out["rss_idle"]
    else:
        warm_n, warm_rss, _ = out["warm"]
    growth = (out["rss_end"] - warm_rss) / warm_rss
    complete = out["done"] >= n
    result.add("events through the app", f"{out['done']:,} in {out['seconds']:.1f} s = "
               f"{out['done'] / out['seconds']:,.0f} ev/s")
    if not complete:
        result.note(f"PROBLEM: only {out['done']:,} of {n:,} events arrived within the {DEADLINE_S:g}-s deadline "
                    "(the app reads slower than the flood); the RSS figures cover what arrived")
    result.add("RSS growth after warm-up", f"{growth:+.1%} ({mib(warm_rss)} at {warm_n:,} -> {mib(out['rss_end'])} at "
               f"the end)", "", f"<= {MAX_GROWTH:.0%}", growth <= MAX_GROWTH)
    result.add("RSS total at the end", mib(out["rss_end"]) + f" (peak {mib(peak)})",
               f"app idle after snapshot {mib(out['rss_idle'])}; this process before the app {mib(rss_start)}",
               f"<= {mib(MAX_TOTAL)}", out["rss_end"] <= MAX_TOTAL)
    result.add("RSS when the flood's last frame was applied", mib(out["rss_flood_end"]))
    result.add("suspected losses (full flushes) / resyncs after them", f"{out['losses']:,} / {out['resyncs']:,}",
               f"the end measured {out['settle_s']:.1f} s after the last frame, once the resync was in")
    result.add("RSS after a full gc.collect() at the end", mib(out["rss_after_collect"]))
    result.add("journal entries held", f"{out['journal_len']:,}")
    result.add("process CPU during the flood", f"{out['cpu']:.0%} of one core",
               f"GC {out['gc'].text(out['seconds'])}")
    if out["keys"]:
        from .common import lat_summary

        result.add("key press -> handler during the flood (context)", lat_summary(out["keys"]))
    curve = ", ".join(f"{e // 1000}k:{r / 1048576:.0f}" for _, (e, r) in samples[:: max(1, len(samples) // 12)])
    result.note(f"RSS curve (events: MiB): {curve}")
    result.note(others.text())
    return result
