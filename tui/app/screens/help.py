"""The help screen: every key, what it does, and a word on what the screen shows."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..glyphs import Glyphs
from ..safe import title as plain_title

KEYS: list[tuple[str, str]] = [
    ("/", "filter hosts: words (hostname, description, id prefix, VM name), state:running health:unhealthy "
          "link:down os:ubuntu tag:ci arch:arm64 host: vm: (prefixes, ANDed, -term negates, \"quoted phrase\")"),
    ("/ (log focused)", "search the event log: message, host, VM and the frame's text; Ctrl+R: regex"),
    ("Enter / Escape (in /)", "keep it / clear it; either goes back to the pane"),
    ("!", "problems only: unhealthy, link down, unsure; VMs failing or in transition (with a filter too)"),
    ("s", "sort hosts: name (natural) → problems first → VM count → last heard; VMs by state, then name"),
    ("m (log)", "mute the row's message type: hidden from the log, still applied (the palette unmutes)"),
    ("Tab / Shift+Tab", "move between panes: tree, event log, channels, details (one-column mode: tree or log)"),
    ("↑ ↓ PgUp PgDn g G", "move the cursor; g / G the first / last row (End or G in the log: follow it again)"),
    ("] / [", "the next / previous host"),
    ("→ / ← / Space", "expand / collapse a host; + / - every host"),
    ("Enter (tree)", "the details of the host or VM"),
    ("Enter (log)", "the event's full JSON"),
    ("y / Y", "copy the selected host's or VM's id / name (OSC 52: works over SSH; tmux: set-clipboard on)"),
    ("v", "every VM in one table (sortable columns); Enter selects it in the tree"),
    ("J", "jobs (the job_manager channel): state, progress, owner, message; Enter: the job's JSON"),
    ("L", "the selected host's service logs: a level filter and search"),
    ("p", "hold / resume the event log (the feed goes on; HELD +N new); in a replay: pause / resume it"),
    ("n", "narrow the log to the selected host or VM; it follows the selection; again: everything"),
    ("c", "channel subscriptions (Space toggles; global is always on)"),
    ("r", "reconnect now, skipping the backoff wait (shown in the footer while reconnecting)"),
    ("e", "export the journal as a replayable recording (hubtop replay FILE; never overwrites)"),
    ("u", "times in UTC / local time"),
    ("Ctrl+P", "command palette: every action, sort orders, channel toggles, unmute, panes, the theme"),
    ("? / F1", "this help"),
    ("q / Ctrl+C", "quit (Ctrl+Q too); Ctrl+Z suspends (fg comes back)"),
]


def legend(g: Glyphs) -> str:
    health = "  ".join(f"{g.health[s]} {s}" for s in ("healthy", "unhealthy")) + f"  {g.unknown} unknown"
    link = "  ".join(f"{g.link[s]} {s}" for s in ("disconnected", "degraded"))
    vms = "  ".join(f"{g.vm[s]} {s}" for s in ("running", "stopped", "suspended", "paused", "starting",
                                               "stopping", "resetting"))
    return (
        f"Hosts: {health}; link: {link} (shown only when not connected).\n"
        f"VMs: {vms} ({g.vm['resuming']} also resuming, {g.vm['suspending']} suspending).\n"
        f"{g.unsure} unsure: events are missing between what hubtop holds and the server; a resync settles it.\n"
        "The counts after a host are its VMs by state; the last figure is how long since the host was last "
        "heard (– never: known from the listing only). Rows that just changed are highlighted for two "
        "seconds; a stale tree (the feed down, or the orchestrator channel off) is dimmed and its title says "
        "since when. The status bar shows the connection in words, events received, the rate, malformed and "
        "duplicate frames, and HELD +N new while the log is held. Message names in the log are shortened "
        "the same way everywhere: HOST_VM_STATE_CHANGED is VM_STATE, HOST_WEBSOCKET_DISCONNECTED is "
        "LINK_DOWN.\n"
        "Notifications (a host turning unhealthy, a link lost for a minute, a job failing) come as a toast, the "
        "bell and a desktop notification (OSC 9 / 777; under tmux: set -g allow-passthrough on); each can be "
        "turned off in the profile's notify table. The sort order, muted types, collapsed hosts, the panes and "
        "the theme are remembered per profile.\n"
        "The screen refreshes up to 10 times a second while keys are pressed, twice a second while the feed "
        "changes things (the event log every 2 seconds: a key brings it up to date at once), and once a second "
        "when nothing happens (--refresh HZ caps it for slow links)."
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
        table.add_column("key", no_wrap=True)
        table.add_column("what it does")
        g = self.app.glyphs
        for key, what in KEYS:
            table.add_row(g.text(key), g.text(what))
        body = VerticalScroll(id="help-body", classes="dialog")
        body.border_title = plain_title("hubtop: keys and what the screen shows")
        body.border_subtitle = plain_title("Escape, q or ? closes")
        with body:
            yield Static(table)
            yield Static(Text("\n" + self.app.glyphs.text(legend(self.app.glyphs))))

    def action_dismiss(self) -> None:
        self.dismiss(None)
