"""One host's service log (issue 15, point 6): ``HOST_LOGS_UPDATE`` lines of a host, or the server's own
``system_logs`` (host id ``""``), with a level filter (``l`` cycles all, info, warning, error), a search (``/``;
plain text, or a regular expression with Ctrl+R), matches highlighted, how many lines match of how many, and
the newest line followed (moving up holds; End or ``G`` follows again).

The lines are read under the monitor's lock twice a second, only when the host's newest line or the filter
changed. A bad regular expression says why in the view's problem line; the rows keep the last good search.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Static

from ...model.hostlogs import LEVELS, SERVER
from ...model.matcher import Matcher, PatternError, make_matcher
from ...protocol.text import clean
from ..safe import block, plain
from ..safe import title as plain_title
from ..widgets.service_log import ServiceLog, level_badge
from ..widgets.virtual_list import VirtualList

#: what ``l`` cycles through ("": every level); each shows that level and the more severe ones
LEVEL_CYCLE = ("", "info", "warning", "error")
SYNC_S = 0.5


def level_words(level: str) -> str:
    if not level:
        return "all levels"
    return "errors only" if level == LEVELS[-1] else f"{level} and worse"


class HostLogsScreen(Screen[None]):
    CSS_PATH = "views.tcss"
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="logs-back"),
        Binding("l", "level", "Level", id="logs-level"),
        # priority: read before the keys typed right after it are handed to the list (they go in the box)
        Binding("slash", "search", "Search", id="logs-search", priority=True),
        Binding("ctrl+r", "regex", "Regex on/off", id="logs-regex"),
        Binding("enter", "open", "Whole line", id="logs-open", show=False),
    ]

    def __init__(self, host_id: str) -> None:
        super().__init__()
        self.host_id = host_id
        self.level = ""
        self.regex = False
        self.matcher: Matcher | None = None
        #: why the search text cannot be used ("" when it can)
        self.problem = ""
        self.label = ""
        self.total = 0
        self._seq = -1
        self._dirty = True
        self._titles = ("", "")

    def compose(self) -> ComposeResult:
        box = Vertical(id="logs-box", classes="view-box")
        box.border_title = plain_title("Service log")
        with box:
            yield Input(placeholder="search: plain text (Ctrl+R: regular expression); Enter keeps, Escape clears",
                        id="logs-search", classes="view-search")
            yield Static("", id="logs-problem", classes="view-problem", markup=False)
            yield Static("", id="logs-empty", classes="view-empty", markup=False)
            yield ServiceLog(id="logs")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#logs-search").display = False
        self.query_one("#logs-problem").display = False
        self.query_one(ServiceLog).focus()
        self.sync()
        self.set_interval(SYNC_S, self.sync)

    # ------------------------------------------------------------------ model -> view

    def sync(self) -> None:
        """Read the host's lines when a line came or the filter changed; repaint titles that read differently."""
        host_id = self.host_id
        with self.app.monitor.read() as live:
            cluster = live.cluster
            logs = cluster.service_logs
            seq = logs.last_seq(host_id)
            changed = self._dirty or seq != self._seq
            if changed:
                rows = logs.view(host_id, self.level, self.matcher)
                self.total = len(logs.lines(host_id))
            if host_id == SERVER:
                label = "the server's own log" + (f" ({clean(cluster.server_hostname, 100)})"
                                                  if cluster.server_hostname else "")
            else:
                host = cluster.hosts.get(host_id)
                label = clean(host.label, 200) if host is not None else \
                    clean(cluster.labels_of(host_id, None)[0], 200) + " (gone)"
        self.label = label
        log = self.query_one(ServiceLog)
        if changed:
            log.show(rows, reset=self._dirty)
            self._seq, self._dirty = seq, False
            empty = self.query_one("#logs-empty", Static)
            if rows:
                empty.display = False
            else:
                empty.update(plain(self._empty_words()))
                empty.display = True
        self._paint_titles()

    def _empty_words(self) -> str:
        if not self.total:
            what = "the server" if self.host_id == SERVER else "this host"
            channel = "system_logs" if self.host_id == SERVER else "orchestrator"
            return f"No log lines from {what} yet (they come on the {channel} channel as they are written)."
        return f"None of the {self.total:,} lines matches ({level_words(self.level)}" + \
            (f", search {self.matcher.shown}" if self.matcher else "") + ")."

    def _paint_titles(self) -> None:
        log = self.query_one(ServiceLog)
        words = [f"Service log: {self.label}", level_words(self.level)]
        if self.matcher is not None:
            words.append(f"search {self.matcher.shown}")
        elif self.regex:
            words.append("search: regex")
        shown = f"{len(log.rows):,} of {self.total:,} lines"
        follow = "following" if log.following else \
            ("held" + (f", +{log.new_count:,} new" if log.new_count else "") + " (End follows)")
        g = self.app.glyphs
        titles = (g.text(" · ".join(words)), g.text(f"{shown} · {follow}"))
        if titles != self._titles:
            self._titles = titles
            box = self.query_one("#logs-box")
            box.border_title = plain_title(titles[0])
            box.border_subtitle = plain_title(titles[1])

    def on_service_log_follow_changed(self, message: ServiceLog.FollowChanged) -> None:
        message.stop()
        self._paint_titles()

    # ------------------------------------------------------------------ the filter

    def set_search(self, text: str) -> None:
        """Search for ``text`` (plain, or a regular expression when :attr:`regex`); a bad one is said, not
        raised, and the last good search stays."""
        try:
            matcher = make_matcher(text, self.regex)
        except PatternError as exc:
            self._say_problem(exc.message)
            return
        self._say_problem("")
        self.matcher = matcher
        self._dirty = True
        self.sync()

    def _say_problem(self, message: str) -> None:
        self.problem = message
        line = self.query_one("#logs-problem", Static)
        if message:
            line.update(plain(f"{self.app.glyphs.error} {message}; the rows show the last search that worked"))
        line.display = bool(message)

    def on_input_changed(self, message: Input.Changed) -> None:
        message.stop()
        self.set_search(message.value)

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self.query_one(ServiceLog).focus()

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "search":  # in the box, "/" is text (a regular expression may hold one)
            return self.focused is not self.query_one("#logs-search")
        return True

    def action_level(self) -> None:
        self.level = LEVEL_CYCLE[(LEVEL_CYCLE.index(self.level) + 1) % len(LEVEL_CYCLE)]
        self._dirty = True
        self.sync()

    def action_search(self) -> None:
        box = self.query_one("#logs-search", Input)
        box.display = True
        # at once, not after the messages already waiting (``focus()`` defers): the keys a fast typist sent
        # right after the "/" are among them, and belong in the box
        self.set_focus(box)

    def action_regex(self) -> None:
        self.regex = not self.regex
        box = self.query_one("#logs-search", Input)
        self.set_search(box.value)
        self._paint_titles()

    def action_back(self) -> None:
        box = self.query_one("#logs-search", Input)
        if self.focused is box:  # Escape in the search box: clear it, back to the lines
            box.value = ""
            box.display = False
            self.set_search("")
            self.query_one(ServiceLog).focus()
            return
        self.dismiss(None)

    def action_open(self) -> None:
        self.query_one(ServiceLog).action_select()

    def on_virtual_list_selected(self, message: VirtualList.Selected) -> None:
        message.stop()
        found = self.query_one(ServiceLog).line_at(message.index)
        if found is None:
            return
        line = found.line
        badge, _ = level_badge(line.level, self.app.glyphs)
        said = f"level as sent: {line.sent_level}\n" if line.sent_level else ""
        when = f"time as the host wrote it: {line.time}\n" if line.time else ""
        self.app.push_screen(LogLineScreen(f"{self.label}: {badge}", f"{when}{said}\n{line.text}"))


class LogLineScreen(ModalScreen[None]):
    """One log line in full (a row shows what fits its width)."""

    CSS_PATH = "views.tcss"
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", show=True)]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        body = VerticalScroll(id="logline-body", classes="view-dialog")
        body.border_title = plain_title(self.title_text)
        body.border_subtitle = plain_title("Escape, q or Enter closes")
        with body:
            yield Static(block(self.text), id="logline-text")

    def action_dismiss(self) -> None:
        self.dismiss(None)
