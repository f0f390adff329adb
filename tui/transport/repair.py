"""Keeping a live session right on the real server: frames the server's full queue dropped (a burst of a whole
queue is the sign), the listings taken again when the model asks (one resync at a time, rate-bounded), and the
client id learned even when the server's queue evicted the confirmation. The repair half of
:class:`~tui.transport.client.HubClient`."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from typing import TYPE_CHECKING

from websockets.exceptions import ConnectionClosed

from ..protocol.errors import HubError
from ..protocol.items import ConnState, Loss, Note, Snapshot
from .support import Fatal

if TYPE_CHECKING:
    from .connection import FrameConnection

PING = json.dumps({"event_type": "health", "message": "ping"})
#: what a ping with an id (``ping_ids``) carries before its number: the pong's ``ref_id`` is that id
PING_ID_PREFIX = "hubtop-ping-"
CLIENT_ID_REQUEST = json.dumps({"event_type": "system", "message": "client-id"})
#: the server's per-client queue: a burst of this many frames means the oldest may have been dropped
SERVER_QUEUE = 2048
#: a pause between socket reads at least this long ends a burst (the server flushes every 100 ms)
BURST_GAP_S = 0.03
#: the least time between two resyncs, and the most it grows to while they keep being asked for
RESYNC_MIN_S, RESYNC_MAX_S = 5.0, 60.0
#: asking for the client id again while the server has not answered (seconds, doubling)
CLIENT_ID_RETRY_S, CLIENT_ID_RETRY_MAX_S = 1.0, 30.0


class Repair:
    """The attributes are the client's (see :class:`~tui.transport.client.HubClient`).

    The app-level ping's round trip: ``ping_rtt`` is the seconds from the last ping sent to its pong (``None``
    until one came back). With ``ping_ids`` each ping carries an ``id`` and only the pong whose ``ref_id`` is
    that id counts (the server echoes it); without, the first pong after the ping does (one ping is out at a
    time). ``pings_sent`` and ``pongs`` count them."""

    ping_ids = False
    ping_rtt: float | None = None
    pings_sent = 0
    pongs = 0
    _ping_id: str | None = None
    _ping_sent_at = 0.0
    _ping_numbers = itertools.count(1)

    def _ping_frame(self) -> str:
        """The next ping to send (noting when it went)."""
        self.pings_sent += 1
        self._ping_sent_at = time.monotonic()
        if not self.ping_ids:
            self._ping_id = None
            return PING
        self._ping_id = f"{PING_ID_PREFIX}{next(self._ping_numbers)}"
        return json.dumps({"id": self._ping_id, "event_type": "health", "message": "ping"})

    def _on_pong(self, ref_id: str | None) -> None:
        """A pong arrived: the connection is alive; it times the round trip of the ping it answers."""
        self.pongs += 1
        if self._ping_sent_at and (self._ping_id is None or ref_id == self._ping_id):
            self.ping_rtt = time.monotonic() - self._ping_sent_at
            self._ping_sent_at = 0.0
        self._pong.set()

    def request_resync(self, reason: str) -> None:
        """Take the listings again (on this client's loop): at most one at a time, and no sooner than the
        last one plus a wait that doubles (up to :data:`RESYNC_MAX_S`) while resyncs keep being asked for."""
        if self._ws is None or not self.take_snapshot:
            return
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_reason = self._resync_reason or reason  # one more after the one under way
            return
        self._resync_task = asyncio.get_running_loop().create_task(self._resync(reason))

    def _count_burst(self, frames: int, now: float) -> Loss | None:
        """A full flush of the server's queue (:data:`SERVER_QUEUE` frames with no pause between reads) is
        the one sign that it dropped the oldest. Counting starts after the first pause once live: what waited
        in the socket during the listings is not a flush."""
        if now - self._burst_at >= BURST_GAP_S:
            self._burst, self._burst_flagged, self._counting = 0, False, True
        self._burst_at = now
        if not self._counting:
            return None
        self._burst += frames
        if self._burst >= SERVER_QUEUE and not self._burst_flagged:
            self._burst_flagged = True
            self.request_resync(f"a full {SERVER_QUEUE:,}-frame flush: frames may have been lost")
            return Loss(self._burst)
        return None

    async def _listings(self, since: float | None = None, why: str | None = None) -> Snapshot:
        """The REST listings as a :class:`Snapshot` (``since``/``why`` for a resync)."""
        try:
            listings = await self.rest.listings()
        except HubError as err:
            if err.kind == "not_found":  # a host without the orchestrator: pdfm events only
                self._emit(Note(f"no orchestrator listing on this server ({err.status}); "
                                "showing live events only", "info"))
                return Snapshot([], [], resync=why, since=since)
            raise Fatal(err) from None
        return Snapshot(listings.hosts, listings.vms, resync=why, since=since, problems=listings.problems,
                        unreadable=listings.unreadable)

    async def _resync(self, reason: str) -> None:
        """One resync: wait out the rate bound, take the listings, hand them over; then any asked for meanwhile."""
        loop = asyncio.get_running_loop()
        while True:
            wait = self._resync_last + self._resync_gap - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            # resyncs asked for soon after the last one double the wait before the next (a storm costs little)
            recent = loop.time() - self._resync_last < 2 * self._resync_gap
            self._resync_gap = min(RESYNC_MAX_S, self._resync_gap * 2) if recent else RESYNC_MIN_S
            await self._drained()
            self._resync_last = loop.time()
            since = time.time()
            try:
                snapshot = await self._listings(since, reason)
            except Fatal as fatal:
                self._emit(Note(f"resync failed ({reason}): {fatal.error}", "warning"))
            else:
                self._emit(snapshot)
                del snapshot
            reason, self._resync_reason = self._resync_reason, None
            if reason is None:
                return

    async def _drained(self) -> None:
        """Wait while frames keep coming without a pause (at most :data:`RESYNC_MAX_S`): a server whose queue
        is still overflowing keeps dropping, so listings taken now would be stale at once, and reading them
        competes with the flood (20,000 real VM records are ~90 MB). Once the burst ends they settle it."""
        deadline = time.monotonic() + RESYNC_MAX_S
        while (now := time.monotonic()) < deadline and now - self._burst_at < BURST_GAP_S:
            await asyncio.sleep(BURST_GAP_S)

    def _learned_id(self, client_id: str) -> None:
        """The client id arrived (the answer to a ``client-id`` request): unsubscribing works again."""
        self.client_id = client_id
        if self._id_task is not None:
            self._id_task.cancel()
            self._id_task = None
        self._status(ConnState.CONNECTED, "connected")
        if self.channels != tuple(c for c in self.subscriptions if c != "global"):
            asyncio.get_running_loop().create_task(self.set_channels(self.channels))

    async def _ask_client_id(self, ws: FrameConnection) -> None:
        """Ask for the client id until it is learned (an answer can be evicted too), waiting longer each time."""
        wait = CLIENT_ID_RETRY_S
        with contextlib.suppress(ConnectionClosed, asyncio.CancelledError):
            while self.client_id is None:
                await ws.send(CLIENT_ID_REQUEST)
                await asyncio.sleep(wait)
                wait = min(CLIENT_ID_RETRY_MAX_S, wait * 2)

    async def _heartbeat(self, ws: FrameConnection) -> None:
        s = self.settings
        try:
            while True:
                await asyncio.sleep(s.ping_interval)
                self._pong.clear()
                await ws.send(self._ping_frame())
                try:
                    await asyncio.wait_for(self._pong.wait(), s.pong_timeout)
                except TimeoutError:
                    if "health" not in self.subscriptions:
                        # older servers answer pings only on the health channel: the protocol-level
                        # keepalive still guards this connection
                        continue
                    self._drop_note = f"no pong within {s.pong_timeout:g} s; reconnecting"
                    ws.transport.abort()
                    return
        except (ConnectionClosed, asyncio.CancelledError):
            return
