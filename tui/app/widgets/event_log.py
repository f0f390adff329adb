"""The event log: a virtual view over the journal, newest at the bottom, followed live.

Only visible rows are drawn. Scrolling up holds the view (the feed goes on; ``new_count`` counts what
arrived), ``End`` or ``p`` resumes. The log can be narrowed to one host or VM.
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime

from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message

from ...model.cluster import Cluster
from ...model.describe import summary
from ...model.journal import Entry, Gap, Journal
from ...model.logsearch import LogFilter, MuteList
from ...model.matcher import Matcher
from ...protocol.parse import Event, Malformed, Note
from ...protocol.text import clean
from ..glyphs import UNICODE, Glyphs
from .fit import Part, fit, highlight, shorten
from .log_words import MESSAGE_WIDTH, SHORT_CHANNEL, entry_host_vm, pad, short_message
from .virtual_list import VirtualList


class EventLog(VirtualList):
    BINDINGS = [
        Binding("end", "follow", "Follow", show=False),
    ]
    COMPONENT_CLASSES = {
        "event-log--time",
        "event-log--channel",
        "event-log--message",
        "event-log--host",
        "event-log--summary",
        "event-log--malformed",
        "event-log--gap",
        "event-log--note",
        "event-log--duplicate",
        "event-log--match",
    }

    class HoldChanged(Message):
        def __init__(self, held: bool) -> None:
            super().__init__()
            self.held = held

    class NeedRows(Message):
        """The view scrolled past the rows it holds copies of: the app should sync it now."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.following = True
        self.new_count = 0
        self.first_seq = 0
        self.last_seq = 0
        self.narrow: tuple[str, str | None, str] | None = None  # host id, vm id, label
        #: message types and channels hidden from the log (the model still applies them), and the search
        self.mute = MuteList()
        self.find = LogFilter(None, self.mute)
        self._seqs: list[int] = []
        self._scanned = 0
        self._cursor_seq = 0
        self._summaries: dict[int, str] = {}
        #: copies of the entries around the visible rows, with their host and VM labels, by seq: what the
        #: rows are painted from (the journal is the feed thread's)
        self._window: dict[int, tuple[Entry, str, str]] = {}
        self._window_range = range(0)
        #: the labels a row got when it was first copied: they stay (a VM removed later keeps its name here)
        self._labels: dict[int, tuple[str, str]] = {}
        self._asked = False
        self._syncing = False

    # ------------------------------------------------------------------ rows <-> seqs

    def seq_at(self, index: int) -> int | None:
        if self.filtered:
            return self._seqs[index] if 0 <= index < len(self._seqs) else None
        seq = self.first_seq + index
        return seq if self.first_seq and self.first_seq <= seq <= self.last_seq else None

    def index_of_seq(self, seq: int) -> int | None:
        if self.filtered:
            i = bisect.bisect_left(self._seqs, seq)
            return i if i < len(self._seqs) and self._seqs[i] == seq else (min(i, len(self._seqs) - 1) if self._seqs else None)
        if not self.first_seq:
            return None
        return max(0, min(seq, self.last_seq) - self.first_seq)

    def entry_at(self, index: int) -> Entry | None:
        """The entry of a row, from the copies (``None`` when it is not among them, or has left the journal)."""
        seq = self.seq_at(index)
        held = self._window.get(seq) if seq is not None else None
        return held[0] if held is not None else None

    # ------------------------------------------------------------------ narrowing

    def set_narrow(self, journal: Journal, cluster: Cluster, host_id: str | None, vm_id: str | None = None,
                   label: str = "") -> None:
        """Show only the events of this host (or VM); ``None`` shows everything again. Inside ``Monitor.read``."""
        self.narrow = (host_id, vm_id, label) if host_id else None
        self._seqs = []
        self._scanned = journal.first_seq - 1 if journal.seq else 0
        self.following = True
        self.new_count = 0
        self.sync(journal, cluster)

    @property
    def filtered(self) -> bool:
        """Whether the log shows some rows only (narrowed, searched or muted)."""
        return self.narrow is not None or self.find.active

    def set_find(self, journal: Journal, cluster: Cluster, matcher: Matcher | None) -> None:
        """Search the log (``None``: no search). Inside ``Monitor.read``."""
        self.find = LogFilter(matcher, self.mute)
        self._rescan(journal, cluster)

    def toggle_mute(self, journal: Journal, cluster: Cluster, name: str) -> bool:
        """Mute (or unmute) a message type or ``channel:NAME``; whether it is muted now. Inside ``Monitor.read``."""
        muted = self.mute.toggle(name)
        self.find = LogFilter(self.find.matcher, self.mute)
        self._rescan(journal, cluster)
        return muted

    def find_title(self) -> str:
        """``"disk" 42 rows, 3 muted``: the search and the mute list, for the log's title (safe)."""
        parts = []
        if self.find.matcher is not None:
            rows = self.row_count()
            parts.append(f"{self.find.matcher.shown} {rows:,} row{'' if rows == 1 else 's'}")
        if self.mute:
            parts.append(f"{len(self.mute)} type{'' if len(self.mute) == 1 else 's'} muted")
        return ", ".join(parts)

    def _rescan(self, journal: Journal, cluster: Cluster) -> None:
        self._seqs = []
        self._scanned = journal.first_seq - 1 if journal.seq else 0
        self.sync(journal, cluster)
        self.refresh()

    def _matches(self, entry: Entry, cluster: Cluster) -> bool:
        assert self.narrow is not None
        hid, vid, _ = self.narrow
        if entry.__class__ is Gap:
            return True
        h, v = entry_host_vm(entry)
        if h is None and entry.__class__ is Event and entry.event_type == "pdfm":
            host = cluster.hosts.get(hid)
            h = hid if host is not None and host.local else None
            v = entry.vm_id
        if h != hid:
            return False
        return vid is None or v == vid

    # ------------------------------------------------------------------ sync (lock held)

    def sync(self, journal: Journal, cluster: Cluster) -> int:
        """Catch up with the journal and copy the rows around the visible ones. Returns how many new rows
        arrived. Inside ``Monitor.read``."""
        first, last = journal.first_seq, journal.seq
        previous_rows, previous_first = self.row_count(), self._first_shown()
        old_cursor_seq = self.seq_at(self.cursor) if previous_rows else None
        old_offset = self.cursor - self.scroll_offset.y
        added = 0
        if self.filtered:
            start = max(self._scanned + 1, first)
            narrow = self.narrow is not None
            keeps = self.find.keeper(cluster.labels_of) if self.find.active else None
            for seq in range(start, last + 1):
                entry = journal.get(seq)
                if entry is not None and (not narrow or self._matches(entry, cluster)) and \
                        (keeps is None or keeps(entry)):
                    self._seqs.append(seq)
                    added += 1
            self._scanned = last
            if self._seqs and first and self._seqs[0] < first:
                del self._seqs[: bisect.bisect_left(self._seqs, first)]
            rows = len(self._seqs)
        else:
            added = max(0, last - max(self.last_seq, first - 1)) if last else 0
            rows = len(journal)
        self.first_seq, self.last_seq = first, last
        self._syncing = True
        try:
            self._follow(rows, added, old_cursor_seq, old_offset)
        finally:
            self._syncing = False
        self._copy_window(journal, cluster)
        # only the rows that read differently now: the new ones at the bottom, or every row when the oldest were
        # dropped (each moved up); a scroll repaints the box's rows by itself, the border never
        if previous_first != self._first_shown():
            self.refresh(self.size.region)
        elif rows > previous_rows:
            top = self.scroll_offset.y
            start = max(previous_rows, top)
            stop = min(rows, top + self.size.height)
            if stop > start:
                self.refresh(Region(0, start - top, self.size.width, stop - start))
        return added

    def _follow(self, rows: int, added: int, old_cursor_seq: int | None, old_offset: int) -> None:
        """The row count taken; following: the last row shown; held: the same row where it was on screen."""
        self.set_row_count(rows)
        if self.following:
            if rows:
                self.set_reactive(VirtualList.cursor, rows - 1)
                self.scroll_to(y=max(0, rows - self.size.height), animate=False, immediate=True)
            self.new_count = 0
        else:
            self.new_count += added
            if old_cursor_seq is not None:
                index = self.index_of_seq(old_cursor_seq)
                if index is not None:
                    self.set_reactive(VirtualList.cursor, index)
                    self.scroll_to(y=max(0, index - old_offset), animate=False, immediate=True)

    def _first_shown(self) -> int:
        """The sequence number of the first row (a row's index moves when it changes)."""
        if self.filtered:
            return self._seqs[0] if self._seqs else 0
        return self.first_seq

    def _copy_window(self, journal: Journal, cluster: Cluster) -> None:
        """Copy the entries of the rows on screen, a screen above and two below (scrolling a little needs no
        new copies), with the labels they had when first copied."""
        height = max(1, self.size.height)
        top = self.scroll_offset.y
        span = range(max(0, top - height), min(self.row_count(), top + 3 * height))
        window: dict[int, tuple[Entry, str, str]] = {}
        labels = self._labels
        for index in span:
            seq = self.seq_at(index)
            entry = journal.get(seq) if seq is not None else None
            if entry is None:
                continue
            named = labels.get(seq)
            if named is None:
                named = labels[seq] = self._label(entry, cluster)
            window[seq] = (entry, *named)
        if len(labels) > 4 * journal.size:  # forget the labels of entries long gone
            self._labels = {seq: pair for seq, pair in labels.items() if seq >= journal.first_seq}
        self._window, self._window_range = window, span
        if self._asked:  # rows were drawn as placeholders while these copies were asked for: draw them again
            self.refresh(self.size.region)
        self._asked = False

    def covers(self, rows: range) -> bool:
        """Whether the copies cover ``rows``; if not, ask the app for a sync (once)."""
        held = self._window_range
        if not rows or (rows.start >= held.start and rows.stop <= held.stop):
            return True
        if not self._asked:
            self._asked = True
            self.post_message(self.NeedRows())
        return False

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if not self._syncing:  # a sync scrolls and then copies the rows around the new place itself
            self.covers(self.visible_range())

    @staticmethod
    def _label(entry: Entry, cluster: Cluster) -> tuple[str, str]:
        if entry.__class__ is not Event:
            return "", ""
        return cluster.labels_of(entry.host_id, entry.vm_id)

    # ------------------------------------------------------------------ hold / follow

    def hold(self) -> None:
        if self.following:
            self.following = False
            self.new_count = 0
            self.post_message(self.HoldChanged(True))

    def action_follow(self) -> None:
        if not self.following:
            self.following = True
            self.new_count = 0
            self.post_message(self.HoldChanged(False))
        rows = self.row_count()
        if rows:
            self.set_cursor(rows - 1)
        self.refresh()

    def toggle_hold(self) -> None:
        if self.following:
            self.hold()
        else:
            self.action_follow()

    def set_cursor(self, index: int, scroll: bool = True) -> None:
        rows = self.row_count()
        if rows and index < rows - 1:
            self.hold()
        super().set_cursor(index, scroll)

    def action_last(self) -> None:
        self.action_follow()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.hold()

    # ------------------------------------------------------------------ rendering

    @property
    def glyphs(self) -> Glyphs:
        return getattr(self.app, "glyphs", UNICODE)

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        seq = self.seq_at(index)
        held = self._window.get(seq) if seq is not None else None
        st = self.style_for
        g = self.glyphs
        if held is None:
            self.covers(range(index, index + 1))
            return [Segment(g.ellipsis, st("event-log--note"))]
        entry, host_label, vm_label = held
        wide = width >= 120
        utc = getattr(self.app, "utc", False)
        moment = datetime.fromtimestamp(entry.received_at, UTC if utc else None)
        stamp = moment.strftime("%H:%M:%S.%f")[:12] if width >= 140 else moment.strftime("%H:%M:%S")
        parts = [Part(stamp + " ", st("event-log--time"))]
        cls = entry.__class__
        if cls is Event:
            message = short_message(entry.event_type, entry.message)
            if entry.duplicate:
                message += " (dup)"
            elif entry.late:  # older than what the model already shows: kept here, not applied
                message += " (late)"
            text = self._summaries.get(entry.seq)
            if text is None:  # a summary re-reads the frame: once per entry, not once per repaint
                if len(self._summaries) >= 4096:
                    self._summaries.clear()
                text = self._summaries[entry.seq] = g.text(clean(summary(entry), 400))
            if wide:
                parts.append(Part(pad(SHORT_CHANNEL.get(entry.event_type, entry.event_type), 7),
                                  st("event-log--channel"), drop=3))
            msg_style = st("event-log--duplicate") if entry.duplicate else st("event-log--message")
            parts.append(Part(pad(message, MESSAGE_WIDTH if wide else 13), msg_style))
            host_w = 22 if wide else 13
            parts.append(Part(pad(shorten(clean(host_label, 200), host_w, g.ellipsis), host_w), None, drop=2))
            if wide:
                parts.append(Part(pad(shorten(clean(vm_label, 200), 20, g.ellipsis), 20), None, drop=1))
            elif vm_label:
                text = f"{clean(vm_label, 200)}: {text}"
            parts.append(Part(text, st("event-log--summary"), cut=True, least=32))
        elif cls is Malformed:
            parts.append(Part(f"{g.warn} malformed frame ({clean(entry.reason, 200)}): {clean(entry.excerpt, 400)}",
                              st("event-log--malformed"), cut=True))
        elif cls is Gap:
            parts.append(Part(g.text(f"{g.gap} {clean(entry.text, 400)}"), st("event-log--gap"), cut=True))
        elif cls is Note:
            symbol = g.error if entry.level == "error" else g.warn if entry.level == "warning" else g.info
            parts.append(Part(g.text(f"{symbol} {clean(entry.text, 400)}"), st("event-log--note"), cut=True))
        segments = fit(parts, width, g.ellipsis)
        matcher = self.find.matcher
        if matcher is not None:  # the search's matches where the row shows them; a match in the frame only: the time
            mark = st("event-log--match")
            segments, found = highlight(segments, matcher.spans, mark)
            if not found and segments:
                segments[0] = Segment(segments[0].text, (segments[0].style or mark) + mark)
        return segments
