"""The app under a Pilot: settings for a simulator, waiting for what a user sees, reading the screen as text,
and a deterministic app (frozen clock, seeded world, no socket) for the snapshot tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kit.sim import settings_for  # noqa: F401 - where the app tests take it from
from kit.wait import wait_until
from tui.app.app import HubtopApp
from tui.protocol.models import HostRecord, VMRecord
from tui.protocol.parse import parse_frame
from tui.settings import SecretStr, Settings
from tui.sim import World
from tui.sim.frames import encode_frame
from tui.transport.client import Snapshot, Status

FROZEN_AT = 1_795_000_000.0  # 2026-11-18, any fixed instant will do


async def wait_for(pilot, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Let the app run until ``predicate()`` is truthy (a guard against hangs, not a timing assertion).

    :func:`kit.wait.wait_until` with the pilot's pause between looks: ``Pilot.pause`` first waits until the screen
    has handled its pending messages and afterwards updates its timers, so what the predicate (and the lines after
    the wait) read is what the app shows, not a state between two messages; a plain sleep does not promise that.
    The longer default timeout is for an app that still has to start and connect."""
    return await wait_until(predicate, timeout, what, pause=lambda: pilot.pause(0.05))


def screen_text(widget) -> list[str]:
    """The text of a virtual list's visible rows, as a user reads them."""
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


def static_text(static, width: int = 200) -> str:
    """What a Static shows, as plain text (its content rendered by rich)."""
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(static.content)
    return console.export_text()


def seeded_app(hosts: int = 6, vms: int = 4, steps: int = 30, seed: int = 7, **options: Any) -> HubtopApp:
    """An app with no socket: a seeded world's snapshot and events go straight into its feed, with the
    clock frozen, so every run draws the same screen. ``options`` are the app's (``ascii``, ``ansi``, ...)."""
    world = World(hosts=hosts, vms=vms, seed=seed, epoch=FROZEN_AT - 3600)
    settings = Settings(url="http://127.0.0.1:5680", token=SecretStr("snapshot-token"))
    app = HubtopApp(settings, start_feed=False, clock=lambda: FROZEN_AT, **{"ansi": False, **options})
    feed = app.monitor.feed
    # the rates' own clock stands still too, so every rate reads 0 (the app takes no clock for its feed's rates:
    # the feed's documented ``clock`` attribute is the way in)
    feed.clock = lambda: 0.0
    feed.handle(Status("connected", "connected", client_id="3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b",
                       subscriptions=("orchestrator", "health", "global")))
    hosts_rec = [HostRecord.model_validate(h) for h in world.hosts_json()]
    vms_rec = [VMRecord.model_validate(v) for v in world.machines_json()]
    feed.handle(Snapshot(hosts_rec, vms_rec, None, "", at=FROZEN_AT - 60))
    n = 0
    for step in range(steps):
        for channel, message, body in world.step(1.0):
            if channel not in ("orchestrator", "health", "global"):
                continue
            n += 1
            at = FROZEN_AT - steps + step
            raw = encode_frame(f"{n:064x}", channel, message, body, timestamp="2026-11-18T00:00:00Z")
            feed.handle(parse_frame(raw, received_at=at))
    return app
