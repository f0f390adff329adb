"""Search and mute over the event log: which journal entries a filtered log shows, and where to highlight.

``HOST_STATS_UPDATE`` is most of a busy log's rows, and unsubscribing from its channel would also freeze the
tree, so a :class:`MuteList` hides message types (or whole channels) from the log only: the model still
applies every event. A search (plain or regex, case-insensitive; :mod:`.matcher`) keeps the rows whose
message, host label, VM label or frame text matches; notes, gaps and malformed frames are searched by the
text their row shows, and are never muted (they are hubtop's own word on what happened).

A :class:`LogFilter` scans the journal once (10,000 entries within a keystroke), then only what arrived since
(:meth:`LogFilter.scan` each tick), and drops what left the journal. It records matching seqs only; the spans
to highlight are worked out for the rows on screen (:meth:`LogFilter.hit`), over the same safe text a row
shows (:func:`row_text`, ``clean`` of the message and labels), so the offsets are the row's offsets.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice

from ..protocol.parse import Event, Malformed
from ..protocol.text import clean
from .journal import Entry, Journal
from .matcher import Matcher, Span

__all__ = ["MAX_MUTED", "LogFilter", "LogHit", "MuteList", "mute_key", "row_text"]

#: the most message types and channels muted at once
MAX_MUTED = 64
#: the longest name kept in a mute list
MAX_NAME = 200
CHANNEL_PREFIX = "channel:"

Labels = Callable[[str | None, str | None], tuple[str, str]]


def mute_key(entry: Entry) -> str | None:
    """What ``m`` on a row mutes: an event's message type; ``None`` for rows that cannot be muted."""
    return entry.message if entry.__class__ is Event else None


def row_text(entry: Entry) -> str:
    """The text a note, gap or malformed row shows after its symbol, safe (search spans are offsets into it);
    an event's message (its row shows more fields: see :meth:`LogFilter.hit`)."""
    cls = entry.__class__
    if cls is Event:
        return clean(entry.message)
    if cls is Malformed:
        return clean(f"malformed frame ({entry.reason}): {entry.excerpt}")
    return clean(entry.text)  # Gap, Note


