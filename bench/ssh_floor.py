"""The floor of ``bench ssh``: a bare Textual app with hubtop's kind of widgets and no timers.

A Static status line, a Tree (12 hosts x 8 VMs, expanded), a RichLog with a screenful of lines, a Footer, in
bordered boxes with titles as hubtop has them, filled once at mount. Nothing changes afterwards, so what it
writes to the terminal and the CPU it uses while idle is what Textual itself costs: no app can be lighter.
``python -m bench.ssh_floor`` runs it (``q`` quits).
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, RichLog, Static, Tree

CSS = """
#status { height: 1; background: $panel; }
#main { height: 1fr; }
#tree { width: 1fr; border: round $primary; }
#details { width: 1fr; border: round $primary; }
#log { height: 12; border: round $primary; }
"""


class FloorApp(App[None]):
    CSS = CSS
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("p", "noop", "Hold"), Binding("c", "noop", "Channels")]

    def compose(self) -> ComposeResult:
        yield Static("hub 127.0.0.1  connected  12 hosts  96 VMs  0 ev/s", id="status")
        with Horizontal(id="main"):
            yield Tree("cluster", id="tree")
            yield Static("host-00\nstate: healthy\nVMs: 8 (6 running)", id="details")
        yield RichLog(id="log", max_lines=1000)
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.border_title = "Hosts (12)"
        tree.root.expand()
        for h in range(12):
            host = tree.root.add(f"host-{h:02d}  healthy  8 VMs", expand=True)
            for v in range(8):
                host.add_leaf(f"vm-{h:02d}-{v}  running  macOS 15  up 3h{v:02d}m")
        self.query_one("#details").border_title = "Details"
        log = self.query_one(RichLog)
        log.border_title = "Events"
        for i in range(40):
            log.write(f"12:00:{i:02d}  orchestrator  HOST_VM_STATE_CHANGED  host-{i % 12:02d}  vm-{i % 8}  running")
        tree.focus()

    def action_noop(self) -> None:
        pass


if __name__ == "__main__":
    FloorApp().run()
