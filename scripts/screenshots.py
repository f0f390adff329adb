"""Write the README's screenshots from the real app against the simulator (``make screenshots``).

Starts the simulator on a free loopback port, runs the app headless at 160x50, lets a few seconds of live
events arrive, and saves SVG screenshots of the main screen, the details dialog, the help screen and a
filtered tree into ``screenshots/``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tui.app.app import HubtopApp  # noqa: E402
from tui.settings import SecretStr, Settings  # noqa: E402
from tui.sim import Simulator, start  # noqa: E402

OUT = ROOT / "screenshots"
SIZE = (160, 50)


async def settle(pilot, app: HubtopApp, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not (app.feed.status and app.feed.status.state == "connected" and app.feed.snapshots):
        if loop.time() > deadline:
            raise SystemExit("the app did not connect to the simulator")
        await pilot.pause(0.1)
    await pilot.pause(seconds)


async def shoot(name: str, keys: list[str], seed: int = 7) -> None:
    sim = Simulator(hosts=10, vms=6, seed=seed, rate=20)
    runner, url = await start("127.0.0.1", 0, simulator=sim)
    try:
        app = HubtopApp(Settings(url=url, token=SecretStr(sim.token)))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app, 4.0)
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.2)
            await pilot.pause(1.0)
            app.save_screenshot(str(OUT / f"{name}.svg"))
            await pilot.press("escape")
    finally:
        await runner.cleanup()
    print(f"wrote screenshots/{name}.svg")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    await shoot("main", ["down", "down"])
    await shoot("details", ["enter"])
    await shoot("help", ["question_mark"])
    await shoot("filtered", ["slash", *"studio", "enter"])


if __name__ == "__main__":
    asyncio.run(main())
