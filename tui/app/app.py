"""HubtopApp: compose, bindings, the monitor's worker and the refresh timer.

The monitor (:class:`~tui.live.monitor.Monitor`) runs the hub client in a thread worker and applies every event
to the plain model; this app only renders the model, on a ~10 Hz timer (:mod:`.tick`), through the monitor's
one door, redrawing what changed. It never does per-event widget work, and it never touches the feed's lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer, Input
from textual.worker import Worker, WorkerState

from ..live.monitor import Monitor
from ..live.tuning import SWITCH_INTERVAL_S, Tuning, tuned
from ..model.journal import entry_record
from ..protocol.text import clean
from ..settings import Settings
from .commands import HubtopCommands
from .safe import title as plain_title
from .screens.channels import ChannelsScreen
from .screens.details import DetailsScreen
from .screens.event_detail import EventDetailScreen
from .screens.help import HelpScreen
from .tick import Tick
from .widgets.channels import ChannelList
from .widgets.event_log import EventLog
from .widgets.host_details import HostDetails
from .widgets.host_tree import HostTree
from .widgets.status_bar import StatusBar
from .widgets.virtual_list import VirtualList

TICK_S = 0.1
NARROW_WIDTH = 110
#: the least time between two rebuilds of the tree for the filter while the user types
FILTER_SETTLE_S = 0.15


class HubtopApp(Tick, App[None]):
    CSS_PATH = "hubtop.tcss"
    TITLE = "hubtop"
    COMMANDS = App.COMMANDS | {HubtopCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        # priority: the app reads "/" before it hands the keys typed right after it to the focused widget
        Binding("slash", "filter", "Filter", id="filter", priority=True),
        Binding("p", "toggle_hold", "Hold", id="hold"),
        Binding("n", "narrow", "Narrow", id="narrow"),
        Binding("c", "channels", "Channels", id="channels"),
        Binding("e", "export", "Export", id="export"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("f1", "help", "Help", show=False, id="help-f1"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear-filter"),
    ]

    def __init__(self, settings: Settings, *, tick: float = TICK_S, export_dir: str | Path | None = None,
                 start_feed: bool = True, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.settings = settings
        self.monitor = Monitor(settings)
        #: the wall clock the screen's times and ages are drawn by (a snapshot test passes a frozen one)
        self.clock = clock
        self.tick_s = tick
        self.export_dir = Path(export_dir or os.environ.get("HUBTOP_EXPORT_DIR") or ".")
        self.start_feed = start_feed
        self.last_export: Path | None = None
        self._last_state: str | None = None
        self._filter_timer: Timer | None = None
        self._last_filter = 0.0
        self._down = False
        self._last_clock = 0.0
        self._title_cache: dict[str, str] = {}
        self._settings_stack = ExitStack()
        self._tuning: Tuning | None = None
        self.ingest: Worker | None = None
        #: why the ingest side stopped, when it failed (shown in the status bar)
        self.ingest_error: str | None = None
        self.ticks = 0

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder="/ to filter: hostname, description, host id, VM name", id="filter")
                yield HostTree(id="tree", clock=self.clock)
            with Vertical(id="right"):
                yield HostDetails(id="details")
                yield ChannelList(id="channels")
        yield EventLog(id="log")
        yield Footer()

    def on_mount(self) -> None:
        # the panes live on the main screen for the app's lifetime; keep them at hand (a query would search
        # whichever screen is on top)
        self.host_tree = self.query_one("#tree", HostTree)
        self.log_view = self.query_one("#log", EventLog)
        self.details = self.query_one("#details", HostDetails)
        self.channels = self.query_one("#channels", ChannelList)
        self.status_bar = self.query_one("#status", StatusBar)
        self.filter_box = self.query_one("#filter", Input)
        self.host_tree.border_title = plain_title("Hosts")
        self.log_view.border_title = plain_title("Events")
        self.details.border_title = plain_title("Details")
        self.channels.border_title = plain_title("Channels")
        self.host_tree.focus()
        self._apply_width(self.size.width)
        if self.start_feed:
            # the feed thread is busy at a high event rate; every time the UI loop blocks for input it hands
            # the GIL over and waits up to the switch interval to get it back: a short interval keeps a key
            # press from waiting 5 ms a dozen times on its way to its handler. Put back on the way out.
            self._tuning = self._settings_stack.enter_context(tuned(SWITCH_INTERVAL_S))
            # a crash of the ingest side arrives as this worker's state change (on_worker_state_changed)
            self.ingest = self.run_worker(self.monitor.run, name="ingest", group="ingest", thread=True,
                                          exit_on_error=False)
        self._timer = self.set_interval(self.tick_s, self.refresh_from_model)
        self.refresh_from_model()

    def on_unmount(self) -> None:
        self._timer.stop()
        # ask the feed to close; do not hold the UI for a server that is slow to answer the close frame
        self.monitor.stop(timeout=0.5)
        self._settings_stack.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one failure path of the ingest side: its worker failed (or ended while the app runs)."""
        if event.worker is not self.ingest:
            return
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.ingest_error = clean(str(error) or error.__class__.__name__, 300)
            self.notify(f"the feed stopped: {self.ingest_error}", title="Feed", severity="error", timeout=15)
            self.refresh_from_model()

    def on_resize(self) -> None:
        self._apply_width(self.size.width)

    def _apply_width(self, width: int) -> None:
        self.screen.set_class(width < NARROW_WIDTH, "-narrow")

    @property
    def narrow(self) -> bool:
        return self.size.width < NARROW_WIDTH

    # ------------------------------------------------------------------ channels

    def toggle_channel(self, channel: str) -> None:
        """Turn a channel off (unsubscribe in place) or on (reconnect with the new set)."""
        monitor = self.monitor
        if channel == "global":
            self.notify("global is always on", severity="warning")
            return
        if not monitor.ready:
            self.notify("not connected yet", severity="warning")
            return
        wanted = list(monitor.wanted_channels)
        if channel in wanted:
            wanted.remove(channel)
            if monitor.client_id is None:
                self.notify(f"unsubscribing from {channel} waits for the client id (hubtop is asking the server)",
                            severity="warning")
            else:
                self.notify(f"unsubscribing from {channel}")
        else:
            wanted.append(channel)
            self.notify(f"subscribing to {channel}: reconnecting with the new set")
        monitor.set_channels(tuple(wanted))

    @on(ChannelList.ToggleRequested)
    def _on_toggle(self, message: ChannelList.ToggleRequested) -> None:
        self.toggle_channel(message.channel)

    # ------------------------------------------------------------------ selection and details

    def show_details(self, widget: HostDetails, key: tuple[str, str, str] | None) -> None:
        with self.monitor.read() as live:
            widget.show_key(live.cluster, key, self.clock())

    @on(VirtualList.Highlighted, "#tree")
    def _on_tree_moved(self, message: VirtualList.Highlighted) -> None:
        if not self.narrow:
            self.show_details(self.details, self.host_tree.cursor_key)

    @on(HostTree.Changed)
    def _on_tree_shape(self, message: HostTree.Changed) -> None:
        self.sync_tree()

    @on(EventLog.NeedRows)
    def _on_log_scrolled(self, message: EventLog.NeedRows) -> None:
        self.sync_log()

    @on(VirtualList.Selected, "#tree")
    def _on_tree_selected(self, message: VirtualList.Selected) -> None:
        key = self.host_tree.cursor_key
        if key is not None:
            self.push_screen(DetailsScreen(key))

    @on(VirtualList.Selected, "#log")
    def _on_log_selected(self, message: VirtualList.Selected) -> None:
        log = self.log_view
        entry = log.entry_at(message.index)
        if entry is None:
            self.notify("that entry has left the journal", severity="warning")
            return
        record = entry_record(entry)
        title = f"#{entry.seq}  {datetime.fromtimestamp(entry.received_at).strftime('%H:%M:%S.%f')[:12]}"
        self.push_screen(EventDetailScreen(title, record))

    # ------------------------------------------------------------------ filter

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # in the filter, "/" is text the Input takes itself; with a dialog or the palette open it is theirs
        return not (action == "filter" and (self.focused is self.filter_box or len(self.screen_stack) > 1))

    def action_filter(self) -> None:
        # the filter line always keeps its row: showing and hiding it would lay the whole screen out again
        # focus it now, not after the messages already waiting (``focus()`` defers): the keys a fast typist
        # sent right after the "/" are among them, and must go into the filter, not to the tree's bindings
        self.screen.set_focus(self.filter_box)

    @on(Input.Changed, "#filter")
    def _on_filter_changed(self, message: Input.Changed) -> None:
        # the first keystroke filters at once; keystrokes that follow quickly are coalesced, so the
        # characters show as typed and the 20,000-row tree is rebuilt at most every FILTER_SETTLE_S
        self.host_tree.set_filter(message.value)
        if self._filter_timer is not None:
            return  # a rebuild is already due and will take this text
        wait = self._last_filter + FILTER_SETTLE_S - time.monotonic()
        if wait <= 0:
            self._apply_filter()
        else:
            self._filter_timer = self.set_timer(wait, self._apply_filter)

    def _apply_filter(self) -> None:
        self._filter_timer = None
        self._last_filter = time.monotonic()
        self.sync_tree()

    @on(Input.Submitted, "#filter")
    def _on_filter_submitted(self, message: Input.Submitted) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._apply_filter()
        self.host_tree.focus()

    def action_clear_filter(self) -> None:
        box = self.filter_box
        if not box.value and not box.has_focus:
            return
        box.value = ""
        self.host_tree.focus()

    # ------------------------------------------------------------------ log

    def action_toggle_hold(self) -> None:
        log = self.log_view
        log.toggle_hold()
        self.refresh_from_model()

    @on(EventLog.HoldChanged)
    def _on_hold_changed(self, message: EventLog.HoldChanged) -> None:
        self.refresh_from_model()

    def action_narrow(self) -> None:
        log = self.log_view
        tree = self.host_tree
        with self.monitor.read() as live:
            if log.narrow is not None:
                log.set_narrow(live.journal, live.cluster, None)
            else:
                key = tree.cursor_key
                if key is None:
                    return
                kind, hid, vid = key
                host_label, vm_label = live.cluster.labels_of(hid, vid or None)
                log.set_narrow(live.journal, live.cluster, hid, vid or None, vm_label if kind == "v" else host_label)
            total = len(live.cluster.hosts)
        self._titles(total)

    def action_export(self) -> None:
        with self.monitor.read() as live:
            entries = list(live.journal.entries)
        self._write_export(entries)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _write_export(self, entries: list) -> None:
        from ..model.journal import open_exclusive, write_entries

        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = self.export_dir.expanduser()
        path = (base / f"hubtop-export-{stamp}.jsonl").absolute()
        try:
            for n in range(1, 1000):  # two exports in one second: -2, -3, ... never the same file
                try:
                    fh = open_exclusive(path)
                    break
                except FileExistsError:
                    path = (base / f"hubtop-export-{stamp}-{n + 1}.jsonl").absolute()
            else:
                raise FileExistsError(17, "too many exports this second")
            with fh:
                n = write_entries(fh, entries)
        except OSError as exc:
            self.call_from_thread(self.notify, f"export to {path} failed: {exc.strerror or exc}", severity="error")
            return
        self.last_export = path
        self.call_from_thread(self.notify, f"exported {n:,} entries to {path}", title="Export", timeout=10)

    # ------------------------------------------------------------------ dialogs

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_channels(self) -> None:
        if self.narrow:
            self.push_screen(ChannelsScreen())
        else:
            self.channels.focus()

    async def action_quit(self) -> None:
        self.exit(return_code=0)

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification as plain text: a message may quote the server (an error, a name), and Textual
        would parse markup in it."""
        super().notify(clean(message, 600), title=clean(title, 100), severity=severity, timeout=timeout,
                       markup=False)
