"""What an SRE reaches for besides looking: copy an id (OSC 52), notifications (a toast, the bell, OSC 9/777),
the views of jobs, service logs and every VM, reconnect now, the remembered state, a replay's pause and the
export as a replayable recording. A mixin of :class:`~tui.app.app.HubtopApp` (kept apart to keep each file
readable).

Escape sequences hubtop writes on purpose go through Textual's own driver (:meth:`HubtopApp.get_driver_class`
makes it known here), in order with the frames, so one never lands inside another's escape sequence; their text
is made safe and bounded first (:mod:`tui.model.osc`). Under tmux, OSC 9 and 777 are wrapped for its passthrough
(``set -g allow-passthrough on``); OSC 52 is forwarded by tmux itself with ``set -g set-clipboard on``."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from ..live.recording import listing, write_recording
from ..model.alerts import Alert
from ..model.osc import osc52, tmux_passthrough
from ..protocol.text import clean
from ..state import UiState, save_state

if TYPE_CHECKING:
    from .app import HubtopApp
    from .widgets.host_tree import HostTree

#: the sequences written, newest last (a test reads them; the headless driver writes nothing)
SENT_MOST = 64


class Tools:
    """Copy, notifications, views, reconnect, state, replay and export (``self`` is the app)."""

    #: the remembered state is being applied (nothing is saved meanwhile)
    _applying_state = False

    # ------------------------------------------------------------------ the terminal

    def send_sequence(self: HubtopApp, sequence: str, passthrough: bool = True) -> bool:
        """Write an escape sequence made by :mod:`tui.model.osc` to the terminal (after the frame being drawn).
        Whether it was written (not in a headless run)."""
        if passthrough and os.environ.get("TMUX"):
            sequence = tmux_passthrough(sequence)
        self.sent.append(sequence)
        writer = self.terminal_writer
        if writer is None:
            return False
        writer.write(sequence)
        return True

    # ------------------------------------------------------------------ copy

    def action_copy(self: HubtopApp, what: str = "id") -> None:
        """``y``: the selected host's or VM's id; ``Y``: its name. Through OSC 52, which works over SSH."""
        key = self.host_tree.cursor_key
        if key is None:
            self.notify("nothing selected to copy", severity="warning", timeout=3)
            return
        kind, hid, vid = key
        if what == "name":
            with self.monitor.read() as live:
                host_label, vm_label = live.cluster.labels_of(hid, vid or None)
            text = vm_label if kind == "v" else host_label
        else:
            text = vid if kind == "v" else hid
        self.copy_text(text, f"the {'VM' if kind == 'v' else 'host'}'s {what}")

    def copy_text(self: HubtopApp, text: str, what: str = "text") -> None:
        clip = osc52(text)
        if not clip.ok:
            self.notify(f"cannot copy {what}: {clip.why}", severity="warning", timeout=6)
            return
        # OSC 52 under tmux is forwarded by tmux itself (set-clipboard on), not by passthrough
        if self.send_sequence(clip.sequence, passthrough=False):
            self.notify(f"copied {what}: {clip.text} (if it did not arrive, the terminal refuses OSC 52; in tmux: "
                        "set -g set-clipboard on; or select it here)", title="Copy", timeout=8)
        else:
            self.notify(f"no terminal to copy to; {what}: {clip.text}", severity="warning", timeout=8)

    # ------------------------------------------------------------------ notifications

    def show_alerts(self: HubtopApp, alerts: list[Alert]) -> None:
        """A toast, the bell and a desktop notification for each alert (OSC 9 and OSC 777: a terminal acts on
        the one it knows and ignores the other)."""
        for alert in alerts:
            self.notify(alert.text, title=alert.title, severity=alert.severity, timeout=12)
            self.bell()
            if self.desktop_notify:
                self.send_sequence(alert.osc777() if os.environ.get("VTE_VERSION") else alert.osc9())

    # ------------------------------------------------------------------ views

    def action_jobs(self: HubtopApp) -> None:
        from .screens.jobs import JobsScreen

        self.push_screen(JobsScreen())

    def action_host_logs(self: HubtopApp) -> None:
        """The selected host's service logs (the server's own system logs when nothing is selected)."""
        from .screens.hostlogs import HostLogsScreen

        key = self.host_tree.cursor_key
        self.push_screen(HostLogsScreen(key[1] if key is not None else ""))

    def action_vm_table(self: HubtopApp) -> None:
        from .screens.vm_table import VmTableScreen

        self.push_screen(VmTableScreen(), self._select_key)

    def _select_key(self: HubtopApp, key: tuple[str, str, str] | None) -> None:
        """Select ``key`` in the tree (from the VM table): expanded, and without a filter that hides it."""
        if key is None:
            return
        tree = self.host_tree
        tree.reveal(key)
        self.sync_tree()
        index = tree.row_of(key)
        if index is None:
            self.notify("that VM is hidden by the filter (Esc clears it)", severity="warning", timeout=5)
            return
        tree.set_cursor(index)
        tree.focus()

    def action_collapse_tree(self: HubtopApp) -> None:
        self.host_tree.action_collapse_all()

    def action_expand_tree(self: HubtopApp) -> None:
        self.host_tree.action_expand_all()

    def on_host_tree_changed(self: HubtopApp, message: HostTree.Changed) -> None:
        """A host collapsed or expanded (a key, or the palette): remembered now, as the sort and the mutes are,
        not only when something else happens to be saved before the app ends. Textual runs the handler of each
        class in the MRO, so this runs besides :class:`~tui.app.actions.Actions`' own, which syncs the tree."""
        self.save_ui_state()

    def ensure_channel(self: HubtopApp, channel: str) -> None:
        """Subscribe to ``channel`` if it is not (a view that needs it asks)."""
        if channel not in self.monitor.wanted_channels:
            self.toggle_channel(channel)

    # ------------------------------------------------------------------ reconnect, replay

    def action_reconnect(self: HubtopApp) -> None:
        """``r``: reconnect now (skips the backoff wait)."""
        self.monitor.reconnect()
        self.notify("reconnecting now", timeout=3)

    def action_hold_or_pause(self: HubtopApp) -> None:
        """``p``: pause (or resume) a replay; live, hold (or resume) the log."""
        monitor = self.monitor
        if not monitor.replaying:
            self.action_toggle_hold()
            return
        if monitor.paused:
            monitor.resume()
        else:
            monitor.pause()
        self.refresh_from_model(force=True)

    # ------------------------------------------------------------------ export

    def action_export(self: HubtopApp) -> None:
        """``e``: the journal as a replayable recording (``hubtop replay FILE``), between two listings of the
        model as it is now: copied under the lock, written by a thread."""
        with self.monitor.read() as live:
            entries = list(live.journal.entries)
            first = listing(live.cluster, at=entries[0].received_at if entries else None)
            closing = listing(live.cluster)
            channels = tuple(live.wanted_channels)
        self._write_export(first, entries, closing, channels)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def _write_export(self: HubtopApp, first, entries: list, closing, channels: tuple[str, ...]) -> None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(self.export_dir).expanduser()
        path = (base / f"hubtop-{stamp}.jsonl").absolute()
        for n in range(2, 1000):  # two exports in one second: -2, -3, ... never the same file
            try:
                lines = write_recording(path, first, entries, url=self.settings.display_url, channels=channels,
                                        closing=closing)
                break
            except FileExistsError:
                path = (base / f"hubtop-{stamp}-{n}.jsonl").absolute()
            except OSError as exc:
                why = clean(exc.strerror or str(exc), 200)
                self.call_from_thread(self.notify, f"export to {path} failed: {why}", severity="error")
                return
        else:
            self.call_from_thread(self.notify, "export failed: too many exports this second", severity="error")
            return
        self.last_export = path
        self.call_from_thread(self.notify, f"exported {len(entries):,} entries ({lines:,} lines) to {path}; "
                              f"replay it with: hubtop replay {path.name}", title="Export", timeout=10)

    # ------------------------------------------------------------------ remembered between runs

    def apply_ui_state(self: HubtopApp, state: UiState) -> None:
        """What was remembered: the theme, the sort order, the muted types, collapsed hosts and panes."""
        from ..model.sorting import SortOrder

        self._applying_state = True  # the theme's watcher must not save a half-applied state over the file
        try:
            if state.theme and state.theme in self.available_themes:
                self.theme = state.theme
        finally:
            self._applying_state = False
        self.host_tree.order = SortOrder.parse(state.sort)
        for name in state.muted:
            self.log_view.mute.add(name)
        self.log_view.find = type(self.log_view.find)(None, self.log_view.mute)
        self.host_tree.collapsed.update(state.collapsed)
        self.panes.update({k: v for k, v in state.panes.items() if k in self.panes})

    def watch_theme(self: HubtopApp, theme: str) -> None:
        """A theme picked (the palette's "Theme" command): remembered now, as the sort and the mutes are. Not
        before the screen is up, nor while the remembered state is being applied."""
        if getattr(self, "host_tree", None) is not None and not self._applying_state:
            self.save_ui_state()

    def save_ui_state(self: HubtopApp) -> None:
        if not self.remember:
            return
        state = UiState(theme=self.theme, sort=self.host_tree.order.value, muted=self.log_view.mute.names(),
                        collapsed=sorted(self.host_tree.collapsed), panes=dict(self.panes))
        problem = save_state(state, self.settings.profile)
        if problem and not self._state_warned:
            self._state_warned = True
            self.notify(f"the view's state cannot be kept: {problem}", severity="warning", timeout=8)

    def action_toggle_pane(self: HubtopApp, pane: str) -> None:
        """Show or hide the details or channels pane (on a wide terminal)."""
        if pane in self.panes:
            self.panes[pane] = not self.panes[pane]
            self.main_screen.relayout(self.size.width, self.size.height, force=True)
            self.save_ui_state()
