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
    """Owns a :class:`~tui.transport.client.HubClient` feeding a :class:`~tui.live.feed.Feed`.

    ``source``, when given, is called with the feed on the feed's own loop to make what feeds it instead of a
    hub client: a :class:`~tui.live.replay.ReplaySource` (``hubtop replay``), e.g.
    ``Monitor(settings, source=lambda feed: ReplaySource(path, feed, speed=1.0, linger=True))``. It needs the
    client's face that the monitor calls (``run``, ``stop``, ``aclose``, ``set_channels``, ``reconnect_now``,
    ``client_id``, ``channels``); a replay also has the recorded clock and pause (:attr:`recorded_clock`,
    :attr:`paused`, :meth:`pause`, :meth:`resume`), which are ``None`` / ``False`` / no-ops on a live feed."""

    def __init__(self, settings: Settings, source: Callable[[Feed], Any] | None = None) -> None:
        self.settings = settings
        self.feed = Feed(Cluster(settings.server_hostname), settings.journal_size)
        self._source = source
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
            self._client = self._source(self.feed) if self._source else HubClient(self.settings, self.feed)
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

    # ------------------------------------------------------------------ a replay's clock and pause

    @property
    def replaying(self) -> bool:
        """The feed comes from a recording (a ``source`` with a recorded clock), not from a hub."""
        return self._source is not None and hasattr(self._client, "clock")

    @property
    def recorded_clock(self) -> float | None:
        """A replay's clock: the recorded arrival time (Unix seconds) of the last item replayed; ``None`` live
        or before the first item."""
        return getattr(self._client, "clock", None) if self._source is not None else None

    @property
    def paused(self) -> bool:
        return bool(getattr(self._client, "paused", False)) if self._source is not None else False

    def pause(self) -> None:
        """Hold a replay where it is (the recorded clock stops); nothing on a live feed. Any thread."""
        if self._source is not None and hasattr(self._client, "pause"):
            self._client.pause()  # type: ignore[union-attr]

    def resume(self) -> None:
        """Go on with a held replay from where it stopped; nothing on a live feed. Any thread."""
        if self._source is not None and hasattr(self._client, "resume"):
            self._client.resume()  # type: ignore[union-attr]

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

    def activity(self) -> tuple[int, int, int]:
        """A cheap sign that something moved (the journal's length, the model's version, the status): read
        without the lock, to decide whether the UI has anything to do. What moved is read through :meth:`read`."""
        feed = self.feed
        return feed.journal.seq, feed.cluster.version, id(feed.status)

    # ------------------------------------------------------------------ the one door

    @contextlib.contextmanager
    def read(self) -> Iterator[LiveView]:
        """The model, the journal and the feed's figures, holding still while the block runs. Copy what is
        needed and leave: the feed waits meanwhile."""
        with self.feed.lock:
            yield LiveView(self.feed, self)
