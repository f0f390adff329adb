"""The status bar: server, connection state in words, client id, events, rate, counters, hold badge."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from ...protocol.text import clean

STATE_SYMBOL = {
    "connected": "⇄",
    "connecting": "…",
    "reconnecting": "↻",
    "auth_failed": "✖",
    "stopped": "■",
    "idle": "…",
}


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


class StatusBar(Widget):
    """One line (two on a narrow terminal) at the top of the screen. Its height is fixed by the stylesheet,
    so a new figure is a repaint, never a new layout of the screen (it changes ten times a second)."""

    DEFAULT_CLASSES = "status-bar"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last: StatusInfo | None = None
        self._text = Text("")

    def show(self, info: StatusInfo) -> None:
        if info == self._last:
            return
        if self._last is None or info.state != self._last.state:
            for state in STATE_SYMBOL:
                self.set_class(info.state == state, f"-{state}")
        self._last = info
        self._text = self.render_info(info)
        self.refresh()

    @property
    def content(self) -> Text:
        """What the bar shows now."""
        return self._text

    def render(self) -> Text:
        return self._text

    @staticmethod
    def render_info(info: StatusInfo) -> Text:
        text = Text(no_wrap=False, overflow="fold")
        symbol = STATE_SYMBOL.get(info.state, "?")
        text.append(f" {symbol} {clean(info.text, 200)} ", style="bold")
        text.append("│ ", style="dim")
        text.append(clean(info.server, 200))
        if info.client_id:
            text.append(f"  client {clean(info.client_id[:8])}", style="dim")
        text.append(" │ ", style="dim")
        text.append(f"events {info.events:,}", style="bold")
        text.append(f"  {info.rate:,.0f} ev/s")
        text.append(f"  malformed {info.malformed:,}  dup {info.duplicates:,}")
        if info.held:
            text.append("  ")
            text.append(" PAUSED ", style="reverse bold")
            text.append(f" +{info.new_count:,} new", style="bold")
        if info.missing:
            text.append(f"  ⚠ not confirmed: {clean(', '.join(info.missing), 200)}", style="bold")
        if info.reason:
            text.append(f"  ({clean(info.reason, 300)})", style="dim")
        if info.overloaded:
            text.append("  ⚠ near the server's queue limit: it may be dropping events; mute noisy channels (c)",
                        style="bold")
        return text
