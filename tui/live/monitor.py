"""The one owner of a live feed: the hub client, its event loop, the model and journal it fills, and the lock.

:class:`Monitor` runs the ingest side off the UI loop: :meth:`Monitor.run` is a coroutine that owns its own
event loop (the app runs it in a thread worker, so a crash reaches the app as the worker's state change, and
nothing is polled). Everything the UI reads goes through one door, :meth:`Monitor.read`, a context in which the
model holds still; widgets copy what their visible rows need there and paint from their copies. Everything the
UI asks of the feed (channels, reconnect, stop) is a call on the monitor, run on the feed's own loop. Plain
Python: no Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..model.cluster import Cluster
from ..protocol.items import Note
from .feed import Feed
from .view import LiveView

if TYPE_CHECKING:
    from ..settings import Settings
    from ..transport.client import HubClient


class Monitor:
    """Owns a :class:`~tui.transport.client.HubClient` feeding a :class:`~tui.live.feed.Feed`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.feed = Feed(Cluster(settings.server_hostname), settings.journal_size)
        self._client: HubClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = threading.Event()
        self._stop_asked = False
        #: the native id of the thread the feed runs in (a benchmark reads its CPU time)
        self.thread_id: int | None = None

    # ------------------------------------------------------------------ the ingest side

    async def run(self) -> None:
        """Connect and keep the feed live until :meth:`stop` (runs on its own loop, in its own thread)."""
        from ..transport.client import HubClient

        self._loop = asyncio.get_running_loop()
        self.thread_id = threading.get_native_id()
        try:
            self._client = HubClient(self.settings, self.feed)
        finally:
            self._started.set()
        if self._stop_asked:
            return
        try:
            await self._client.run()
        finally:
            await self._client.aclose()

    def stop(self, timeout: float = 3.0) -> None:
        """Ask the feed to close and wait up to ``timeout`` seconds for it (from any thread but the feed's)."""
        self._stop_asked = True
        self._call(lambda client: client.stop(), timeout=timeout)

    def set_channels(self, channels: tuple[str, ...]) -> None:
        """Change the subscription (unsubscribe in place, or reconnect to add one); errors become notes."""
        self._call(lambda client: client.set_channels(channels), what="the channel change")

    def reconnect(self) -> None:
        """Reconnect now, skipping what is left of a backoff wait."""
        self._call(lambda client: client.reconnect_now(), what="the reconnect")

    @property
    def client_id(self) -> str | None:
        return self._client.client_id if self._client is not None else None

    @property
    def wanted_channels(self) -> tuple[str, ...]:
        return self._client.channels if self._client is not None else tuple(self.settings.channels)

    @property
    def ready(self) -> bool:
        return self._client is not None

    def _call(self, make: Callable[[HubClient], Awaitable[Any]], *, what: str = "", timeout: float | None = None) -> None:
        loop, client = self._loop, self._client
        if loop is None or client is None or loop.is_closed():
            return

        async def guarded() -> None:
            try:
                await make(client)
            except Exception as exc:  # reported where the user looks: the log
                self.feed(Note(f"{what or 'that'} failed: {exc}", "error"))

        try:
            future = asyncio.run_coroutine_threadsafe(guarded(), loop)
        except RuntimeError:  # the loop closed meanwhile
            return
        if timeout is not None:
            with contextlib.suppress(Exception):
                future.result(timeout)

    # ------------------------------------------------------------------ the one door

    @contextlib.contextmanager
    def read(self) -> Iterator[LiveView]:
        """The model, the journal and the feed's figures, holding still while the block runs. Copy what is
        needed and leave: the feed waits meanwhile."""
        with self.feed.lock:
            yield LiveView(self.feed, self)
