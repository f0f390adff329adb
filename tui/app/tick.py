"""The app's tick: bring every pane up to date with the model, through the monitor's one door, redrawing only
what changed. A mixin of :class:`~tui.app.app.HubtopApp` (kept apart to keep each file readable)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from ..live.view import LiveView
from ..model.entities import Changes
from ..model.sorting import SortOrder
from ..model.totals import totals
from ..protocol.items import ConnState
from ..protocol.models import CHANNELS
from .actions import clock_label
from .safe import title as plain_title
from .widgets.channels import ChannelRow
from .widgets.status_bar import StatusInfo

if TYPE_CHECKING:
    from .app import HubtopApp

#: how often the log follows the feed while nobody is at the keys (at the keys: every tick). Every row moves
#: when one is added, so each follow resends the box (Textual has no terminal scroll regions): every 2 s, a
#: busy log costs a watcher over SSH half of what once a second does, and a key brings it back at once
LOG_WATCH_S = 2.0
#: a sync with nothing new from the model (the feed's changes stay for the tick)
NO_CHANGES = Changes(set(), set(), False, set(), False)


class Tick:
    """What the app does on each tick (``self`` is the app)."""

    def refresh_from_model(self: HubtopApp, force: bool = False) -> None:
        """Bring every pane up to date with the model: only what changed, once per tick."""
        if not self.host_tree.is_attached:
            return
        tree, log, details = self.host_tree, self.log_view, self.details
        now = self.clock()
        tick_at = time.monotonic()
        second = force or tick_at - self._last_clock >= 1.0
        # the log's box is the costliest repaint (every row moves when one is added): while nobody is at the
        # keys it follows the feed every LOG_WATCH_S, a batch of rows drawn once
        log_due = force or self.interactive or tick_at - self._log_at >= LOG_WATCH_S
        with self.batch_update(), self.monitor.read() as live:
            changes = live.take_changes()
            tree.sync(live.cluster, changes, now)
            if log_due:
                self._log_at = tick_at
                log.sync(live.journal, live.cluster)
            key = tree.cursor_key
            if details.display and (second or key != details.key or (key is not None and (
                    key[1] in changes.hosts or (key[1], key[2]) in changes.vms))):
                details.show_key(live.cluster, key, now)  # repaints only when what it shows changed
            # the totals follow the tree: at once when hosts came or went (the first listing), else once a second
            # (they walk every VM: not on every tick of a busy feed)
            info = self._status_info(live, second or changes.hosts_changed)
            # the rows' counts and rates once a second; a subscription's change at once
            asked = (id(live.status), live.wanted_channels)
            rows = None
            if self.channels.display and (second or asked != self._channels_asked):
                self._channels_asked = asked
                rows = self._channel_rows(live)
            snapshots = live.snapshots
            total = len(live.cluster.hosts)
            # news worth an interruption (never what a snapshot or a replay brings)
            alerts = self.alerts.check(live.cluster, now) if second and not self.monitor.replaying else []
        if second:
            self._last_clock = tick_at
            tree.repaint_clock()
        if self.status_bar.show(info):
            self.main_screen.relayout(self.size.width, self.size.height, force=True)
        if rows is not None:
            self.channels.show(rows)
        tree.set_stale(info.stale)
        if not tree.rows:
            tree.set_empty_note(self._empty_note(info, snapshots, total))
        self._titles(total)
        self._announce(info)
        if alerts:
            self.show_alerts(alerts)
        if snapshots and self._tuning is not None:
            # the snapshot and the UI are built: keep the collector from walking them on every gen-2 pass
            self._tuning.settle(collect=True)
        self.ticks += 1

    def sync_tree(self: HubtopApp) -> None:
        """The tree's rows now (the user filtered, expanded or collapsed)."""
        with self.monitor.read() as live:
            self.host_tree.sync(live.cluster, NO_CHANGES, self.clock())
            total = len(live.cluster.hosts)
        self._titles(total)

    def sync_log(self: HubtopApp) -> None:
        with self.monitor.read() as live:
            self.log_view.sync(live.journal, live.cluster)

    def _titles(self: HubtopApp, total: int) -> None:
        tree, log = self.host_tree, self.log_view
        if tree.query:
            hosts, vms = tree.matches
            text = f"Hosts {hosts:,}/{total:,}, {vms:,} VM{'' if vms == 1 else 's'} matching “{tree.filter_text}”"
        else:
            text = f"Hosts ({total:,})"
        if tree.order is not SortOrder.NAME:
            text += f" by {tree.order.label}"
        if tree.stale:
            text += f" — {tree.stale}"
        text = self.glyphs.text(text)
        self._set_title(tree, "border_title", text)
        text = f"Events ({'UTC' if self.utc else 'local time'})"
        if log.narrow is not None:
            text += f" — only {log.narrow[2]} (n: all)"
        if log.find.active:
            text += f" — {log.find_title()}"
        self._set_title(log, "border_title", self.glyphs.text(text))
        self._note_find()  # the counts beside the / line
        subtitle = f"HELD +{log.new_count:,} new — End or p resumes" if not log.following else ""
        self._set_title(log, "border_subtitle", self.glyphs.text(subtitle))

    def _set_title(self: HubtopApp, widget, which: str, text: str) -> None:
        """A border title that may hold untrusted text (the filter, a host's name), set as plain text, and only
        when the words change (a border repaint otherwise)."""
        key = f"{widget.id}.{which}"
        if self._title_cache.get(key) != text:
            self._title_cache[key] = text
            setattr(widget, which, plain_title(text))

    def _status_info(self: HubtopApp, live: LiveView, second: bool) -> StatusInfo:
        st = live.status
        log = self.log_view
        j = live.journal
        failed = self.ingest_error
        text = st.text if st else (f"stopped: {failed}" if failed else "connecting")
        if failed and (st is None or st.state != ConnState.AUTH_FAILED):
            text = f"stopped: {failed}"
        elif st is not None and st.state == ConnState.RECONNECTING:
            left = max(0, math.ceil(st.delay - (time.time() - st.at)))
            text = f"reconnecting in {left} s (attempt {st.attempt})"
        state = ConnState.STOPPED if failed else (st.state if st else ConnState.CONNECTING)
        if second or not self._counts or not self._counts[0]:  # they move with every event: once a second
            self._counts = (j.received, live.rate(), j.malformed, j.duplicates)
            tones = {"error": "bold", "warn": "bold"}
            compact = self.size.width < 120
            g = self.glyphs
            parts = totals(live.cluster).parts(compact, g.health, g.link, g.vm, g.unknown)
            self._totals = tuple((text, tones.get(tone, "")) for text, tone in parts)
        events, rate, malformed, duplicates = self._counts
        monitor = self.monitor
        replay = ""
        if monitor.replaying:
            at = monitor.recorded_clock
            replay = (clock_label(at, self.utc) if at else "the start") + (" (paused: p)" if monitor.paused else "")
        return StatusInfo(
            server=self.settings.display_url,
            state=state,
            text=text,
            reason=st.reason if st and st.state in (ConnState.RECONNECTING, ConnState.CONNECTING) else "",
            client_id=st.client_id if st else None,
            events=events,
            rate=rate,
            malformed=malformed,
            duplicates=duplicates,
            held=not log.following,
            new_count=log.new_count,
            overloaded=live.overloaded(),
            missing=st.missing if st else (),
            stale=self._stale(live, state),
            totals=self._totals,
            replay=replay,
        )

    def _empty_note(self: HubtopApp, info: StatusInfo, snapshots: int, total: int) -> str:
        """Why the tree has no rows."""
        if self.host_tree.query and total:
            return f"no host or VM matches “{self.host_tree.filter_text}” (Escape clears the filter)"
        if not snapshots:
            return f"no listing from the server yet: {info.text}"
        return "the server lists no hosts (they appear as they register)"

    def _stale(self: HubtopApp, live: LiveView, state: str) -> str:
        """Why the tree may not be the server's now: the feed is down, or the orchestrator channel is off."""
        st = live.status
        if state != ConnState.CONNECTED:
            if self._down_since is None:
                self._down_since = st.at if st is not None else self.clock()
            since = clock_label(self._down_since, self.utc)
            return f"tree stale since {since}: not connected" if live.snapshots else "never connected yet"
        self._down_since = None
        if st is not None and "orchestrator" not in st.subscriptions and "orchestrator" in self.settings.channels:
            return "tree not live: the orchestrator channel is off (c)"
        return ""

    def _announce(self: HubtopApp, info: StatusInfo) -> None:
        """A notification when the connection goes down, fails for good, or recovers (not for every retry)."""
        state = info.state
        if state == self._last_state:
            return
        self._last_state = state
        self.refresh_bindings()  # "r reconnect now" shows while the feed is down
        if state == ConnState.AUTH_FAILED:
            self.notify(info.text, title="Authentication", severity="error", timeout=15)
        elif state == ConnState.STOPPED and info.text != "stopped":
            self.notify(info.text, title="Stopped", severity="error", timeout=15)
        elif state == ConnState.RECONNECTING and not self._down:
            self._down = True
            self.notify(info.reason or info.text, title="Connection lost", severity="warning", timeout=8)
        elif state == ConnState.CONNECTED and self._down:
            self._down = False
            self.notify("reconnected; the tree was resynced", title="Connection", timeout=4)

    def _channel_rows(self: HubtopApp, live: LiveView) -> list[ChannelRow]:
        st = live.status
        # subscriptions taken from what was asked (the confirmation was evicted) are not confirmed
        confirmed = set(st.subscriptions) if st is not None and st.state == ConnState.CONNECTED \
            and not st.unconfirmed else set()
        wanted = set(live.wanted_channels)
        counts = live.journal.by_channel
        return [
            ChannelRow(c, c in confirmed or c == "global", c in wanted or c == "global", counts.get(c, 0),
                       live.channel_rate(c))
            for c in CHANNELS
        ]

    def channel_rows(self: HubtopApp) -> list[ChannelRow]:
        with self.monitor.read() as live:
            return self._channel_rows(live)
