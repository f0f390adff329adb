"""Any of the test servers in a daemon thread with its own event loop, for a test that blocks its own loop (a
busy UI) or calls a synchronous entry point (``asyncio.run`` inside the CLI)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any


class ServerThread:
    """Run an async-context-manager server (``HubServer(...)``, ``RawHub(...)``) in a daemon thread with its own
    event loop. ``with ServerThread(HubServer()) as hub:`` gives the entered server; :meth:`call` runs a
    coroutine function or a plain function on the server's loop and returns its result."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: Any = None
        self._ready: Any = None
        self._error: BaseException | None = None

    def __enter__(self) -> Any:
        import threading

        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="test-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise AssertionError("the server thread did not start")
        if self._error is not None:
            raise self._error
        return self.server

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        try:
            loop.run_until_complete(self.server.__aenter__())
        except BaseException as exc:  # reported by __enter__
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 10.0) -> Any:
        """``fn(*args)`` on the server's loop (awaited when it returns an awaitable); its result."""
        import concurrent.futures
        import inspect

        async def run() -> Any:
            value = fn(*args)
            return await value if inspect.isawaitable(value) else value

        assert self.loop is not None
        future: concurrent.futures.Future = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return future.result(timeout)

    def __exit__(self, *exc: object) -> None:
        if self.loop is None or self.loop.is_closed():
            return
        with contextlib.suppress(Exception):
            self.call(self.server.__aexit__, None, None, None)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
