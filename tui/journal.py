"""A bounded journal of what arrived: events, malformed frames, reconnect gaps and notes, with sequence
numbers, arrival times and counters. Plain Python, no Textual."""

from __future__ import annotations

import json
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from .hub.parse import Event, Malformed, Note

DEFAULT_SIZE = 10_000


@dataclass(slots=True)
class Gap:
    """The feed was down from ``started`` to ``ended``; the snapshot taken after it changed ``changes`` things."""

    started: float
    ended: float
    changes: int
    reason: str = ""
    seq: int = 0
    received_at: float = field(default_factory=time.time)

    @property
    def text(self) -> str:
        a = datetime.fromtimestamp(self.started).strftime("%H:%M:%S")
        b = datetime.fromtimestamp(self.ended).strftime("%H:%M:%S")
        return f"disconnected {a}-{b}, resynced: {self.changes} changes"


Entry = Event | Malformed | Gap | Note


class Journal:
    """Ring of the last ``size`` entries. ``seq`` numbers every entry from 1; counters cover all frames ever
    received, not only those still in the ring: ``received == applied + malformed + duplicates``."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = max(1, int(size))
        self.entries: deque[Entry] = deque(maxlen=self.size)
        self.seq = 0
        self.received = 0
        self.applied = 0
        self.malformed = 0
        self.duplicates = 0
        self.by_channel: Counter[str] = Counter()

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
        :meth:`Event.typed_body`)."""
        self.seq += 1
        entry.seq = self.seq
        cls = entry.__class__
        if cls is Event:
            entry.release()
            self.received += 1
            self.by_channel[entry.event_type] += 1
            if entry.duplicate:
                self.duplicates += 1
            else:
                self.applied += 1
        elif cls is Malformed:
            self.received += 1
            self.malformed += 1
        self.entries.append(entry)
        return entry

    def get(self, seq: int) -> Entry | None:
        index = seq - self.first_seq
        if 0 <= index < len(self.entries):
            return self.entries[index]
        return None

    def counters(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "applied": self.applied,
            "malformed": self.malformed,
            "duplicates": self.duplicates,
            "by_channel": dict(sorted(self.by_channel.items())),
        }

    # ------------------------------------------------------------------ export

    def export(self, path: str | Path) -> int:
        """Write every entry still held as JSON lines, oldest first. Returns the number of lines."""
        target = Path(path).expanduser()
        with target.open("w", encoding="utf-8") as fh:
            return self.write_jsonl(fh)

    def write_jsonl(self, fh: IO[str]) -> int:
        return write_entries(fh, list(self.entries))


def write_entries(fh: IO[str], entries: Iterable[Entry]) -> int:
    """Write entries as JSON lines (the export format); returns how many."""
    n = 0
    for entry in entries:
        record = entry_record(entry)
        try:
            fh.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
        except UnicodeEncodeError:
            # a frame may carry a JSON-escaped lone surrogate ("\udc80"): legal JSON, but no UTF-8 file can
            # hold it raw. Escaped, the line is still valid JSON and reads back to the same frame.
            fh.write(json.dumps(record, separators=(",", ":"), ensure_ascii=True) + "\n")
        n += 1
    return n


def entry_record(entry: Entry) -> dict[str, Any]:
    """One journal entry as a JSON-able dict (the export format)."""
    if isinstance(entry, Event):
        rec: dict[str, Any] = {"seq": entry.seq, "received_at": entry.received_at, "kind": "event"}
        if entry.duplicate:
            rec["duplicate"] = True
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
            "started": entry.started,
            "ended": entry.ended,
            "changes": entry.changes,
            "reason": entry.reason,
            "text": entry.text,
        }
    return {"seq": entry.seq, "received_at": entry.received_at, "kind": "note", "level": entry.level, "text": entry.text}
