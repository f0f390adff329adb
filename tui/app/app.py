"""HubtopApp: bindings, the monitor's worker, the pace of the refresh, signals and themes.

The monitor (:class:`~tui.live.monitor.Monitor`) runs the hub client in a thread worker and applies every event
to the plain model; this app only renders the model, on a timer (:mod:`.tick`), through the monitor's one door,
redrawing what changed. The timer runs at up to 10 Hz while changes or keys flow and falls to once a second when
nothing happens (what a quiet screen needs: its ages), back up at once on a key. It never does per-event widget
work, and it never touches the feed's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.color import Color
from textual.driver import Driver
from textual.screen import Screen
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ..live.feed import Feed
from ..live.monitor import Monitor
from ..live.tuning import SWITCH_INTERVAL_S, Tuning, tuned
from ..model.alerts import AlertConfig, Alerts
from ..protocol.text import clean
from ..settings import Settings
from ..state import load_state
from .actions import Actions
from .commands import HubtopCommands
from .find import Find
from .glyphs import Glyphs, choose
from .layout import Plan
from .safe import title as plain_title
from .screens.main import FilterInput, MainScreen
from .tick import Tick
from .tools import SENT_MOST, Tools
from .widgets.channels import ChannelList
from .widgets.event_log import EventLog
from .widgets.host_details import HostDetails
from .widgets.host_tree import HostTree
from .widgets.status_bar import StatusBar
from .widgets.virtual_list import AsciiScrollBar

#: the fastest the screen refreshes (``--refresh`` caps it lower for slow links)
MAX_HZ = 10.0
#: with nothing new for this long, the refresh falls to once a second
QUIET_S = 1.0
#: keys or the mouse within this long: the screen keeps up at full pace
INTERACTIVE_S = 2.0
#: the pace while things change but nobody is at the keys (what an SRE watching needs, at a cost a slow link
#: can carry)
WATCH_S = 0.5
#: the exit codes of a signal's ending, as a shell reports them
SIGNAL_EXIT = {signal.SIGTERM: 143, signal.SIGHUP: 129}


class HubtopApp(Tick, Actions, Find, Tools, App[None]):
    CSS_PATH = "hubtop.tcss"
    TITLE = "hubtop"
    COMMANDS = App.COMMANDS | {HubtopCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit-ctrl-c"),
        Binding("ctrl+z", "suspend_process", "Suspend", show=False, id="suspend"),
        # priority: the app reads "/" before it hands the keys typed right after it to the focused widget
        Binding("slash", "filter", "Filter", id="filter", priority=True),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("exclamation_mark", "problems", "Problems", id="problems"),
        Binding("r", "reconnect", "Reconnect now", id="reconnect"),
        Binding("p", "hold_or_pause", "Hold log", show=False, id="hold"),
        Binding("n", "narrow", "Narrow log", show=False, id="narrow"),
        Binding("m", "mute", "Mute type", show=False, id="mute"),
        Binding("c", "channels", "Channels", id="channels"),
        Binding("v", "vm_table", "VMs", show=False, id="vm-table"),
        Binding("J", "jobs", "Jobs", show=False, id="jobs"),
        Binding("L", "host_logs", "Host logs", show=False, id="host-logs"),
        Binding("y", "copy('id')", "Copy id", show=False, id="copy-id"),
        Binding("Y", "copy('name')", "Copy name", show=False, id="copy-name"),
        Binding("e", "export", "Export", show=False, id="export"),
        Binding("u", "toggle_utc", "UTC/local", show=False, id="utc"),
        Binding("end", "follow_log", "Resume log", show=False, id="follow"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("f1", "help", "Help", show=False, id="help-f1"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear-filter"),
    ]

    def __init__(self, settings: Settings, *, refresh_hz: float = MAX_HZ, export_dir: str | Path | None = None,
                 start_feed: bool = True, clock: Callable[[], float] = time.time, ascii: bool = False,
                 utc: bool = False, glyphs: Glyphs | None = None, source: Callable[[Feed], Any] | None = None,
                 remember: bool = False, desktop_notify: bool = True, ansi: bool | None = None) -> None:
        super().__init__()
        self.settings = settings
        #: the feed: the hub, or a recording (``source``: ``hubtop replay``)
        self.monitor = Monitor(settings, source=source)
        #: the view's state is remembered between runs (``hubtop`` itself; not a test's app, nor a replay)
        self.remember = remember
        #: the base 16 colours for health and state (``None``: when the terminal has no more)
        self.ansi = ansi
        #: alerts also go to the terminal as desktop notifications (OSC 9 / OSC 777)
        self.desktop_notify = desktop_notify
        self.alert_config, self.alert_warnings = AlertConfig.from_profile({"notify": settings.notify})
        self.alerts = Alerts(self.alert_config)
        #: the terminal's driver, once running (escape sequences written on purpose go through it)
        self.terminal_writer: Driver | None = None
        self.sent: deque[str] = deque(maxlen=SENT_MOST)
        #: the panes a wide terminal shows beside the tree (remembered)
        self.panes = {"details": True, "channels": True}
        #: the / line: the tree's filter (as typed), the problems-only view, the log's search
        self.find_target = "tree"
        self.tree_filter = ""
        self.problems_only = False
        self.log_search = ""
        self.log_regex = False
        self._state_warned = False
        self._find_error = ""
        self._note_shown: Text | None = None
        #: the wall clock the screen's times and ages are drawn by (a snapshot test passes a frozen one)
        self.clock = clock
        self.tick_s = 1.0 / max(0.2, min(MAX_HZ, refresh_hz))
        self.export_dir = Path(export_dir or ".")
        self.start_feed = start_feed
        self.glyphs = glyphs or choose(ascii)
        self.utc = utc
        #: the one-column mode shows the log instead of the tree
        self.compact_log = False
        self.last_export: Path | None = None
        self._last_state: str | None = None
        self._filter_timer: Timer | None = None
        self._last_filter = 0.0
        self._down = False
        self._last_clock = 0.0
        self._title_cache: dict[str, str] = {}
        self._settings_stack = ExitStack()
        self._tuning: Tuning | None = None
        self._quiet_since = time.monotonic()
        self._input_at = time.monotonic()
        self._tick_at = 0.0
        self._log_at = 0.0
        self._activity = (-1, -1, -1)
        self._pace: Timer | None = None
        self._counts: tuple[int, float, int, int] | None = None
        self._totals: tuple[tuple[str, str], ...] = ()
        self._channels_asked: tuple[int, tuple[str, ...]] = (0, ())
        self._scrollbars: type[ScrollBarRender] | None = None
        self._down_since: float | None = None
        self.ingest: Worker | None = None
        #: why the ingest side stopped, when it failed (shown in the status bar)
        self.ingest_error: str | None = None
        self.ticks = 0

    # ------------------------------------------------------------------ screen, theme

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal, which also tells the app it is the way to the terminal (the escape
        sequences hubtop writes on purpose go after the frames, never inside one)."""
        base = super().get_driver_class()
        app = self

        class Terminal(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                app.terminal_writer = self

        return Terminal

    def get_default_screen(self) -> Screen:
        self.main_screen = MainScreen()
        return self.main_screen

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables and ``$muted``: its foreground blended toward its background, opaque, so muted
        text is dimmer than normal text in every theme (dark and light alike)."""
        variables = super().get_css_variables()
        try:
            fg, bg = Color.parse(variables["foreground"]), Color.parse(variables["background"])
            variables["muted"] = bg.blend(fg.with_alpha(1.0), 0.62).hex
            # the cursor row: the background tinted toward the theme's primary, opaque, so a row's own colours
            # (red for unhealthy, green for running) stay readable on it, dark and light themes alike
            primary = Color.parse(variables["primary"]).with_alpha(1.0)
            variables["cursor-row"] = bg.blend(primary, 0.38).hex
            variables["cursor-row-blur"] = bg.blend(primary, 0.16).hex
        except Exception:  # a theme without these: fall back to Textual's own
            variables["muted"] = variables.get("foreground-muted", "#888888")
            variables["cursor-row"] = variables.get("block-cursor-background", "#0178d4")
            variables["cursor-row-blur"] = variables.get("block-cursor-blurred-background", "#333333")
        return variables

    # ------------------------------------------------------------------ lifecycle

    def main_ready(self) -> None:
        """The main screen is composed and mounted (it calls this): keep its panes at hand, start the feed."""
        screen = self.main_screen
        self.host_tree = screen.query_one("#tree", HostTree)
        self.log_view = screen.query_one("#log", EventLog)
        self.details = screen.query_one("#details", HostDetails)
        self.channels = screen.query_one("#channels", ChannelList)
        self.status_bar = screen.query_one("#status", StatusBar)
        self.filter_box = screen.query_one("#filter", FilterInput)
        self.filter_note = screen.query_one("#filter-note", Static)
        self.status_bar.glyphs = self.glyphs
        self.set_class(self.glyphs.ascii, "-ascii")
        if self.glyphs.ascii:  # every scrollbar of whole cells (no eighth blocks on a Linux console); put back on exit
            self._scrollbars = ScrollBar.renderer
            ScrollBar.renderer = AsciiScrollBar
        # 16 or 8 colours: the theme's shades of green and red would all fall to grey; the base palette keeps them
        ansi = self.console.color_system in ("standard", "windows") if self.ansi is None else self.ansi
        self.set_class(ansi, "-ansi")
        self.host_tree.border_title = plain_title("Hosts")
        self.log_view.border_title = plain_title("Events")
        self.details.border_title = plain_title("Details")
        self.channels.border_title = plain_title("Channels")
        self.host_tree.focus()
        if self.remember:
            state, problems = load_state(self.settings.profile)
            self.apply_ui_state(state)
            if problems:
                self.notify("some of the remembered view could not be read: " + "; ".join(problems),
                            severity="warning", timeout=8)
        for warning in self.alert_warnings:
            self.notify(warning, title="Notifications", severity="warning", timeout=10)
        # back from Ctrl+Z (fg): the terminal holds what the shell drew meanwhile; draw every cell again
        self.app_resume_signal.subscribe(self, self._redraw_all)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            for sig, code in SIGNAL_EXIT.items():  # a closed SSH session or `kill`: put the terminal back
                loop.add_signal_handler(sig, self.exit, None, code)
        if self.start_feed:
            # the feed thread is busy at a high event rate; every time the UI loop blocks for input it hands
            # the GIL over and waits up to the switch interval to get it back: a short interval keeps a key
            # press from waiting 5 ms a dozen times on its way to its handler. Put back on the way out.
            self._tuning = self._settings_stack.enter_context(tuned(SWITCH_INTERVAL_S))
            # a crash of the ingest side arrives as this worker's state change (on_worker_state_changed)
            self.ingest = self.run_worker(self.monitor.run, name="ingest", group="ingest", thread=True,
                                          exit_on_error=False)
        self._pace = self.set_interval(self.tick_s, self._on_pace)
        self.refresh_from_model()

    def _redraw_all(self, _app: object = None) -> None:
        self.screen.refresh()
        self.refresh(layout=True)

    def on_unmount(self) -> None:
        if self._scrollbars is not None:
            ScrollBar.renderer = self._scrollbars
        if self._pace is not None:
            self._pace.stop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            for sig in SIGNAL_EXIT:
                loop.remove_signal_handler(sig)
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

    def layout_changed(self, plan: Plan) -> None:
        """The screen was laid out again (a resize): the panes that show now are brought up to date."""
        if getattr(self, "host_tree", None) is not None and self._pace is not None:
            self.refresh_from_model(force=True)

    # ------------------------------------------------------------------ the pace of the refresh

    @property
    def interactive(self) -> bool:
        """Someone is at the keys (or the mouse) right now."""
        return time.monotonic() - self._input_at < INTERACTIVE_S

    def _on_pace(self) -> None:
        """Each beat of the timer (up to 10 Hz): a tick at every beat while someone is at the keys; twice a second
        while the feed changes things; once a second when nothing moves (the ages)."""
        now = time.monotonic()
        activity = self.monitor.activity()
        if activity != self._activity:
            self._activity = activity
            self._quiet_since = now
        if self.interactive:
            due = True
        elif now - self._quiet_since < QUIET_S:
            due = now - self._tick_at >= WATCH_S
        else:
            due = now - self._last_clock >= 1.0
        if due:
            self._tick_at = now
            self.refresh_from_model()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown | events.MouseScrollUp):
            self._input_at = time.monotonic()  # keys flow: the screen keeps up at full pace
        await super().on_event(event)

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification as plain text: a message may quote the server (an error, a name), and Textual
        would parse markup in it."""
        super().notify(clean(message, 600), title=clean(title, 100), severity=severity, timeout=timeout,
                       markup=False)