class MuteList:
    """Message types and channels whose events the log hides (without unsubscribing)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.types: set[str] = set()
        self.channels: set[str] = set()
        #: bumped by every change (a filtered view scans again)
        self.version = 0
        for name in names:
            self.add(name)

    def __len__(self) -> int:
        return len(self.types) + len(self.channels)

    def __bool__(self) -> bool:
        return bool(self.types or self.channels)

    def __contains__(self, name: object) -> bool:
        return name in self.types or (isinstance(name, str) and name.startswith(CHANNEL_PREFIX)
                                      and name[len(CHANNEL_PREFIX):] in self.channels)

    def add(self, name: str) -> bool:
        """Mute a message type, or a channel as ``channel:<name>``. ``False`` when it cannot be (empty, too
        long, or the list is full)."""
        if not isinstance(name, str) or not name or len(name) > MAX_NAME or len(self) >= MAX_MUTED:
            return name in self
        if name.startswith(CHANNEL_PREFIX):
            channel = name[len(CHANNEL_PREFIX):].lower()
            if not channel:
                return False
            self.channels.add(channel)
        else:
            self.types.add(name)
        self.version += 1
        return True

    def remove(self, name: str) -> None:
        if name.startswith(CHANNEL_PREFIX):
            self.channels.discard(name[len(CHANNEL_PREFIX):].lower())
        else:
            self.types.discard(name)
        self.version += 1

    def toggle(self, name: str) -> bool:
        """Mute or unmute ``name``; returns whether it is muted now."""
        if name in self:
            self.remove(name)
            return False
        return self.add(name)

    def hides(self, entry: Entry) -> bool:
        return entry.__class__ is Event and (entry.message in self.types or entry.event_type in self.channels)

    def names(self) -> list[str]:
        """Everything muted, as stored (and as :meth:`add` takes it back), sorted: for the saved state."""
        return sorted(self.types) + sorted(CHANNEL_PREFIX + c for c in self.channels)

    def shown(self) -> list[str]:
        """:meth:`names`, safe for a terminal (message types are the server's words)."""
        return [clean(name, 80) for name in self.names()]


@dataclass(slots=True)
class LogHit:
    """Where a row matched: spans in its safe message, host label and VM label (an event), or in
    :func:`row_text` (any other row); ``body`` when the frame's text matched."""

    seq: int
    message: tuple[Span, ...] = ()
    host: tuple[Span, ...] = ()
    vm: tuple[Span, ...] = ()
    body: bool = False


def _no_labels(host_id: str | None, vm_id: str | None) -> tuple[str, str]:
    return (host_id or "")[:8], (vm_id or "")[:8]


class LogFilter:
    """The rows a searched and muted log shows. Create one per search text and mute list; :meth:`scan` it
    inside ``Monitor.read`` (the journal is the feed thread's)."""

    def __init__(self, matcher: Matcher | None = None, mute: MuteList | None = None) -> None:
        self.matcher = matcher
        self.mute = mute
        self._mute_version = mute.version if mute is not None else 0
        #: the seqs of the rows shown, oldest first
        self.seqs: list[int] = []
        #: the last seq looked at
        self.scanned = 0

    @property
    def active(self) -> bool:
        """Whether the filter hides anything (else the log shows every row)."""
        return self.matcher is not None or bool(self.mute)

    @property
    def stale(self) -> bool:
        """The mute list changed since this filter scanned: make a new one (or :meth:`reset`)."""
        return self.mute is not None and self.mute.version != self._mute_version

    def reset(self) -> None:
        self.seqs = []
        self.scanned = 0
        self._mute_version = self.mute.version if self.mute is not None else 0

    def scan(self, journal: Journal, labels: Labels | None = None) -> int:
        """Look at the entries that arrived since the last scan and drop the seqs that left the journal.
        ``labels(host_id, vm_id)`` names an event's host and VM (``Cluster.labels_of``). Returns how many
        rows were added."""
        first = journal.first_seq
        if self.seqs and self.seqs[0] < first:
            del self.seqs[:bisect.bisect_left(self.seqs, first)]
        if not journal.seq or self.scanned >= journal.seq:
            return 0
        start = max(self.scanned + 1, first)
        keeps = self.keeper(labels or _no_labels)
        seqs = self.seqs
        before = len(seqs)
        for entry in islice(journal.entries, start - first, None):
            if keeps(entry):
                seqs.append(entry.seq)
        self.scanned = journal.seq
        return len(seqs) - before

    def keeper(self, labels: Labels) -> Callable[[Entry], bool]:
        matcher, mute = self.matcher, self.mute
        hides = mute.hides if mute else None
        if matcher is None:
            return (lambda entry: not hides(entry)) if hides else (lambda entry: True)
        test = matcher.test
        named: dict[tuple[str | None, str | None], tuple[str, str]] = {}

        def keeps(entry: Entry) -> bool:
            if entry.__class__ is not Event:
                return test(row_text(entry))
            if hides is not None and hides(entry):
                return False
            if test(clean(entry.message)):
                return True
            key = (entry.host_id, entry.vm_id)
            pair = named.get(key)
            if pair is None:
                host, vm = labels(*key)
                pair = named[key] = (clean(host), clean(vm))
            return test(pair[0]) or test(pair[1]) or test(entry.raw)

        return keeps

    def keeps(self, entry: Entry, labels: Labels | None = None) -> bool:
        """Whether the filtered log shows ``entry``."""
        return self.keeper(labels or _no_labels)(entry)

    def hit(self, entry: Entry, host_label: str = "", vm_label: str = "") -> LogHit:
        """The spans to highlight in a row on screen (its labels as the row shows them)."""
        hit = LogHit(entry.seq)
        matcher = self.matcher
        if matcher is None:
            return hit
        hit.message = matcher.spans(row_text(entry))
        if entry.__class__ is Event:
            hit.host = matcher.spans(clean(host_label))
            hit.vm = matcher.spans(clean(vm_label))
            hit.body = matcher.test(entry.raw)
        return hit

    def spans(self, text: str) -> tuple[Span, ...]:
        """The spans of the search in any text a row shows (its summary), made safe first as the row does."""
        return self.matcher.spans(clean(text)) if self.matcher is not None else ()

    def title(self) -> str:
        """``/disk.*/ 42 rows, 3 muted``: for the log's title (safe)."""
        parts = []
        if self.matcher is not None:
            parts.append(f"{self.matcher.shown} {len(self.seqs):,} row{'s' if len(self.seqs) != 1 else ''}")
        if self.mute:
            parts.append(f"{len(self.mute)} muted")
        return ", ".join(parts)

