"""The main screen: the status bar, the filter line, the host tree (with the details and channels beside it on a
wide terminal), the event log and the footer, laid out for the terminal's size by :mod:`tui.app.layout` on
every resize (with the new size, at once)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, Static

from ..find import TREE_HINT
from ..layout import CHANNELS_ROWS, TINY, Mode, Plan, plan
from ..widgets.channels import ChannelList
from ..widgets.event_log import EventLog
from ..widgets.host_details import HostDetails
from ..widgets.host_tree import HostTree
from ..widgets.status_bar import StatusBar


class FilterInput(Input):
    """The ``/`` filter line: focusable only while in use (Tab goes tree -> log -> channels, not through it);
    its own keys in the footer while it has focus."""

    BINDINGS = [
        Binding("enter", "keep", "Keep", show=True),
        Binding("escape", "clear", "Clear", show=True),
        Binding("ctrl+r", "regex", "Regex (log)", show=True),
    ]

    def action_regex(self) -> None:
        self.app.action_toggle_regex()  # type: ignore[attr-defined]

    def action_keep(self) -> None:
        self.post_message(self.Submitted(self, self.value))

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Submitted(self, ""))


class MainScreen(Screen[None]):
    def __init__(self) -> None:
        super().__init__()
        self.layout_plan: Plan | None = None

    def compose(self) -> ComposeResult:
        app = self.app
        yield Static("", id="tiny", markup=False)
        yield StatusBar(id="status")
        with Horizontal(id="filter-row"):
            yield FilterInput(placeholder=TREE_HINT, id="filter")
            yield Static("", id="filter-note", markup=False)
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield HostTree(id="tree", clock=app.clock)  # type: ignore[attr-defined]
            with Vertical(id="right"):
                yield HostDetails(id="details")
                yield ChannelList(id="channels")
        yield EventLog(id="log")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", FilterInput).can_focus = False
        self.app.main_ready()  # type: ignore[attr-defined]
        self.relayout(self.app.size.width, self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self.relayout(event.size.width, event.size.height)

    BINDINGS = [Binding("tab", "tab", show=False)]

    def action_tab(self) -> None:
        """Tab: the next pane; in the one-column mode, the tree or the log."""
        if self.layout_plan is not None and self.layout_plan.mode is Mode.COMPACT:
            self.app.action_switch_pane()  # type: ignore[attr-defined]
        else:
            self.focus_next()

    def relayout(self, width: int, height: int, force: bool = False) -> None:
        """Lay the screen out for ``width`` x ``height`` (the new size: never one resize behind)."""
        status = self.query_one(StatusBar)
        rows = status.rows_for(width)
        new = plan(width, height, rows)
        if new == self.layout_plan and not force:
            return
        self.layout_plan = new
        tiny = new.mode is Mode.TINY
        self.set_class(tiny, "-tiny")
        # inline, as the panes' own displays below are (an inline style outranks the stylesheet's)
        for selector in ("#status", "#filter-row", "#main", "#log"):
            self.query_one(selector).display = not tiny
        self.query_one("#tiny").display = tiny
        if tiny:
            self.query_one("#tiny", Static).update(
                f"hubtop needs at least {TINY[0]}x{TINY[1]} ({width}x{height} now);\n"
                "80x24 shows the tree and the event log; 120 columns the details and channels beside them.\n"
                "Make the terminal larger: hubtop comes back as it grows.")
            return
        status.styles.height = rows
        tree, log, details, channels = (self.query_one(HostTree), self.query_one("#log", EventLog),
                                        self.query_one(HostDetails), self.query_one(ChannelList))
        main = self.query_one("#main")
        main.styles.height = new.main if new.mode is not Mode.COMPACT else "1fr"
        compact = new.mode is Mode.COMPACT
        show_log = not compact or getattr(self.app, "compact_log", False)
        log.display = show_log
        tree.display = not compact or not show_log
        if compact:
            main.display = tree.display
            log.styles.height = "1fr"
        else:
            main.display = True
            log.styles.height = new.log
        panes = getattr(self.app, "panes", {})
        show_details = new.details and panes.get("details", True)
        show_channels = new.channels and panes.get("channels", True)
        self.query_one("#right").display = show_details or show_channels
        details.display = show_details
        channels.display = show_channels
        channels.styles.height = CHANNELS_ROWS if show_details else "1fr"
        self.app.layout_changed(new)  # type: ignore[attr-defined]

    @property
    def focus_chain(self) -> list[Widget]:
        """Tab order: tree, log, channels, details (as help and the README say); the filter only while in use."""
        order = ["#filter", "#tree", "#log", "#channels", "#details"]
        chain: list[Widget] = []
        for selector in order:
            for widget in self.query(selector):
                if widget.focusable and widget.display and all(a.display for a in widget.ancestors_with_self
                                                               if isinstance(a, Widget)):
                    chain.append(widget)
        if self.focused is not None and self.focused not in chain and self.focused.focusable:
            chain.append(self.focused)  # a widget inside details, say
        return chain
