"""A bounded journal of what arrived: events, malformed frames, gaps (outages, suspected losses, resyncs) and
notes, with sequence numbers, arrival times and counters. Plain Python, no Textual.

Bounded every way a server could grow it: entries (``size``), bytes of frame text kept (a hostile server's
16 MiB frames do not make a 10,000-entry journal 160 GiB: past :data:`BYTES_BUDGET` of large frames the
oldest entries go early), and the per-channel counters (at most :data:`MAX_CHANNELS` names, the rest counted as ``other``).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from ..protocol.parse import Event, Malformed, Note

DEFAULT_SIZE = 10_000
#: the most bytes of large frames' text the journal keeps (an entry is ~1 KB: 10,000 of them are ~10 MB)
BYTES_BUDGET = 64 * 1024 * 1024
#: a frame this large or larger counts against BYTES_BUDGET; smaller ones are bounded by the entry count alone
#: (10,000 of them at most 40 MiB)
LARGE = 4096
#: channel names counted one by one; any further name a server invents is counted as OTHER
MAX_CHANNELS = 32
OTHER = "other"


class GapKind(StrEnum):
    DISCONNECTED = "disconnected"  # the feed was down from ``started`` to ``ended``
    LOSS = "loss"  # frames may have been lost (a full flush of the server's queue)
    RESYNC = "resync"  # the listings were taken again to settle the model


def clock_text(ts: float) -> str:
    """A time of day for a journal row (local time)."""
    return datetime.fromtimestamp(ts).strftime("%H:%M:%S")


@dataclass(slots=True)
class Gap:
    """A hole in what hubtop saw: an outage, a suspected loss, or the resync that settled one."""

    started: float
    ended: float
    changes: int
    reason: str = ""
    seq: int = 0
    received_at: float = field(default_factory=time.time)
    kind: GapKind = GapKind.DISCONNECTED

    @property
    def text(self) -> str:
        if self.kind is GapKind.LOSS:
            return f"frames may have been lost at {clock_text(self.started)} ({self.reason}); resyncing"
        if self.kind is GapKind.RESYNC:
            return f"resynced ({self.reason}): {self.changes} change{'s' if self.changes != 1 else ''}"
        why = f" ({self.reason})" if self.reason else ""
        return (f"disconnected {clock_text(self.started)}-{clock_text(self.ended)}{why}, resynced: "
                f"{self.changes} change{'s' if self.changes != 1 else ''}")


Entry = Event | Malformed | Gap | Note


class Journal:
    """Ring of the last ``size`` entries. ``seq`` numbers every entry from 1; counters cover all frames ever
    received, not only those still in the ring: ``received == applied + malformed + duplicates + late``."""

    def __init__(self, size: int = DEFAULT_SIZE, bytes_budget: int = BYTES_BUDGET) -> None:
        self.size = max(1, int(size))
        self.bytes_budget = bytes_budget
        self.entries: deque[Entry] = deque(maxlen=self.size)
        self.seq = 0
        self.received = 0
        self.applied = 0
        self.malformed = 0
        self.duplicates = 0
        self.late = 0
        self.gaps = 0
        self.suspected_losses = 0
        self.by_channel: Counter[str] = Counter()
        #: bytes of the large frames held, and how many there are (frames under LARGE are bounded by the count)
        self._bytes = 0
        self._large = 0

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    @property
    def first_seq(self) -> int:
        """The seq of the oldest entry still held (0 when empty)."""
        return self.seq - len(self.entries) + 1 if self.entries else 0

    @property
    def evicted(self) -> int:
        return self.seq - len(self.entries)

    def append(self, entry: Entry) -> Entry:
        """Add an entry (an event's typed body is released: the journal keeps events compact; readers use
        :meth:`Event.typed_body`). At 20,000 events a second this is on the hot path: a frame of ordinary size
        costs a few attribute updates; only large frames take the byte accounting's slow path."""
        self.seq = seq = self.seq + 1
        entry.seq = seq
        cls = entry.__class__
        if cls is Event:
            entry.released = True  # what Event.release does, without the call
            entry.body = None
            self.received += 1
            channel = entry.event_type
            by_channel = self.by_channel
            n = by_channel.get(channel)
            if n is not None:
                by_channel[channel] = n + 1
            elif len(by_channel) < MAX_CHANNELS:
                by_channel[channel] = 1
            else:
                by_channel[OTHER] += 1
            if entry.duplicate:
                self.duplicates += 1
            elif entry.late:
                self.late += 1
            else:
                self.applied += 1
            size = len(entry.raw)
        elif cls is Malformed:
            self.received += 1
            self.malformed += 1
            size = len(entry.excerpt)
        else:
            if cls is Gap:
                self.gaps += 1
                if entry.kind is GapKind.LOSS:
                    self.suspected_losses += 1
            size = 0
        if size < LARGE and not self._large:  # the common case: the ring's own bound is enough
            self.entries.append(entry)
        else:
            self._append_counted(entry, size)
        return entry

    def _append_counted(self, entry: Entry, size: int) -> None:
        """Append with large frames' bytes counted: past :data:`bytes_budget` the oldest entries go early."""
        entries = self.entries
        if len(entries) == self.size:
            self._forget(entries[0])
        entries.append(entry)
        if size >= LARGE:
            self._bytes += size
            self._large += 1
        while self._bytes > self.bytes_budget and len(entries) > 1:
            self._forget(entries.popleft())

    def _forget(self, entry: Entry) -> None:
        cls = entry.__class__
        size = len(entry.raw) if cls is Event else len(entry.excerpt) if cls is Malformed else 0
        if size >= LARGE:
            self._bytes -= size
            self._large -= 1

    def get(self, seq: int) -> Entry | None:
        index = seq - self.first_seq
        if 0 <= index < len(self.entries):
            return self.entries[index]
        return None

    def export(self, path: str | Path) -> int:
        """Write every entry still held as JSON lines, oldest first, to a new file (never an existing one,
        never through a symlink, mode 0600). Returns the number of lines."""
        with open_exclusive(Path(path).expanduser()) as fh:
            return write_entries(fh, list(self.entries))

    def counters(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "applied": self.applied,
            "malformed": self.malformed,
            "duplicates": self.duplicates,
            "late": self.late,
            "gaps": self.gaps,
            "suspected_losses": self.suspected_losses,
            "by_channel": dict(sorted(self.by_channel.items())),
        }


