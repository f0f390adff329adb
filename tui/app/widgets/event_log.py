"""The event log: a virtual view over the journal, newest at the bottom, followed live.

Only visible rows are drawn. Scrolling up holds the view (the feed goes on; ``new_count`` counts what
arrived), ``End`` or ``p`` resumes. The log can be narrowed to one host or VM.
"""

from __future__ import annotations

import bisect
from datetime import datetime

from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.message import Message

from ...model.cluster import Cluster
from ...model.describe import summary
from ...model.journal import Entry, Gap, Journal
from ...protocol.parse import Event, Malformed, Note
from ...protocol.text import clean
from .virtual_list import VirtualList

SHORT_CHANNEL = {
    "orchestrator": "orch",
    "health": "health",
    "global": "global",
    "system": "system",
    "system_logs": "syslog",
    "reverse_proxy": "rproxy",
    "catalog_cache": "cache",
    "job_manager": "jobs",
}


def entry_host_vm(entry: Entry) -> tuple[str | None, str | None]:
    if entry.__class__ is not Event:
        return None, None
    return entry.host_id, entry.vm_id


def _fit(text: str, width: int) -> str:
    """``text`` made safe, then cut or padded to ``width``."""
    text = clean(text, max(width, 0) + 1)
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.ljust(width)


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

    # ------------------------------------------------------------------ rows <-> seqs

    def seq_at(self, index: int) -> int | None:
        if self.narrow is not None:
            return self._seqs[index] if 0 <= index < len(self._seqs) else None
        seq = self.first_seq + index
        return seq if self.first_seq and self.first_seq <= seq <= self.last_seq else None

    def index_of_seq(self, seq: int) -> int | None:
        if self.narrow is not None:
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
        previous_rows = self.row_count()
        old_cursor_seq = self.seq_at(self.cursor) if previous_rows else None
        old_offset = self.cursor - self.scroll_offset.y
        added = 0
        if self.narrow is not None:
            start = max(self._scanned + 1, first)
            for seq in range(start, last + 1):
                entry = journal.get(seq)
                if entry is not None and self._matches(entry, cluster):
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
        self._copy_window(journal, cluster)
        if added or self.following:
            self.refresh()
        return added

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
        self._window, self._window_range, self._asked = window, span, False

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

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        seq = self.seq_at(index)
        held = self._window.get(seq) if seq is not None else None
        st = self.style_for
        if held is None:
            self.covers(range(index, index + 1))
            return [Segment("…", st("event-log--note"))]
        entry, host_label, vm_label = held
        wide = width >= 120
        stamp = datetime.fromtimestamp(entry.received_at).strftime("%H:%M:%S.%f")[:12 if wide else 8]
        segs = [Segment(stamp + " ", st("event-log--time"))]
        rest = width - len(stamp) - 1
        cls = entry.__class__
        if cls is Event:
            message = entry.message
            if wide:
                chan_w, msg_w, host_w, vm_w = 12, 26, 22, 20
                channel = entry.event_type
            else:  # narrow terminal: short channel names, drop HOST_ prefixes, the VM goes into the summary
                chan_w, msg_w, host_w, vm_w = 6, 16, 14, 0
                channel = SHORT_CHANNEL.get(entry.event_type, entry.event_type)
                if entry.event_type == "orchestrator":
                    message = message.removeprefix("HOST_")
                host_label = host_label.split(".", 1)[0] if "." in host_label else host_label
            if entry.duplicate:
                message += " (dup)"
            elif entry.late:  # older than what the model already shows: kept here, not applied
                message += " (late)"
            sum_w = max(0, rest - chan_w - msg_w - host_w - vm_w - (4 if vm_w else 3))
            text = self._summaries.get(entry.seq)
            if text is None:  # a summary re-reads the frame: once per entry, not once per repaint
                if len(self._summaries) >= 4096:
                    self._summaries.clear()
                text = self._summaries[entry.seq] = summary(entry)
            if not vm_w and vm_label:
                text = f"{vm_label}: {text}"
            segs.append(Segment(_fit(channel, chan_w) + " ", st("event-log--channel")))
            msg_style = st("event-log--duplicate") if entry.duplicate else st("event-log--message")
            segs.append(Segment(_fit(message, msg_w) + " ", msg_style))
            segs.append(Segment(_fit(host_label, host_w) + " ", st("event-log--host")))
            if vm_w:
                segs.append(Segment(_fit(vm_label, vm_w) + " ", st("event-log--host")))
            segs.append(Segment(_fit(text, sum_w), st("event-log--summary")))
        elif cls is Malformed:
            segs.append(Segment(clean(f"⚠ malformed frame ({entry.reason}): {entry.excerpt}", rest)[:rest],
                                st("event-log--malformed")))
        elif cls is Gap:
            segs.append(Segment(clean(f"⟂ {entry.text}", rest)[:rest], st("event-log--gap")))
        elif cls is Note:
            symbol = "✖" if entry.level == "error" else "⚠" if entry.level == "warning" else "ℹ"
            segs.append(Segment(clean(f"{symbol} {entry.text}", rest)[:rest], st("event-log--note")))
        return segs
