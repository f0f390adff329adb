"""Write the README's screenshots from the real app against the simulator (``make screenshots``).

Starts the simulator on a free loopback port (its jobs and service logs on), runs the app headless, lets a few
seconds of live events arrive, and saves SVG screenshots into ``screenshots/``: the main screen at 160x50 and at
80x24, the details dialog, help, the filter grammar with problems only, the log searched, the VM table, jobs and
a host's service logs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tui.app.app import HubtopApp
from tui.settings import SecretStr, Settings
from tui.sim import Simulator, start

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
CHANNELS = ("orchestrator", "health", "job_manager", "system_logs")


async def settle(pilot, app: HubtopApp, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    feed = app.monitor.feed
    while not (feed.status and feed.status.state == "connected" and feed.snapshots and app.host_tree.rows):
        if loop.time() > deadline:
            raise SystemExit("the app did not connect to the simulator")
        await pilot.pause(0.1)
    await pilot.pause(seconds)


async def shoot(name: str, keys: list[str], size: tuple[int, int] = (160, 50), seed: int = 7, speed: float = 1.0,
                wait: float = 5.0) -> None:
    sim = Simulator(hosts=10, vms=6, seed=seed, rate=20, speed=speed)
    runner, url = await start("127.0.0.1", 0, simulator=sim)
    try:
        app = HubtopApp(Settings(url=url, token=SecretStr(sim.token), channels=CHANNELS), ansi=False)
        async with app.run_test(size=size) as pilot:
            await settle(pilot, app, wait)
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.2)
            await pilot.pause(1.2)
            app.save_screenshot(str(OUT / f"{name}.svg"))
    finally:
        await runner.cleanup()
    print(f"wrote screenshots/{name}.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot("main", ["down", "down"])
    await shoot("main-80x24", ["down"], size=(80, 24))
    await shoot("details", ["down", "enter"], size=(100, 32))
    await shoot("help", ["question_mark"], size=(100, 32))
    await shoot("filtered", ["slash", *"state:run", "enter", "exclamation_mark"])
    await shoot("log-search", ["s", "tab", "slash", *"stopp", "enter"])
    await shoot("vms", ["v", "s"])
    await shoot("jobs", ["J", "down", "down"], speed=10, wait=15)  # jobs start about every 45 s of world time
    await shoot("host-logs", ["L"], speed=5, wait=8)


if __name__ == "__main__":
    asyncio.run(main())
