"""Channel subscription toggles: what the server *confirmed*, with per-channel counts and rates."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from textual.binding import Binding
from textual.message import Message

from ...protocol.models import CHANNELS
from .fit import Part, fit
from .virtual_list import VirtualList


@dataclass(slots=True)
class ChannelRow:
    name: str
    confirmed: bool
    wanted: bool
    count: int
    rate: float


class ChannelList(VirtualList):
    """Space or Enter toggles the channel under the cursor (``global`` is always on)."""

    BINDINGS = [Binding("space", "select", "Toggle", show=False)]
    COMPONENT_CLASSES = {"channels--on", "channels--off", "channels--pending", "channels--fixed", "channels--dim"}

    class ToggleRequested(Message):
        def __init__(self, channel: str) -> None:
            super().__init__()
            self.channel = channel

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.channel_rows: list[ChannelRow] = [ChannelRow(c, c == "global", c == "global", 0, 0.0) for c in CHANNELS]
        self.set_row_count(len(self.channel_rows))

    def on_mount(self) -> None:
        self.set_row_count(len(self.channel_rows))

    def show(self, rows: list[ChannelRow]) -> None:
        """New figures: only the rows that changed are repainted."""
        old = self.channel_rows
        if rows == old:
            return
        self.channel_rows = rows
        if len(rows) != len(old):
            self.set_row_count(len(rows))
            self.refresh()
            return
        for i, (a, b) in enumerate(zip(old, rows, strict=True)):
            if a != b:
                self.refresh_row(i)

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        row = self.channel_rows[index]
        st = self.style_for
        ascii = getattr(getattr(self.app, "glyphs", None), "ascii", False)
        fixed, on, pending = ("#", "x", ".") if ascii else ("■", "✔", "…")
        if row.name == "global":
            box, style, note = f"[{fixed}]", st("channels--fixed"), "always on"
        elif row.confirmed and row.wanted:
            box, style, note = f"[{on}]", st("channels--on"), "subscribed"
        elif row.wanted and not row.confirmed:
            box, style, note = f"[{pending}]", st("channels--pending"), "unconfirmed"
        elif row.confirmed and not row.wanted:
            box, style, note = f"[{pending}]", st("channels--pending"), "unsubscribing"
        else:
            box, style, note = "[ ]", st("channels--off"), "off"
        ellipsis = "..." if ascii else "…"
        parts = [
            Part(f" {box} {row.name:<14}", style),
            Part(f"{row.count:>9,}", st("channels--dim"), drop=3),
            Part(f"  {row.rate:>7,.1f}/s", st("channels--dim"), drop=2),
            Part(f"  {note}", st("channels--dim"), cut=True, least=6),
        ]
        return fit(parts, width, ellipsis)

    def action_select(self) -> None:
        if 0 <= self.cursor < len(self.channel_rows):
            name = self.channel_rows[self.cursor].name
            if name != "global":
                self.post_message(self.ToggleRequested(name))