# ------------------------------------------------------------------ export


def open_exclusive(path: Path) -> IO[str]:
    """A new file for writing, never an existing one, never through a symlink, readable by its owner only
    (an export holds what the server sent; a name someone else planted is not followed)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


def write_entries(fh: IO[str], entries: Iterable[Entry]) -> int:
    """Write entries as JSON lines (the export format); returns how many. ASCII-escaped: a line holds no raw
    control or format character, whatever the server sent."""
    n = 0
    for entry in entries:
        fh.write(json.dumps(entry_record(entry), separators=(",", ":"), ensure_ascii=True) + "\n")
        n += 1
    return n


def entry_record(entry: Entry) -> dict[str, Any]:
    """One journal entry as a JSON-able dict (the export format)."""
    if isinstance(entry, Event):
        rec: dict[str, Any] = {"seq": entry.seq, "received_at": entry.received_at, "kind": "event"}
        if entry.duplicate:
            rec["duplicate"] = True
        if entry.late:
            rec["late"] = True
        rec["frame"] = entry.as_json()
        return rec
    if isinstance(entry, Malformed):
        return {
            "seq": entry.seq,
            "received_at": entry.received_at,
            "kind": "malformed",
            "reason": entry.reason,
            "size": entry.size,
            "excerpt": entry.excerpt,
        }
    if isinstance(entry, Gap):
        return {
            "seq": entry.seq,
            "received_at": entry.received_at,
            "kind": "gap",
            "gap": entry.kind.value,
            "started": entry.started,
            "ended": entry.ended,
            "changes": entry.changes,
            "reason": entry.reason,
            "text": entry.text,
        }
    return {"seq": entry.seq, "received_at": entry.received_at, "kind": "note", "level": entry.level, "text": entry.text}
