"""HubtopApp: compose, bindings, the feed thread and the refresh timer.

The feed (a HubClient in its own thread) applies every event to the plain model; this app only renders
the model, on a ~10 Hz timer, redrawing what changed. It never does per-event widget work.
"""

from __future__ import annotations

import math
import os
import sys
import time
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer, Input

from .. import clock, gcpolicy
from ..cluster import Changes, Cluster
from ..config import Settings
from ..feed import Feed, FeedThread
from ..hub.models import CHANNELS
from ..journal import entry_record
from ..protocol.text import clean
from .commands import HubtopCommands
from .safe import title as plain_title
from .screens.channels import ChannelsScreen
from .screens.details import DetailsScreen
from .screens.event_detail import EventDetailScreen
from .screens.help import HelpScreen
from .widgets.channels import ChannelList, ChannelRow
from .widgets.event_log import EventLog
from .widgets.host_details import HostDetails
from .widgets.host_tree import HostTree
from .widgets.status_bar import StatusBar, StatusInfo
from .widgets.virtual_list import VirtualList

TICK_S = 0.1
NARROW_WIDTH = 110
#: the least time between two rebuilds of the tree for the filter while the user types
FILTER_SETTLE_S = 0.15
#: a sync with nothing new from the model (the feed's changes stay for the tick)
NO_CHANGES = Changes(set(), set(), False, set(), False)
#: the GIL switch interval while the feed thread runs (Python's default is 5 ms)
SWITCH_INTERVAL_S = 0.0005


