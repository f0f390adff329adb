"""replay: a recording of 1,000,000 frames replayed headless at ``--speed max`` through the real path
(:class:`~tui.live.replay.ReplaySource` -> ``parse_frame`` -> :class:`~tui.live.feed.Feed`: model + journal), against
a bare loop over the same file (read each line, ``json.loads`` it, touch every frame: the floor of reading a
recording at all), as ``ingest`` sets hubtop's receive path beside a bare websockets loop.

The recording is what ``hubtop record`` writes: the snapshot of ``World(1000, 20)``, then its flood frames (a
pool cycled, fresh ids) in bursts of 150 sharing an arrival time, plain JSON lines. The model is the app's:
loaded from the recording's snapshot, the collector settled after it as the app does. Median of 3 (1 with
``--quick``, 200,000 frames).
"""

from __future__ import annotations

import asyncio
import gc
import json
import tempfile
import time
from pathlib import Path

from .common import Result, median

NAME = "replay"
TITLE = "headless replay of a recording at --speed max vs a bare read of the same file"
TARGET = 100_000
BURST = 150


def write_recording(path: Path, frames: int) -> int:
    """A recording of ``frames`` frames; returns its size in bytes."""
    from tui.live.recording import dumps, header
    from tui.sim import World

    world = World(1000, 20, seed=7)
    pool = world.flood_frames(32_768)
    hosts, vms = world.hosts_json(), world.machines_json()
    at = 1_800_000_000.0
    with open(path, "w", encoding="ascii") as out:
        out.write(dumps(header(source="record", url="http://bench")) + "\n")
        out.write(dumps({"k": "snapshot", "at": at, "hosts": hosts, "vms": vms}) + "\n")
        written = 0
        n = 0
        while written < frames:
            burst = []
            for _ in range(min(BURST, frames - written)):
                text = pool[n % len(pool)]
                if n >= len(pool):  # a fresh id for a cycled frame (the dedup window would drop it)
                    text = text.replace('"id":"', f'"id":"{n:x}-', 1)
                burst.append(text)
                n += 1
            written += len(burst)
            at += 0.01
            out.write(dumps({"k": "frames", "at": at, "frames": burst}) + "\n")
    return path.stat().st_size


def bare(path: Path) -> float:
    """Frames a second of reading the file after its snapshot: each line json.loads'ed, each frame touched."""
    n = 0
    with open(path, encoding="utf-8") as fh:
        fh.readline()
        fh.readline()  # the snapshot: the replay's clock starts after it too
        t0 = time.perf_counter()
        for line in fh:
            rec = json.loads(line)
            for text in rec.get("frames", ()):
                n += len(text) > 0
    return n / (time.perf_counter() - t0)


def hubtop_replay(path: Path, frames: int):
    """Frames a second through ReplaySource + Feed (model loaded from the recording's snapshot first)."""
    from tui.live.feed import Feed
    from tui.live.replay import ReplaySource
    from tui.live.tuning import tuned

    class Settled(Feed):
        def _snapshot(self, item) -> None:
            super()._snapshot(item)
            self.cluster.take_changes()
            tuning.settle(collect=True)  # as the app does once the snapshot is loaded
            self.t0 = time.perf_counter()

    with tuned() as tuning:
        feed = Settled()
        source = ReplaySource(path, feed, speed=None)
        asyncio.run(source.run())
        elapsed = time.perf_counter() - feed.t0
    assert source.frames == frames, (source.frames, frames)
    return frames / elapsed, feed


def run(args) -> Result:
    frames = 200_000 if args.quick else 1_000_000
    repeats = 1 if args.quick else 3
    result = Result(NAME, TITLE)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.jsonl"
        size = write_recording(path, frames)
        result.params = (f"{frames:,} frames in bursts of {BURST} ({size / 1e6:.0f} MB with the snapshot, plain JSON "
                         f"lines), snapshot of 1,000 hosts x 20 VMs (not timed), {repeats} alternating runs each")
        bares, hubs = [], []
        feed = None
        for _ in range(repeats):
            gc.collect()
            bares.append(bare(path))
            gc.collect()
            rate, feed = hubtop_replay(path, frames)
            hubs.append(rate)
            del feed.journal.entries  # let the next run start light
    h, b = median(hubs), median(bares)
    result.add("hubtop replay rate (median)", f"{h:,.0f} frames/s", f"bare read {b:,.0f} frames/s",
               f">= {TARGET:,} frames/s", h >= TARGET)
    result.add("replay / bare read", f"{h / b:.0%}", f"cost per frame {(1 / h - 1 / b) * 1e6:.1f} µs over the "
               f"bare {1e6 / b:.1f} µs")
    result.add("all runs", "hubtop " + ", ".join(f"{r:,.0f}" for r in hubs), "bare " + ", ".join(f"{r:,.0f}" for r in bares))
    if feed is not None:
        c = feed.journal.counters()
        result.add("journal check (last run)", f"received {c['received']:,}, applied {c['applied']:,}, "
                   f"duplicates {c['duplicates']:,}, late {c['late']:,}, malformed {c['malformed']:,}")
    return result
