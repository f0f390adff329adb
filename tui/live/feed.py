"""The ingest path: client items -> cluster model + journal. Plain Python, no Textual.

One :class:`Feed` is the ``sink`` of a :class:`~tui.transport.client.HubClient`. It applies events to the
:class:`~tui.model.cluster.Cluster`, appends everything to the :class:`~tui.model.journal.Journal`, turns a snapshot
after a drop into a gap row, and keeps the connection state and a rate estimate for a status bar. Readers
on another thread take ``feed.lock`` while they read the model.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from ..model.cluster import Cluster
from ..model.journal import DEFAULT_SIZE, Gap, GapKind, Journal
from ..protocol.items import Consumer, Item, Loss, Snapshot, Status
from ..protocol.parse import Event, Malformed, Note

RATE_WINDOW = 5.0  # seconds over which ev/s is measured
#: the server queues at most this many frames per client and flushes every 100 ms
SERVER_QUEUE = 2048
SERVER_FLUSH_S = 0.1
#: warn when the rate stays above this share of what the server can queue
OVERLOAD_SHARE = 0.8


class Feed(Consumer):
    def __init__(self, cluster: Cluster | None = None, journal_size: int = DEFAULT_SIZE,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cluster = cluster or Cluster()
        #: the monotonic clock the rate is measured with (a test drives it to check the overload warning)
        self.clock = clock
        self.journal = Journal(journal_size)
        self.lock = threading.Lock()
        self.status: Status | None = None
        self.snapshots = 0
        self.resyncs = 0
        #: when the last burst of frames arrived (hubtop's clock), ``None`` before the first
        self.last_frame_at: float | None = None
        self.notes: deque[Note] = deque(maxlen=50)
        self.last_gap: Gap | None = None
        # the rates come from the journal's counters as they stood when each second began:
        # (second, frames received before it, events per channel before it); one entry a busy second
        self._marks: deque[tuple[int, int, dict[str, int]]] = deque(maxlen=4 * int(RATE_WINDOW))
        self._second = -1

    # ------------------------------------------------------------------ ingest

    def __call__(self, item: Item) -> None:
        with self.lock:
            self.handle(item)

    def resync_due(self) -> str | None:
        """Whether the model wants the listings taken again now (asked after each burst)."""
        cluster = self.cluster
        if not cluster.resync_pending:
            return None
        with self.lock:
            return cluster.take_resync()

    def deliver(self, items) -> None:
        self.many(items)

    def many(self, items: list[Item]) -> None:
        """Handle a burst (the frames of one read from the socket) under one lock: what :meth:`handle` does
        for each item, with the per-second mark checked once (the frames of one read arrive together)."""
        self.last_frame_at = time.time()
        with self.lock:
            if int(self.clock()) != self._second:
                self._mark()
            apply = self.cluster.apply
            append = self.journal.append
            handle = self.handle
            for item in items:
                if item.__class__ is Event:
                    apply(item)
                    append(item)
                    if item.problems:
                        self._body_problems(item)
                else:
                    handle(item)

    def handle(self, item: Item) -> None:
        cls = item.__class__
        if cls is Event:
            if int(self.clock()) != self._second:
                self._mark()
            self.cluster.apply(item)
            self.journal.append(item)
            if item.problems:
                self._body_problems(item)
        elif cls is Malformed:
            if int(self.clock()) != self._second:
                self._mark()
            self.journal.append(item)
        elif cls is Status:
            self.status = item
        elif cls is Snapshot:
            self._snapshot(item)
        elif cls is Loss:
            if int(self.clock()) != self._second:
                self._mark()
            self.journal.append(Gap(item.at, item.at, 0, f"a full {item.frames:,}-frame flush", kind=GapKind.LOSS))
        elif cls is Note:
            self.notes.append(item)
            self.journal.append(item)

    def _body_problems(self, event: Event) -> None:
        """Fields of a body that could not be read: each (host, message, field) noted once."""
        keys = [(event.host_id or "?", f"{event.message}: {name}") for name in event.problems]
        for text in self.cluster.note_problems(keys, self.cluster.unreadable_records):
            self.journal.append(Note(f"a field of an event could not be read and was left out: {text}", "warning"))

    def _snapshot(self, item: Snapshot) -> None:
        cluster = self.cluster
        changes = cluster.load_snapshot(item.hosts, item.vms, item.at, since=item.since, problems=item.problems)
        for text in cluster.note_problems(item.problems, item.unreadable):
            self.handle(Note(f"a record field could not be read and was left out: {text}", "warning"))
        if item.unreadable:
            self.handle(Note(f"{item.unreadable} host record(s) could not be read at all", "error"))
        self.snapshots += 1
        if item.resync is not None:
            self.resyncs += 1
            self.journal.append(Gap(item.since or item.at, item.at, changes, item.resync, kind=GapKind.RESYNC))
        elif item.down_since is not None:
            gap = Gap(item.down_since, item.at, changes, item.reason)
            self.last_gap = gap
            self.journal.append(gap)

    def _mark(self) -> None:
        """A new second began: note the counters as they stand (before this frame is counted)."""
        self._second = second = int(self.clock())
        journal = self.journal
        self._marks.append((second, journal.received, dict(journal.by_channel)))

    def _counted_before(self, second: int, channel: str | None) -> int:
        """Frames (or a channel's events) received before ``second`` began."""
        for mark_second, received, by_channel in self._marks:
            if mark_second >= second:
                return received if channel is None else by_channel.get(channel, 0)
        journal = self.journal  # nothing has arrived since: everything so far came before
        return journal.received if channel is None else journal.by_channel.get(channel, 0)

    def _rate_of(self, channel: str | None, now: float) -> float:
        """Frames a second over the last RATE_WINDOW whole seconds."""
        second = int(now)
        window = int(RATE_WINDOW)
        return (self._counted_before(second, channel) - self._counted_before(second - window, channel)) / window

    def rate(self, now: float | None = None) -> float:
        """Frames per second over the last few whole seconds."""
        return self._rate_of(None, self.clock() if now is None else now)

    def channel_rate(self, channel: str, now: float | None = None) -> float:
        return self._rate_of(channel, self.clock() if now is None else now)

    def overloaded(self, now: float | None = None) -> bool:
        """True when the rate stays near what the server can queue per client (it may be dropping events)."""
        return self.rate(now) >= OVERLOAD_SHARE * SERVER_QUEUE / SERVER_FLUSH_S
