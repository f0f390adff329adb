"""The help screen: every key, what it does, and a word on what the screen shows."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: list[tuple[str, str]] = [
    ("/", "filter hosts as you type (hostname, description, host id prefix, VM name)"),
    ("Enter (in filter)", "keep the filter and go back to the tree"),
    ("Escape", "clear the filter / close a dialog"),
    ("Tab / Shift+Tab", "move between panes (tree, event log, channels)"),
    ("↑ ↓ PgUp PgDn Home End", "move the cursor"),
    ("→ / ← / Space", "expand / collapse a host"),
    ("Enter (tree)", "open the details of the host or VM"),
    ("Enter (log)", "open the event's full JSON"),
    ("p", "hold / resume the event log (the feed goes on)"),
    ("End (log)", "resume following the log"),
    ("n", "narrow the log to the selected host or VM, and back"),
    ("c", "channel subscriptions (Space toggles; global is always on)"),
    ("e", "export the journal to a JSON-lines file"),
    ("Ctrl+P", "command palette: every action, channel toggles, theme"),
    ("? / F1", "this help"),
    ("q", "quit"),
]

LEGEND = (
    "Hosts: ✔ healthy  ✖ unhealthy  ? unknown;  link: ⨯ disconnected  ≈ degraded (shown only when not connected).\n"
    "VMs: ▶ running  ■ stopped  ◌ suspended  ‖ paused  ↗ starting/resuming  ↘ stopping/suspending  ↻ resetting.\n"
    "Counts after a host are its VMs by state; the last figure is how long since the host was last heard.\n"
    "Rows that just changed are highlighted for two seconds. The status bar shows the connection in words,\n"
    "events received, the rate, malformed and duplicate frames, and PAUSED +N new while the log is held."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
        table.add_column("key", no_wrap=True)
        table.add_column("what it does")
        for key, what in KEYS:
            table.add_row(key, what)
        with VerticalScroll(id="help-body"):
            yield Static(Text("hubtop — keys", style="bold"), id="help-title")
            yield Static(table)
            yield Static(Text("\n" + LEGEND))
            yield Static(Text("\nEscape, q or ? closes this screen.", style="dim"))

    def action_dismiss(self) -> None:
        self.dismiss(None)
