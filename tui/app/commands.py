"""Command-palette provider: every action of the app, and one ``Toggle channel: <name>`` per channel."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from ..protocol.models import CHANNELS

ACTIONS: list[tuple[str, str, str]] = [
    ("Filter hosts", "filter", "Type to filter the host tree (/)"),
    ("Clear the filter", "clear_filter", "Show every host again (Escape)"),
    ("Hold / resume the event log", "toggle_hold", "The feed goes on while the view is held (p)"),
    ("Narrow the log to the selection", "narrow", "Only the selected host's or VM's events, and back (n)"),
    ("Channels", "channels", "Subscription toggles with counts and rates (c)"),
    ("Export the journal", "export", "Write every journal entry to a JSON-lines file (e)"),
    ("Help", "help", "Keys and what the screen shows (?)"),
    ("Quit", "quit", "Leave hubtop (q)"),
]


class HubtopCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        out: list[tuple[str, object, str]] = [
            (name, partial(app.run_action, action), help_text) for name, action, help_text in ACTIONS
        ]
        for channel in CHANNELS:
            if channel == "global":
                continue
            out.append((f"Toggle channel: {channel}", partial(app.toggle_channel, channel),
                        f"Subscribe to or unsubscribe from the {channel} channel"))
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
