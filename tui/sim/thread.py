"""The simulator in a background thread with its own event loop: what ``hubtop demo`` runs beside the TUI."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from .server import Simulator, start


class SimulatorThread:
    """Start a :class:`Simulator` on a free loopback port in a daemon thread; ``start()`` returns
    ``(url, token)`` once it listens, ``stop()`` shuts it down."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.host = host
        self.port = port
        self.options = options
        self.simulator: Simulator | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.url = ""

    def start(self, timeout: float = 10.0) -> tuple[str, str]:
        self._thread = threading.Thread(target=self._main, name="hubtop-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise OSError("the simulator did not start in time")
        if self._error is not None:
            raise self._error
        assert self.simulator is not None
        return self.url, self.simulator.token

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by start(); never a traceback on the TUI's screen
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        self.simulator = Simulator(**self.options)
        runner, self.url = await start(self.host, self.port, simulator=self.simulator)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def stop(self, timeout: float = 5.0) -> None:
        if self.loop is not None and self._stop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