class HubtopApp(App[None]):
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
                 start_feed: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.feed = Feed(Cluster(settings.server_hostname), settings.journal_size)
        self.feed_thread = FeedThread(settings, self.feed)
        self.tick_s = tick
        self.export_dir = Path(export_dir or os.environ.get("HUBTOP_EXPORT_DIR") or ".")
        self.start_feed = start_feed
        self.last_export: Path | None = None
        self._last_state: str | None = None
        self._filter_timer: Timer | None = None
        self._last_filter = 0.0
        self._down = False
        self._last_clock = 0.0
        self._frozen = False
        self._details_key: tuple[str, str, str] | None = None
        self.ticks = 0

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Input(placeholder="/ to filter: hostname, description, host id, VM name", id="filter")
                yield HostTree(id="tree")
            with Vertical(id="right"):
                yield HostDetails(id="details")
                yield ChannelList(id="channels")
        yield EventLog(self.feed.journal, self.feed.cluster, id="log")
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
        self._title_cache: dict[str, str] = {}
        self.host_tree.border_title = plain_title("Hosts")
        self.log_view.border_title = plain_title("Events")
        self.details.border_title = plain_title("Details")
        self.channels.border_title = plain_title("Channels")
        self.host_tree.focus()
        self._apply_width(self.size.width)
        if self.start_feed:
            # the feed thread is busy at a high event rate; every time the UI loop blocks for input it hands
            # the GIL over and waits up to the switch interval to get it back. A short interval keeps a key
            # press from waiting 5 ms a dozen times on its way to its handler
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            self.feed_thread.start()
            if self.feed_thread.crashed is not None:
                self.notify(str(self.feed_thread.crashed), severity="error", timeout=10)
        self._timer = self.set_interval(self.tick_s, self.refresh_from_model)
        self.refresh_from_model()

    def on_unmount(self) -> None:
        self._timer.stop()
        # ask the feed to close; do not hold the UI for a server that is slow to answer the close frame
        self.feed_thread.stop(timeout=0.5)

    def on_resize(self) -> None:
        self._apply_width(self.size.width)

    def _apply_width(self, width: int) -> None:
        self.screen.set_class(width < NARROW_WIDTH, "-narrow")

    @property
    def narrow(self) -> bool:
        return self.size.width < NARROW_WIDTH

    # ------------------------------------------------------------------ the tick

    def refresh_from_model(self) -> None:
        """Bring every pane up to date with the model: only what changed, once per tick."""
        if not self.host_tree.is_attached:
            return
        feed = self.feed
        tree, log, details = self.host_tree, self.log_view, self.details
        now = clock.now()
        tick_at = time.monotonic()
        second = tick_at - self._last_clock >= 1.0
        with self.batch_update(), feed.lock:
            changes = feed.cluster.take_changes()
            tree.sync(feed.cluster, changes, now)
            log.sync()
            key = tree.cursor_key
            # the selected host hears something nearly every tick under load: its details (a table and two
            # sparklines, and a new layout of the pane) are redrawn once a second, or at once for a new selection
            if not self.narrow and (key != details.key or second):
                details.show_key(feed.cluster, key, now)
            info = self._status_info()
            rows = self._channel_rows()
            snapshots = feed.snapshots
        if second:
            self._last_clock = tick_at
            tree.repaint_clock()
        self.status_bar.show(info)
        self.channels.show(rows)
        self._titles(tree, log)
        self._announce(info)
        if snapshots and not self._frozen:
            # the snapshot and the UI are built: keep the collector from walking them on every gen-2 pass,
            # and let it run less often: events are freed by reference counting (they make no cycles), so
            # at 20,000 a second the default thresholds only buy pauses of 100 ms and more
            self._frozen = True
            gcpolicy.settle(collect=True)
        self.ticks += 1

    def _titles(self, tree: HostTree, log: EventLog) -> None:
        total = len(self.feed.cluster.hosts)
        if tree.filter_text:
            title = f"Hosts {tree.matches}/{total} matching “{tree.filter_text}”"
        else:
            title = f"Hosts ({total})"
        self._set_title(tree, "border_title", title)
        title = "Events"
        if log.narrow is not None:
            title += f" — only {log.narrow[2]} (n: all)"
        self._set_title(log, "border_title", title)
        subtitle = f"PAUSED +{log.new_count:,} new — End or p resumes" if not log.following else ""
        self._set_title(log, "border_subtitle", subtitle)

    def _set_title(self, widget, which: str, text: str) -> None:
        """A border title that may hold untrusted text (the filter, a host's name), set as plain text, and only
        when the words change (a border repaint otherwise)."""
        key = f"{widget.id}.{which}"
        if self._title_cache.get(key) != text:
            self._title_cache[key] = text
            setattr(widget, which, plain_title(text))

    def _status_info(self) -> StatusInfo:
        feed = self.feed
        st = feed.status
        log = self.log_view
        j = feed.journal
        crashed = self.feed_thread.crashed
        text = st.text if st else (f"stopped: {crashed}" if crashed else "connecting")
        if st is not None and st.state == "reconnecting":
            left = max(0, math.ceil(st.delay - (time.time() - st.at)))
            text = f"reconnecting in {left} s (attempt {st.attempt})"
        return StatusInfo(
            server=self.settings.display_url,
            state=st.state if st else ("stopped" if crashed else "connecting"),
            text=text,
            reason=st.reason if st and st.state in ("reconnecting", "connecting") else "",
            client_id=st.client_id if st else None,
            events=j.received,
            rate=feed.rate(),
            malformed=j.malformed,
            duplicates=j.duplicates,
            held=not log.following,
            new_count=log.new_count,
            overloaded=feed.overloaded(),
            missing=st.missing if st else (),
        )

    def _announce(self, info: StatusInfo) -> None:
        """A notification when the connection goes down, fails for good, or recovers (not for every retry)."""
        state = info.state
        if state == self._last_state:
            return
        self._last_state = state
        if state == "auth_failed":
            self.notify(info.text, title="Authentication", severity="error", timeout=15)
        elif state == "stopped" and info.text != "stopped":
            self.notify(info.text, title="Stopped", severity="error", timeout=15)
        elif state == "reconnecting" and not self._down:
            self._down = True
            self.notify(info.reason or info.text, title="Connection lost", severity="warning", timeout=8)
        elif state == "connected" and self._down:
            self._down = False
            self.notify("connected again; the tree was resynced", title="Connection", timeout=4)

    # ------------------------------------------------------------------ channels

    def _channel_rows(self) -> list[ChannelRow]:
        client = self.feed_thread.client
        st = self.feed.status
        # subscriptions taken from what was asked (the confirmation was evicted) are not confirmed
        confirmed = set(st.subscriptions) if st is not None and st.state == "connected" and not st.unconfirmed \
            else set()
        wanted = set(client.channels) if client else set(self.settings.channels)
        counts = self.feed.journal.by_channel
        return [
            ChannelRow(c, c in confirmed or c == "global", c in wanted or c == "global", counts.get(c, 0),
                       self.feed.channel_rate(c))
            for c in CHANNELS
        ]

    def channel_rows(self) -> list[ChannelRow]:
        with self.feed.lock:
            return self._channel_rows()

    def toggle_channel(self, channel: str) -> None:
        """Turn a channel off (unsubscribe in place) or on (reconnect with the new set)."""
        client = self.feed_thread.client
        if channel == "global":
            self.notify("global is always on", severity="warning")
            return
        if client is None:
            self.notify("not connected yet", severity="warning")
            return
        wanted = list(client.channels)
        if channel in wanted:
            wanted.remove(channel)
            if client.client_id is None:
                self.notify(f"unsubscribing from {channel} waits for the client id (hubtop is asking the server)",
                            severity="warning")
            else:
                self.notify(f"unsubscribing from {channel}")
        else:
            wanted.append(channel)
            self.notify(f"subscribing to {channel}: reconnecting with the new set")
        self.feed_thread.submit(client.set_channels, tuple(wanted))

    @on(ChannelList.ToggleRequested)
    def _on_toggle(self, message: ChannelList.ToggleRequested) -> None:
        self.toggle_channel(message.channel)

    # ------------------------------------------------------------------ selection and details

    def show_details(self, widget: HostDetails, key: tuple[str, str, str] | None) -> None:
        with self.feed.lock:
            widget.show_key(self.feed.cluster, key)

    @on(VirtualList.Highlighted, "#tree")
    def _on_tree_moved(self, message: VirtualList.Highlighted) -> None:
        if not self.narrow:
            self.show_details(self.details, self.host_tree.cursor_key)

    @on(HostTree.Changed)
    def _on_tree_shape(self, message: HostTree.Changed) -> None:
        with self.feed.lock:
            self.host_tree.sync(self.feed.cluster, NO_CHANGES)

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
        tree = self.host_tree
        with self.feed.lock:
            tree.sync(self.feed.cluster, NO_CHANGES)
        self._titles(tree, self.log_view)

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
        with self.feed.lock:
            if log.narrow is not None:
                log.set_narrow(None)
            else:
                key = tree.cursor_key
                if key is None:
                    return
                kind, hid, vid = key
                host = self.feed.cluster.hosts.get(hid)
                if kind == "v":
                    vm = host.vms.get(vid) if host else None
                    label = vm.label if vm else vid[:8]
                    log.set_narrow(hid, vid, label)
                else:
                    log.set_narrow(hid, None, host.label if host else hid[:8])
        self._titles(tree, log)

    def action_export(self) -> None:
        with self.feed.lock:
            entries = list(self.feed.journal.entries)
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
