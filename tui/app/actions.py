"""What the keys do: the filter, the log (hold, narrow), details and channels, export, times, dialogs. A mixin of
:class:`~tui.app.app.HubtopApp` (kept apart to keep each file readable)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..model.journal import entry_record
from ..protocol.items import ConnState
from .screens.channels import ChannelsScreen
from .screens.details import DetailsScreen
from .screens.event_detail import EventDetailScreen
from .screens.help import HelpScreen
from .widgets.channels import ChannelList
from .widgets.event_log import EventLog
from .widgets.host_details import HostDetails
from .widgets.host_tree import HostTree
from .widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from .app import HubtopApp

def clock_label(ts: float, utc: bool, with_ms: bool = False) -> str:
    """A time as the screen shows it, with its zone: ``10:02:11.123 UTC`` or ``11:02:11 CET``."""
    moment = datetime.fromtimestamp(ts, UTC) if utc else datetime.fromtimestamp(ts).astimezone()
    text = moment.strftime("%H:%M:%S.%f")[:12] if with_ms else moment.strftime("%H:%M:%S")
    return f"{text} {'UTC' if utc else moment.strftime('%Z') or 'local'}"


#: actions about the main screen's panes: not offered while a view (jobs, VMs, logs) or a dialog is on top
MAIN_ONLY = frozenset(("sort", "problems", "mute", "narrow", "copy", "vm_table", "jobs", "host_logs",
                       "hold_or_pause", "follow_log", "toggle_utc"))


class Actions:
    """The keys' actions (``self`` is the app)."""

    # ------------------------------------------------------------------ channels

    def toggle_channel(self: HubtopApp, channel: str) -> None:
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

    # the handlers below are found by their names (Textual's @on is not seen on a mixin class)

    def on_channel_list_toggle_requested(self: HubtopApp, message: ChannelList.ToggleRequested) -> None:
        self.toggle_channel(message.channel)

    def action_channels(self: HubtopApp) -> None:
        if self.channels.display:
            self.channels.focus()
        else:
            self.push_screen(ChannelsScreen())

    # ------------------------------------------------------------------ selection and details

    def show_details(self: HubtopApp, widget: HostDetails, key: tuple[str, str, str] | None) -> None:
        with self.monitor.read() as live:
            widget.show_key(live.cluster, key, self.clock())

    def on_virtual_list_highlighted(self: HubtopApp, message: VirtualList.Highlighted) -> None:
        if message.control is not self.host_tree:
            return
        if self.details.display:
            self.show_details(self.details, self.host_tree.cursor_key)
        log = self.log_view
        if log.narrow is not None and self.host_tree.cursor_key is not None:
            self.action_narrow(follow=True)  # `n` follows the selection

    def on_host_tree_changed(self: HubtopApp, message: HostTree.Changed) -> None:
        self.sync_tree()

    def on_event_log_need_rows(self: HubtopApp, message: EventLog.NeedRows) -> None:
        self.sync_log()

    def on_virtual_list_selected(self: HubtopApp, message: VirtualList.Selected) -> None:
        if message.control is self.host_tree:
            key = self.host_tree.cursor_key
            if key is not None:
                self.push_screen(DetailsScreen(key))
        elif message.control is self.log_view:
            self._open_entry(message)

    def _open_entry(self: HubtopApp, message: VirtualList.Selected) -> None:
        self.sync_log()  # the copies around the cursor (it may have jumped far since the last tick)
        entry = self.log_view.entry_at(message.index)
        if entry is None:
            self.notify("that entry has left the journal", severity="warning")
            return
        title = f"Event #{entry.seq}, received {clock_label(entry.received_at, self.utc, with_ms=True)}"
        self.push_screen(EventDetailScreen(title, entry_record(entry), self.utc))

    # ------------------------------------------------------------------ which keys apply

    def check_action(self: HubtopApp, action: str, parameters: tuple[object, ...]) -> bool | None:
        if getattr(self, "filter_box", None) is None:  # a key before the main screen is up: only quit and help
            return action in ("quit", "help", "command_palette")
        # in the filter, "/" is text the Input takes itself; with a dialog or the palette open it is theirs
        if action == "filter" and (self.focused is self.filter_box or len(self.screen_stack) > 1):
            return False
        if action in MAIN_ONLY and self.screen is not getattr(self, "main_screen", None):
            return False  # a view's own keys (and footer) are its own: the tree's actions wait for the tree
        if action == "follow_log":  # End resumes the log only where it means that
            return self.focused is self.log_view
        if action == "reconnect":  # in the footer while the feed is down or still connecting
            return self._last_state in (ConnState.RECONNECTING, ConnState.CONNECTING) and not self.monitor.replaying
        return True

    # ------------------------------------------------------------------ log

    def action_toggle_hold(self: HubtopApp) -> None:
        self.log_view.toggle_hold()
        self.refresh_from_model()

    def action_follow_log(self: HubtopApp) -> None:
        self.log_view.action_follow()

    def on_event_log_hold_changed(self: HubtopApp, message: EventLog.HoldChanged) -> None:
        self.refresh_from_model()

    def action_narrow(self: HubtopApp, follow: bool = False) -> None:
        """Narrow the log to the selected host or VM; again on the same selection: back to everything."""
        log, tree = self.log_view, self.host_tree
        key = tree.cursor_key
        with self.monitor.read() as live:
            if key is None or (log.narrow is not None and not follow and log.narrow[:2] == (key[1], key[2] or None)):
                log.set_narrow(live.journal, live.cluster, None)
            elif key is not None:
                kind, hid, vid = key
                host_label, vm_label = live.cluster.labels_of(hid, vid or None)
                log.set_narrow(live.journal, live.cluster, hid, vid or None, vm_label if kind == "v" else host_label)
            total = len(live.cluster.hosts)
        self._titles(total)

    def action_toggle_utc(self: HubtopApp) -> None:
        self.utc = not self.utc
        self.log_view.refresh()
        self.notify(f"times in {'UTC' if self.utc else 'local time'}", timeout=3)

    # ------------------------------------------------------------------ dialogs and the rest

    def action_help(self: HubtopApp) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_switch_pane(self: HubtopApp) -> None:
        """Tab in the one-column mode: the tree or the log."""
        self.compact_log = not self.compact_log
        self.main_screen.relayout(self.size.width, self.size.height, force=True)
        (self.log_view if self.compact_log else self.host_tree).focus()

    async def action_quit(self: HubtopApp) -> None:
        self.exit(return_code=0)
