"""Command-palette provider: every action of the app (with its key), one ``Toggle channel: <name>`` per
channel, each sort order, and one ``Unmute: <type>`` per muted message type."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..model.sorting import SortOrder
from ..protocol.models import CHANNELS

ACTIONS: list[tuple[str, str, str]] = [
    ("Filter hosts", "filter", "Words, state:running, health:unhealthy, link:down, os:, tag:, arch:, -negate (/)"),
    ("Search the event log", "search_log", "Message, host, VM and frame text; plain or regex (/ with the log focused)"),
    ("Clear the filter", "clear_filter", "Show every host again (Escape)"),
    ("Problems only", "problems", "Unhealthy, link down, unsure; VMs failing or in transition (!)"),
    ("Next sort order", "sort", "Name, problems first, VM count, last heard (s)"),
    ("VM table", "vm_table", "Every VM in one table, sortable by column (v)"),
    ("Jobs", "jobs", "The job_manager channel's jobs: state, progress, owner, message (J)"),
    ("Service logs of the selected host", "host_logs", "Its HOST_LOGS_UPDATE lines, a level filter and search (L)"),
    ("Copy the selected id", "copy('id')", "The host's or VM's id, through OSC 52 (y)"),
    ("Copy the selected name", "copy('name')", "The host's or VM's name, through OSC 52 (Y)"),
    ("Mute the log row's message type", "mute", "Hide it from the log; the tree still applies it (m)"),
    ("Hold / resume the event log", "hold_or_pause", "The feed goes on while the view is held; pauses a replay (p)"),
    ("Narrow the log to the selection", "narrow", "Only the selected host's or VM's events, and back (n)"),
    ("Channels", "channels", "Subscription toggles with counts and rates (c)"),
    ("Reconnect now", "reconnect", "Skip what is left of the backoff wait (r)"),
    ("Collapse every host", "collapse_tree", "Only the host rows (-)"),
    ("Expand every host", "expand_tree", "Every VM row again (+)"),
    ("Show / hide the details pane", "toggle_pane('details')", "On a terminal 120 columns or wider"),
    ("Show / hide the channels pane", "toggle_pane('channels')", "On a terminal 120 columns or wider"),
    ("Export as a recording", "export", "The journal, replayable with hubtop replay FILE (e)"),
    ("Times in UTC / local time", "toggle_utc", "Switch the zone the screen's times are in (u)"),
    ("Help", "help", "Keys and what the screen shows (?)"),
]  # "Quit", "Change theme" and the rest are Textual's own commands: listed once


class HubtopCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        out: list[tuple[str, object, str]] = [
            (name, partial(app.run_action, action), help_text) for name, action, help_text in ACTIONS
        ]
        for order in SortOrder:
            out.append((f"Sort hosts by {order.label}", partial(app.action_sort_by, order.value),
                        "The order is kept between runs"))
        wanted = set(app.monitor.wanted_channels)
        for channel in CHANNELS:
            if channel == "global":
                continue
            state = "on" if channel in wanted else "off"
            out.append((f"Toggle channel: {channel} (now {state})", partial(app.toggle_channel, channel),
                        f"{'Unsubscribe from' if state == 'on' else 'Subscribe to'} the {channel} channel"))
        log = getattr(app, "log_view", None)
        if log is not None:
            for name, shown in zip(log.mute.names(), log.mute.shown(), strict=True):
                out.append((f"Unmute: {shown}", partial(app.unmute, name), "Show its rows in the event log again"))
        return out

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
