"""``hubtop record``'s consumer: every item a hub client delivers written to a recording (:mod:`.recording`),
with a :class:`~tui.live.feed.Feed` beside it (the model a rotated part starts from, and the resyncs the model
asks for, which the recording then holds too).

Frames are written as they came (a refused one whole: the recorder takes ``BadFrame``), those of one read
from the socket in one line. The file is flushed at most once a second (a crash loses at most that), and with
``rotate_bytes`` a part that grew past it is closed and the next one begun with the header and the model's
listing, so that every part replays on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from ..protocol.items import Consumer, Snapshot
from ..protocol.parse import Event
from ..transport.frames import BadFrame
from .feed import Feed
from .recording import binary_record, dumps, header, item_record, listing, open_new, part_path, snapshot_line

#: the least time between two flushes of the file
FLUSH_S = 1.0


class RecordingWriter:
    """Writes a recording, rotating by size (``rotate_bytes``, on disk: compressed for ``.gz``)."""

    def __init__(self, path: str | Path, *, url: str = "", channels: Sequence[str] = (),
                 rotate_bytes: int | None = None, listing_of: Callable[[], Snapshot] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.url = url
        self.channels = tuple(channels)
        self.rotate_bytes = rotate_bytes
        #: the model's listing now, for the start of a rotated part (read under the feed's lock)
        self.listing_of = listing_of
        self.clock = clock
        self.part = 0
        self.paths: list[Path] = []
        self.frames = 0
        self.lines = 0
        self._out: IO[str] | None = None
        self._raw: Any = None
        self._written = 0
        self._flushed_at = clock()
        self._dirty = False
        self._open(0)

    def _open(self, part: int) -> None:
        path = part_path(self.path, part)
        self._out = open_new(path)  # never an existing file: FileExistsError says so
        self.paths.append(path)
        self.part = part
        self._written = 0
        buffer = getattr(self._out, "buffer", None)
        self._raw = getattr(buffer, "myfileobj", None) or getattr(buffer, "raw", None) or buffer
        self.write_line(dumps(header(source="record", url=self.url, channels=self.channels, part=part)))

    def write_line(self, line: str) -> None:
        assert self._out is not None
        self._out.write(line)
        self._out.write("\n")
        self._written += len(line) + 1
        self.lines += 1
        self._dirty = True

    def size(self) -> int:
        """Bytes of the current part: on disk for a compressed one (what was flushed to it), written otherwise."""
        if self.path.name.endswith(".gz") and self._raw is not None:
            try:
                return self._raw.tell()
            except (OSError, ValueError):
                return self._written
        return self._written

    def write_items(self, items: Sequence[Any]) -> None:
        """A burst of items: its frames (one line per arrival time), the rest a line each."""
        burst: list[str] = []
        burst_at = None
        for item in items:
            cls = item.__class__
            text = None
            if cls is str:
                text, at = item, time.time()
            elif cls is Event:
                text, at = item.raw, item.received_at
            elif cls is BadFrame:
                data, at = item.data, item.received_at
                if isinstance(data, str):
                    text = data
                else:
                    self._frames_line(burst, burst_at)
                    burst = []
                    self.frames += 1
                    self.write_line(dumps(binary_record(at, data)))
                    continue
            if text is not None:
                if burst and at != burst_at:
                    self._frames_line(burst, burst_at)
                    burst = []
                burst.append(text)
                burst_at = at
                continue
            self._frames_line(burst, burst_at)
            burst = []
            if cls is Snapshot:
                self.write_line(snapshot_line(item))
            else:
                rec = item_record(item)
                if rec is not None:
                    if rec["k"] == "malformed":
                        self.frames += 1
                    self.write_line(dumps(rec))
        self._frames_line(burst, burst_at)
        self.tick()

    def _frames_line(self, burst: list[str], at: float | None) -> None:
        if burst:
            self.frames += len(burst)
            self.write_line(dumps({"k": "frames", "at": at, "frames": burst}))

    def tick(self) -> None:
        """Flush if a second has passed since the last flush; rotate if the part is full."""
        now = self.clock()
        if self._dirty and now - self._flushed_at >= FLUSH_S:
            self.flush()
        if self.rotate_bytes and self.size() >= self.rotate_bytes:
            self.rotate()

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()
            self._flushed_at = self.clock()
            self._dirty = False

    def rotate(self) -> None:
        """Close this part and begin the next with the header and the model's listing."""
        self.close()
        self._open(self.part + 1)
        if self.listing_of is not None:
            self.write_line(snapshot_line(self.listing_of(), rotation=True))
        self.flush()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


class Recorder(Consumer):
    """A hub client's consumer that records everything it delivers and keeps a model of it."""

    takes_bad_frames = True

    def __init__(self, writer: RecordingWriter, feed: Feed | None = None) -> None:
        self.writer = writer
        self.feed = feed or Feed()
        if writer.listing_of is None:
            writer.listing_of = self._listing

    def _listing(self) -> Snapshot:
        with self.feed.lock:
            return listing(self.feed.cluster)

    def deliver(self, items: Sequence[Any]) -> None:
        # the model first: a part that rotates after these items begins with a listing that has them
        self.feed.deliver([item.malformed if item.__class__ is BadFrame else item for item in items])
        self.writer.write_items(items)

    def resync_due(self) -> str | None:
        return self.feed.resync_due()
