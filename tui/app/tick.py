"""The app's tick: bring every pane up to date with the model, through the monitor's one door, redrawing only
what changed. A mixin of :class:`~tui.app.app.HubtopApp` (kept apart to keep each file readable)."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from ..live.view import LiveView
from ..model.entities import Changes
from ..protocol.items import ConnState
from ..protocol.models import CHANNELS
from .safe import title as plain_title
from .widgets.channels import ChannelRow
from .widgets.status_bar import StatusInfo

if TYPE_CHECKING:
    from .app import HubtopApp

#: a sync with nothing new from the model (the feed's changes stay for the tick)
NO_CHANGES = Changes(set(), set(), False, set(), False)


class Tick:
    """What the app does on each tick (``self`` is the app)."""

    def refresh_from_model(self: HubtopApp) -> None:
        """Bring every pane up to date with the model: only what changed, once per tick."""
        if not self.host_tree.is_attached:
            return
        tree, log, details = self.host_tree, self.log_view, self.details
        now = self.clock()
        tick_at = time.monotonic()
        second = tick_at - self._last_clock >= 1.0
        with self.batch_update(), self.monitor.read() as live:
            changes = live.take_changes()
            tree.sync(live.cluster, changes, now)
            log.sync(live.journal, live.cluster)
            key = tree.cursor_key
            # the selected host hears something nearly every tick under load: its details (a table and two
            # sparklines, and a new layout of the pane) are redrawn once a second, or at once for a new selection
            if not self.narrow and (key != details.key or second):
                details.show_key(live.cluster, key, now)
            info = self._status_info(live)
            rows = self._channel_rows(live)
            snapshots = live.snapshots
            total = len(live.cluster.hosts)
        if second:
            self._last_clock = tick_at
            tree.repaint_clock()
        self.status_bar.show(info)
        self.channels.show(rows)
        self._titles(total)
        self._announce(info)
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
        if tree.filter_text:
            text = f"Hosts {tree.matches}/{total} matching “{tree.filter_text}”"
        else:
            text = f"Hosts ({total})"
        self._set_title(tree, "border_title", text)
        text = "Events"
        if log.narrow is not None:
            text += f" — only {log.narrow[2]} (n: all)"
        self._set_title(log, "border_title", text)
        subtitle = f"PAUSED +{log.new_count:,} new — End or p resumes" if not log.following else ""
        self._set_title(log, "border_subtitle", subtitle)

    def _set_title(self: HubtopApp, widget, which: str, text: str) -> None:
        """A border title that may hold untrusted text (the filter, a host's name), set as plain text, and only
        when the words change (a border repaint otherwise)."""
        key = f"{widget.id}.{which}"
        if self._title_cache.get(key) != text:
            self._title_cache[key] = text
            setattr(widget, which, plain_title(text))

    def _status_info(self: HubtopApp, live: LiveView) -> StatusInfo:
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
        return StatusInfo(
            server=self.settings.display_url,
            state=state,
            text=text,
            reason=st.reason if st and st.state in (ConnState.RECONNECTING, ConnState.CONNECTING) else "",
            client_id=st.client_id if st else None,
            events=j.received,
            rate=live.rate(),
            malformed=j.malformed,
            duplicates=j.duplicates,
            held=not log.following,
            new_count=log.new_count,
            overloaded=live.overloaded(),
            missing=st.missing if st else (),
        )

    def _announce(self: HubtopApp, info: StatusInfo) -> None:
        """A notification when the connection goes down, fails for good, or recovers (not for every retry)."""
        state = info.state
        if state == self._last_state:
            return
        self._last_state = state
        if state == ConnState.AUTH_FAILED:
            self.notify(info.text, title="Authentication", severity="error", timeout=15)
        elif state == ConnState.STOPPED and info.text != "stopped":
            self.notify(info.text, title="Stopped", severity="error", timeout=15)
        elif state == ConnState.RECONNECTING and not self._down:
            self._down = True
            self.notify(info.reason or info.text, title="Connection lost", severity="warning", timeout=8)
        elif state == ConnState.CONNECTED and self._down:
            self._down = False
            self.notify("connected again; the tree was resynced", title="Connection", timeout=4)

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
