"""The real app under measurement: a HubtopApp subclass with probes, a key prober thread, a sampler thread.

``BenchApp`` is :class:`~tui.app.app.HubtopApp` plus:
- a binding (F12) to ``action_bench_ping``, a tiny action that notes when it ran. A :class:`KeyProber`
  thread posts ``textual.events.Key("f12")`` to the app every ~100 ms the way the terminal driver's input
  thread does, so key-press-to-handler latency includes whatever keeps the app's loop busy;
- a timed ``refresh_from_model`` (the ~10 Hz tick): start and duration of every tick;
- a paint probe: after each tick, ``call_after_refresh`` notes when the screen refresh that follows the tick
  has completed (a public Textual API). Headless, Textual still composes and renders the changed regions;
  it only skips writing them to a terminal. So "painted ticks a second" counts real screen updates.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from textual import events
from textual.binding import Binding

from tui.app import app as app_module
from tui.app.app import HubtopApp

PROBE_KEY = "f12"


@dataclass
class Probe:
    posted: deque = field(default_factory=deque)  # perf_counter of each posted probe key, in order
    keys: list = field(default_factory=list)  # (posted at, latency)
    ticks: list = field(default_factory=list)  # (start, duration)
    paints: list = field(default_factory=list)  # (tick start, painted at)
    paint_probe: bool = True

    def clear(self) -> None:
        self.keys.clear()
        self.ticks.clear()
        self.paints.clear()


class BenchApp(HubtopApp):
    # CSS_PATH is resolved next to the class's own module: point it back at the app's stylesheet
    CSS_PATH = str(Path(app_module.__file__).with_name("hubtop.tcss"))
    BINDINGS = [Binding(PROBE_KEY, "bench_ping", "bench ping", show=False, id="bench-ping")]

    def __init__(self, settings, **kwargs) -> None:
        super().__init__(settings, **kwargs)
        self.probe = Probe()
        self.paint_waiters: list[tuple[float, asyncio.Future]] = []

    def action_bench_ping(self) -> None:
        now = time.perf_counter()
        if self.probe.posted:
            t = self.probe.posted.popleft()
            self.probe.keys.append((t, now - t))

    def refresh_from_model(self, *args, **kwargs) -> None:
        t0 = time.perf_counter()
        super().refresh_from_model(*args, **kwargs)  # whatever the app's tick takes (``force=``)
        probe = self.probe
        probe.ticks.append((t0, time.perf_counter() - t0))
        if probe.paint_probe:
            self.call_after_refresh(self._painted, t0)

    def _painted(self, t0: float) -> None:
        now = time.perf_counter()
        self.probe.paints.append((t0, now))
        if self.paint_waiters:
            keep = []
            for after, fut in self.paint_waiters:
                if t0 >= after and not fut.done():
                    fut.set_result(now)
                elif not fut.done():
                    keep.append((after, fut))
            self.paint_waiters = keep

    def next_paint(self, after: float) -> asyncio.Future:
        """A future with the time the screen was refreshed after a tick that started at or after ``after``."""
        fut = asyncio.get_running_loop().create_future()
        self.paint_waiters.append((after, fut))
        return fut


class KeyProber(threading.Thread):
    """Posts the probe key to the app every ``interval`` seconds from its own thread (like a terminal's
    input thread). Stops posting while more than ``most`` probes are unanswered."""

    def __init__(self, app: BenchApp, interval: float = 0.1, most: int = 100) -> None:
        super().__init__(name="bench-keys", daemon=True)
        self.app = app
        self.interval = interval
        self.most = most
        self.halt = threading.Event()
        self.skipped = 0

    def run(self) -> None:
        probe = self.app.probe
        while not self.halt.wait(self.interval):
            if len(probe.posted) >= self.most:
                self.skipped += 1
                continue
            probe.posted.append(time.perf_counter())
            self.app.post_message(events.Key(PROBE_KEY, None))

    def stop(self) -> None:
        self.halt.set()
        self.join(2)


class Sampler(threading.Thread):
    """Every ``interval`` seconds: (time, fn()) appended to ``samples``."""

    def __init__(self, fn, interval: float = 1.0) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.fn = fn
        self.interval = interval
        self.samples: list[tuple[float, object]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        next_at = time.perf_counter()
        while True:
            self.samples.append((time.perf_counter(), self.fn()))
            next_at += self.interval
            if self.halt.wait(max(0.0, next_at - time.perf_counter())):
                break
        self.samples.append((time.perf_counter(), self.fn()))

    def stop(self) -> list:
        self.halt.set()
        self.join(5)
        return self.samples


async def settle_keys(app: BenchApp, timeout: float = 3.0) -> None:
    """After the prober stopped: let the app handle the probe keys still queued, so none reaches an app that
    is shutting down (Textual raises ScreenStackError for a key that arrives with no screen left)."""
    t0 = time.perf_counter()
    while app.probe.posted and time.perf_counter() - t0 < timeout:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)


def feed_thread_id(app: HubtopApp) -> int | None:
    return app.monitor.thread_id


async def wait_for_model(app: HubtopApp, timeout: float) -> float:
    """Wait until the snapshot is in the model and the tree shows it; returns the seconds it took."""
    t0 = time.perf_counter()
    tree = app.query_one("#tree")
    while time.perf_counter() - t0 < timeout:
        if app.monitor.feed.snapshots and tree.rows and app.ticks:
            return time.perf_counter() - t0
        if app.ingest_error is not None:
            raise RuntimeError(f"the feed stopped: {app.ingest_error}")
        await asyncio.sleep(0.05)
    st = app.monitor.feed.status
    raise RuntimeError(f"no snapshot in {timeout:g} s (feed status: {st.line if st else None})")
