"""The status bar: the connection in words, the server, totals at a glance, events and their rate, counters,
the hold badge and warnings. It wraps to a second (or third) row at a part's boundary rather than cut a warning,
and repaints only when what it says changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from ...protocol.text import clean
from ..glyphs import UNICODE, Glyphs

#: the most rows the bar takes
MAX_ROWS = 3


@dataclass(slots=True)
class StatusInfo:
    server: str
    state: str
    text: str
    client_id: str | None
    events: int
    rate: float
    malformed: int
    duplicates: int
    held: bool
    new_count: int
    overloaded: bool
    missing: tuple[str, ...] = ()
    reason: str = ""
    #: why the tree may not be what the server has now ("" when it is live)
    stale: str = ""
    #: totals at a glance, e.g. (("12 hosts", ""), ("1 unhealthy", "bold"), ...)
    totals: tuple[tuple[str, str], ...] = ()
    #: a replay's recorded clock, when replaying
    replay: str = ""
    extra: tuple[str, ...] = field(default_factory=tuple)


class StatusBar(Widget):
    """At the top of the screen; as many rows as its parts need at this width (one on a wide terminal)."""

    DEFAULT_CLASSES = "status-bar"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last: StatusInfo | None = None
        self._parts: list[tuple[str, str]] = []
        self._text = Text("")
        self._width = 0
        self.glyphs: Glyphs = UNICODE

    def show(self, info: StatusInfo) -> bool:
        """Show ``info``; returns ``True`` when the rows it needs changed (the screen lays itself out again)."""
        if info == self._last:
            return False
        if self._last is None or info.state != self._last.state:
            for state in self.glyphs.state:
                self.set_class(info.state == state, f"-{state}")
        before = self.rows_for(self.size.width or 80)
        old = self._text.plain.split("\n")
        self._last = info
        self._parts = self.parts(info, self.glyphs)
        self._text = self._lay_out(self.size.width or 200)
        new = self._text.plain.split("\n")
        if len(new) == len(old) and self.size.width:  # only the rows that read differently (the counts' row)
            for y, (a, b) in enumerate(zip(old, new, strict=True)):
                if a != b:
                    self.refresh(Region(0, y, self.size.width, 1))
        else:
            self.refresh()
        return self.rows_for(self.size.width or 80) != before

    @property
    def content(self) -> Text:
        """What the bar shows now."""
        return self._text

    def render(self) -> Text:
        width = self.size.width
        if width != self._width:
            self._text = self._lay_out(width)
        return self._text

    def rows_for(self, width: int) -> int:
        """Rows the parts need at ``width``."""
        return min(MAX_ROWS, len(self._rows(width)) or 1)

    def _rows(self, width: int) -> list[list[tuple[str, str]]]:
        rows: list[list[tuple[str, str]]] = []
        used = width + 1
        for text, style in self._parts:
            size = cell_len(text)
            if used + size > width and rows and used > 0 or not rows:
                rows.append([])
                used = 0
                text = text.lstrip()
                size = cell_len(text)
            rows[-1].append((text, style))
            used += size
        return rows

    def _lay_out(self, width: int) -> Text:
        self._width = width
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, row in enumerate(self._rows(max(width, 1))[:MAX_ROWS]):
            if i:
                text.append("\n")
            for part, style in row:
                text.append(part, style=style)
        return text

    @staticmethod
    def parts(info: StatusInfo, glyphs: Glyphs) -> list[tuple[str, str]]:
        """The bar's parts, most important first; a row breaks only between parts."""
        sep = f" {glyphs.sep} "
        out: list[tuple[str, str]] = [(f" {glyphs.state.get(info.state, '?')} {clean(info.text, 200)}", "bold")]
        if info.replay:
            out.append((f"{sep}replay at {clean(info.replay, 60)}", "bold"))
        out.append((f"{sep}{clean(info.server, 200)}", ""))
        if info.client_id:
            out.append((f"  client {clean(info.client_id[:8])}", "dim"))
        if info.totals:
            out.append((sep, "dim"))
            for text, style in info.totals:
                out.append((f"{clean(text, 60)}  ", style))
        out.append((f"{sep}events {info.events:,}", "bold"))
        out.append((f"  {info.rate:,.0f} ev/s", ""))
        if info.malformed or info.duplicates:
            out.append((f"  malformed {info.malformed:,}  dup {info.duplicates:,}", ""))
        if info.held:
            out.append(("  HELD", "reverse bold"))
            out.append((f" +{info.new_count:,} new", "bold"))
        if info.stale:
            out.append((f"  {glyphs.warn} {clean(info.stale, 200)}", "bold"))
        if info.missing:
            out.append((f"  {glyphs.warn} not confirmed: {clean(', '.join(info.missing), 200)}", "bold"))
        if info.reason:
            out.append((f"  ({clean(info.reason, 300)})", "dim"))
        if info.overloaded:
            out.append((f"  {glyphs.warn} near the server's queue limit: it may be dropping events; "
                        "mute noisy channels (c)", "bold"))
        for text in info.extra:
            out.append((f"  {clean(text, 200)}", ""))
        return [(glyphs.text(text), style) for text, style in out]
