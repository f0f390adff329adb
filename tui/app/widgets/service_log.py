"""One host's service log (or the server's own): time, level (symbol and word) and the line, with what a search
found highlighted. It follows the newest line as lines arrive; moving up holds it (``+N new``), End or ``G``
follows again.

Rows are the :class:`~tui.model.hostlogs.LogMatch` objects the model's view made inside ``Monitor.read``: a
line is never changed once kept, and its text is already safe, so painting them outside the lock is sound.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message

from ...model.hostlogs import LogMatch
from ..glyphs import UNICODE, Glyphs
from .virtual_list import VirtualList

#: the time and level columns' width (``12:00:01  ✖ error   ``)
TIME_W = 8
LEVEL_W = 9


def level_badge(level: str, glyphs: Glyphs) -> tuple[str, str]:
    """``✖ error`` and the tone of its colour; every level has a symbol and a word."""
    if level == "error":
        return f"{glyphs.error} error", "error"
    if level == "warning":
        return f"{glyphs.warn} warning", "warning"
    if level == "debug":
        return f"{'.' if glyphs.ascii else '·'} debug", "debug"
    return f"{glyphs.info} info", "info"


def fit_chars(text: str, cells: int) -> int:
    """How many characters of ``text`` fit in ``cells`` cells."""
    if len(text) <= cells and text.isascii():
        return len(text)
    total = 0
    for i, ch in enumerate(text):
        total += cell_len(ch)
        if total > cells:
            return i
    return len(text)


def marked(text: str, spans: tuple[tuple[int, int], ...], style: Style | None, match: Style) -> list[Segment]:
    """``text`` as segments, the ``spans`` in the ``match`` style over ``style``."""
    out, at = [], 0
    hit = style + match if style is not None else match
    for start, end in spans:
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            out.append(Segment(text[at:start], style))
        out.append(Segment(text[start:end], hit))
        at = end
    if at < len(text):
        out.append(Segment(text[at:], style))
    return out


class ServiceLog(VirtualList):
    """Log lines, oldest first, following the newest. Posts :class:`FollowChanged` when it holds or follows."""

    BINDINGS = [
        Binding("end,G", "follow", "Follow", show=True, id="log-follow"),
        Binding("g", "first", "Top", show=False),
    ]
    COMPONENT_CLASSES = {
        "service-log--time",
        "service-log--error",
        "service-log--warning",
        "service-log--info",
        "service-log--debug",
        "service-log--match",
        "service-log--line-error",
    }

    class FollowChanged(Message):
        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[LogMatch] = []
        self._seqs: list[int] = []
        self.following = True
        #: lines that came while held
        self.new_count = 0

    @property
    def glyphs(self) -> Glyphs:
        return getattr(self.app, "glyphs", UNICODE)

    def seq_at(self, index: int) -> int | None:
        return self._seqs[index] if 0 <= index < len(self._seqs) else None

    def line_at(self, index: int) -> LogMatch | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def show(self, rows: list[LogMatch], *, reset: bool = False) -> None:
        """Show these rows (oldest first). Following: the newest is selected and in view. Held: the cursor stays
        on its line, at the same place on screen; ``new_count`` counts the lines after the newest shown before
        (``reset``: the filter changed, nothing is new)."""
        old_seq = self.seq_at(self.cursor)
        old_last = self._seqs[-1] if self._seqs else 0
        offset = self.cursor - self.scroll_offset.y
        self.rows = rows
        self._seqs = [m.line.seq for m in rows]
        self.set_row_count(len(rows))
        if self.following or old_seq is None:
            if rows:
                self.set_reactive(VirtualList.cursor, len(rows) - 1)
                self.scroll_to(y=max(0, len(rows) - self.size.height), animate=False, immediate=True)
        else:
            if not reset:
                self.new_count += len(rows) - bisect_left(self._seqs, old_last + 1)
            index = min(bisect_left(self._seqs, old_seq), max(0, len(rows) - 1))
            self.set_reactive(VirtualList.cursor, index)
            self.scroll_to(y=max(0, index - offset), animate=False, immediate=True)
        self.refresh()

    # ------------------------------------------------------------------ hold / follow

    def hold(self) -> None:
        if self.following:
            self.following = False
            self.new_count = 0
            self.post_message(self.FollowChanged(False))

    def action_follow(self) -> None:
        if not self.following:
            self.following = True
            self.new_count = 0
            self.post_message(self.FollowChanged(True))
        if self.rows:
            super().set_cursor(len(self.rows) - 1)

    def action_last(self) -> None:
        self.action_follow()

    def set_cursor(self, index: int, scroll: bool = True) -> None:
        if self.rows and index < len(self.rows) - 1:
            self.hold()
        super().set_cursor(index, scroll)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.hold()

    def on_resize(self, event: events.Resize) -> None:
        if self.following:  # once the new size is laid out: the newest line stays in view
            self.call_after_refresh(self._stick)

    def _stick(self) -> None:
        if self.following and self.rows:
            self.scroll_to_row(len(self.rows) - 1)

    # ------------------------------------------------------------------ rendering

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        found = self.rows[index]
        line = found.line
        st = self.style_for
        g = self.glyphs
        utc = getattr(self.app, "utc", False)
        stamp = datetime.fromtimestamp(line.at, UTC if utc else None).strftime("%H:%M:%S") if line.at else ""
        badge, tone = level_badge(line.level, g)
        out = []
        used = 0
        if width >= 50:
            out.append(Segment(f"{stamp:<{TIME_W}}  ", st("service-log--time")))
            used += TIME_W + 2
        word = badge if width >= 40 else badge.split(" ", 1)[0]
        cells = LEVEL_W if width >= 40 else 1
        out.append(Segment(f"{word:<{cells}}  ", st(f"service-log--{tone}")))
        used += cells + 2
        text = line.text
        if line.sent_level:
            text = f"[{line.sent_level}] {text}"
            spans = tuple((a + len(line.sent_level) + 3, b + len(line.sent_level) + 3) for a, b in found.spans)
        else:
            spans = found.spans
        room = max(1, width - used)
        keep = fit_chars(text, room)
        if keep < len(text):
            keep = fit_chars(text, max(0, room - cell_len(g.ellipsis)))
        style = st("service-log--line-error") if line.level == "error" else None
        out.extend(marked(text[:keep], spans, style, st("service-log--match")))
        if keep < len(text):
            out.append(Segment(g.ellipsis, st("service-log--time")))
        return out
