"""5 · tree: the host tree at 1,000 hosts x 20 VMs, in the real app (``run_test(size=(160, 50))``).

No socket: the app runs with ``start_feed=False`` and the model is fed directly, as the feed thread would
(``app.monitor.feed(item)`` takes the feed lock), so only the UI side is measured.

- snapshot to first full paint: from handing the 1,000 x 20 ``Snapshot`` to ``app.monitor.feed`` until the tree's
  rows are built (the app's own 10 Hz tick does it) and the screen refresh after that tick completed
  (``call_after_refresh``). A fresh app each repetition (the first snapshot also triggers ``gc.freeze``).
- filter keystroke to repaint: "/" opens the filter, then each character of a word is posted as a key event;
  timed from the post until the tree has rebuilt its rows for the new text (however the app schedules that:
  at once, after the typing settles, or on its tick) and the screen refresh after it completed. Clearing:
  Escape (the app's clear-filter binding) from a filtered tree back to all 21,000 rows, timed the same way.
- 1,000 VM changes in one tick: 1,000 ``HOST_VM_STATE_CHANGED`` events for 1,000 different VMs go through
  ``app.monitor.feed``, then ``app.refresh_from_model()`` is called and timed (and the paint after it).
- context: one structural change (``HOST_VM_ADDED``) and the tick that takes it.
Baselines in the same run: the model-only parts (``Cluster.load_snapshot``, ``Cluster.filter``, applying the
1,000 events) and an empty tick.
- issue 15's model parts (:mod:`bench.model_find`): the filter grammar typed a keystroke at a time (parse, match
  and a problems-first sort), each sort order, the totals, and the event log's search and mute over a full
  10,000-entry journal of the world's own events.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time

from textual import events
from textual.widgets import Input

from . import model_find
from .common import OthersMeter, Result, median, ms, percentile
from .harness import BenchApp

NAME = "tree"
TITLE = "host tree at 1,000 hosts x 20 VMs: snapshot, filter, 1,000 changes in a tick"
HOSTS, VMS, SEED = 1000, 20, 7
T_SNAPSHOT, T_KEY, T_TICK = 1.0, 0.100, 0.050
WORDS = ("studio", "win11", "runner")


class TreeBenchApp(BenchApp):
    """The bench app; nothing more is needed here (kept as the place for tree-only probes)."""


async def after_refresh(app: BenchApp) -> float:
    """The time the next screen refresh completed."""
    fut = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: fut.done() or fut.set_result(time.perf_counter()))
    return await asyncio.wait_for(fut, 30)


async def until_rebuilt(app: BenchApp, tree, old_rows, value: str, timeout: float = 10.0) -> float:
    """Wait until the tree has rebuilt its rows for filter ``value`` (however the app schedules that: at once,
    after the typing settles, or on its tick), then for the screen refresh after it; returns that time."""
    end = time.perf_counter() + timeout
    while tree.rows is old_rows or getattr(tree, "filter_text", value) != value:
        if time.perf_counter() > end:
            raise RuntimeError(f"the tree did not rebuild for filter {value!r} in {timeout:g} s")
        await asyncio.sleep(0.001)
    return await after_refresh(app)


def snapshot_items():
    from tui.transport.client import Snapshot

    from .ingest import snapshot_records

    hosts, vms = snapshot_records(HOSTS, VMS, SEED)
    return Snapshot, hosts, vms


def vm_change_events(cluster, n: int, rng: random.Random):
    """``n`` HOST_VM_STATE_CHANGED events (parsed by the real parser) for ``n`` different VMs."""
    from tui.protocol.parse import parse_frame
    from tui.sim.frames import IdSource, encode_frame, now_rfc3339

    pairs = [(h.id, vm) for h in cluster.hosts.values() for vm in h.vms.values()]
    ids = IdSource()
    out = []
    for hid, vm in rng.sample(pairs, n):
        new = "stopped" if vm.state == "running" else "running"
        body = {"host_id": hid, "event": {"vm_id": vm.id, "previous_state": vm.state, "current_state": new}}
        out.append(parse_frame(encode_frame(ids(), "orchestrator", "HOST_VM_STATE_CHANGED", body,
                                            timestamp=now_rfc3339())))
    return out


def vm_added_event(cluster, rng: random.Random, n: int):
    """One HOST_VM_ADDED event: a new VM on a random host (a structural change of the tree)."""
    from tui.protocol.parse import parse_frame
    from tui.sim.frames import IdSource, encode_frame, now_rfc3339

    hid = rng.choice(sorted(cluster.hosts))
    vm_id = f"{rng.getrandbits(128):032x}"
    body = {"host_id": hid, "event": {"vm_id": vm_id, "new_vm": {"ID": vm_id, "Name": f"bench-vm-{n}",
                                                                   "State": "running", "OS": "ubuntu"}}}
    return parse_frame(encode_frame(IdSource()(), "orchestrator", "HOST_VM_ADDED", body, timestamp=now_rfc3339()))


def settings():
    from tui.settings import Settings

    return Settings(url="http://127.0.0.1:9")


async def paint_after(app: BenchApp, t: float, timeout: float = 30.0) -> float:
    return await asyncio.wait_for(app.next_paint(t), timeout)


async def snapshot_run(snapshot) -> dict:
    app = TreeBenchApp(settings(), start_feed=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await asyncio.sleep(0.7)  # past the tree's rebuild throttle after its first (empty) build
        tree = app.query_one("#tree")
        t0 = time.perf_counter()
        app.monitor.feed(snapshot)
        t_loaded = time.perf_counter()
        expected = len(app.monitor.feed.cluster.hosts) + sum(len(h.vms) for h in app.monitor.feed.cluster.hosts.values())
        after = t_loaded
        while True:
            painted = await paint_after(app, after)
            if len(tree.rows) >= expected:
                break
            after = painted
        ticks = [(s, d) for s, d in app.probe.ticks if s >= t_loaded]
        build_tick = next((d for s, d in ticks if s + d <= painted), float("nan"))
        return {"total": painted - t0, "load": t_loaded - t0, "tick": build_tick, "rows": len(tree.rows)}


async def interactive_run(snapshot, repeats: int, rng: random.Random) -> dict:
    app = TreeBenchApp(settings(), start_feed=False)
    out: dict = {"keys": [], "first_keys": [], "clears": [], "ticks": [], "empty": [], "model_filter": [],
                 "apply": [], "paint_after_tick": [], "rows_after_clear": [], "structure": []}
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.monitor.feed(snapshot)
        tree = app.query_one("#tree")
        cluster = app.monitor.feed.cluster
        total_rows = len(cluster.hosts) + sum(len(h.vms) for h in cluster.hosts.values())
        while len(tree.rows) < total_rows:
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        box = app.query_one("#filter", Input)

        async def press(key: str, char: str | None, expect_value: str | None) -> float:
            """Post a key; with ``expect_value``: seconds until the tree was rebuilt for it and repainted."""
            old_rows = tree.rows
            t0 = time.perf_counter()
            app.post_message(events.Key(key, char))
            if expect_value is None:
                return t0
            return await until_rebuilt(app, tree, old_rows, expect_value) - t0

        # filter keystrokes and clears
        for _ in range(repeats):
            for word in WORDS:
                await press("slash", "/", None)
                await pilot.pause()
                await asyncio.sleep(0.2)
                if not box.has_focus:
                    raise RuntimeError("'/' did not focus the filter box")
                typed = ""
                for i, ch in enumerate(word):
                    typed += ch
                    lat = await press(ch, ch, typed)
                    (out["first_keys"] if i == 0 else out["keys"]).append(lat)
                    await asyncio.sleep(0.15)
                out["model_filter"].append(_time(lambda w=word: cluster.filter(w)))
                lat = await press("escape", None, "")
                out["clears"].append(lat)
                out["rows_after_clear"].append(len(tree.rows))
                await asyncio.sleep(0.3)
        # 1,000 VM changes in one tick, against an empty tick
        for _ in range(repeats + 2):
            await asyncio.sleep(0.3)
            t0 = time.perf_counter()
            app.refresh_from_model()
            out["empty"].append(time.perf_counter() - t0)
            await asyncio.sleep(0.3)
            evs = vm_change_events(cluster, 1000, rng)
            t0 = time.perf_counter()
            for e in evs:
                app.monitor.feed(e)
            t1 = time.perf_counter()
            app.refresh_from_model()
            t2 = time.perf_counter()
            painted = await paint_after(app, t1)
            out["apply"].append(t1 - t0)
            out["ticks"].append(t2 - t1)
            out["paint_after_tick"].append(painted - t1)
        # one structural change (a VM added): the tick that takes it rebuilds the rows
        for i in range(repeats + 2):
            await asyncio.sleep(0.7)  # past the tree's structural-rebuild throttle
            app.monitor.feed(vm_added_event(cluster, rng, i))
            t0 = time.perf_counter()
            app.refresh_from_model()
            out["structure"].append(time.perf_counter() - t0)
        out["total_rows"] = total_rows
    return out


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def model_snapshot_time(snapshot) -> float:
    from tui.model.cluster import Cluster

    c = Cluster()
    return _time(lambda: c.load_snapshot(snapshot.hosts, snapshot.vms))


def run(args) -> Result:
    reps = 1 if args.quick else 3
    result = Result(NAME, TITLE)
    Snapshot, hosts, vms = snapshot_items()
    rng = random.Random(SEED)
    others = OthersMeter().start()
    snaps = []
    base_load = []
    for _ in range(reps):
        gc.collect()
        snaps.append(asyncio.run(snapshot_run(Snapshot(hosts, vms))))
        base_load.append(model_snapshot_time(Snapshot(hosts, vms)))
    gc.collect()
    prof = None
    if args.profile:
        from .profiling import profiler

        prof = profiler()
        prof.start()
    inter = asyncio.run(interactive_run(Snapshot(hosts, vms), reps, rng))
    if prof is not None:
        prof.stop()
    gc.collect()
    find = model_find.run_probes(reps)
    others.stop()
    result.params = (f"{len(hosts):,} hosts, {len(vms):,} VMs -> {snaps[0]['rows']:,} tree rows; 160x50 headless; "
                     f"{reps} fresh app(s) for the snapshot, {reps} x {len(WORDS)} filter words, "
                     f"{reps + 2} x 1,000-change ticks")
    tot = median([s["total"] for s in snaps])
    result.add("snapshot -> first full paint", ms(tot) + f" (max {ms(max(s['total'] for s in snaps))})",
               f"Cluster.load_snapshot alone {ms(median(base_load))}", f"<= {T_SNAPSHOT:g} s", tot <= T_SNAPSHOT)
    result.add("  of which: model load (in app.monitor.feed) / tick that built the rows",
               f"{ms(median([s['load'] for s in snaps]))} / {ms(median([s['tick'] for s in snaps]))}")
    keys = inter["keys"] + inter["first_keys"]
    k95 = percentile(keys, 95)
    result.add("filter keystroke -> repaint (p95 of all keys)", f"{ms(k95)} (median {ms(median(keys))}, max "
               f"{ms(max(keys))}, n={len(keys)})", f"Cluster.filter alone {ms(median(inter['model_filter']))}",
               f"<= {T_KEY * 1000:.0f} ms", k95 <= T_KEY)
    result.add("  first character (most rows still match)", f"{ms(median(inter['first_keys']))} "
               f"(max {ms(max(inter['first_keys']))})")
    c = median(inter["clears"])
    result.add("clear filter (Escape) -> repaint, back to all rows (median)", f"{ms(c)} (max {ms(max(inter['clears']))}, "
               f"n={len(inter['clears'])})", "", f"<= {T_KEY * 1000:.0f} ms", c <= T_KEY)
    if any(r != inter["total_rows"] for r in inter["rows_after_clear"]):
        result.note(f"PROBLEM: after clearing, the tree had {inter['rows_after_clear']} rows, not {inter['total_rows']}")
    t = median(inter["ticks"])
    result.add("1,000 VM changes: refresh_from_model()", f"{ms(t)} (max {ms(max(inter['ticks']))}, "
               f"n={len(inter['ticks'])})", f"empty tick {ms(median(inter['empty']))}", f"<= {T_TICK * 1000:.0f} ms",
               t <= T_TICK)
    result.add("  applying the 1,000 events to the model (feed thread's share)", ms(median(inter["apply"])))
    result.add("  tick start -> screen refreshed", ms(median(inter["paint_after_tick"])))
    result.add("1 VM added (structural change): refresh_from_model()", f"{ms(median(inter['structure']))} "
               f"(max {ms(max(inter['structure']))})", f"empty tick {ms(median(inter['empty']))}")
    model_find.add_figures(result, find, T_KEY)
    result.note("pass/fail: snapshot, clear and tick on the median, keystrokes on the p95, log search on the max; "
                "max shown beside")
    result.note("context: at 1,000 x 20 the simulated world adds or removes ~3 VMs or hosts a second; the last "
                "figure is what one such structural change costs the tick that takes it")
    result.note(others.text())
    if prof is not None:
        from .profiling import top_functions

        result.note("filter and 1,000-change phase under pyinstrument:\n" + top_functions(prof.last_session, 20))
    return result
