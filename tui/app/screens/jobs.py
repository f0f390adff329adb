"""The jobs view (issue 15, point 5): the server's jobs (``job_manager``) newest first, a failed one
highlighted; Enter shows a job's steps and its JSON. When the channel is off, the view says so and ``s``
subscribes to it.

Rows are copied under the monitor's lock twice a second, only when the job store's version moved; the ages
tick once a second, only their cells.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from rich.highlighter import JSONHighlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from ...model.jobs import JobKey
from ..safe import block, plain
from ..safe import title as plain_title
from ..widgets.job_list import JobList, job_badge, job_rows
from ..widgets.virtual_list import VirtualList

CHANNEL = "job_manager"
#: how often the view looks at the job store (it repaints only when the store moved)
SYNC_S = 0.5


class JobsScreen(Screen[None]):
    CSS_PATH = "views.tcss"
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="jobs-back"),
        Binding("s", "subscribe", "Subscribe to job_manager", id="jobs-subscribe"),
        # when there is nothing to subscribe to, s still belongs to this view (not to the tree's sort behind it)
        Binding("s", "nothing", "", show=False),
        Binding("enter", "open", "Steps and JSON", id="jobs-open", show=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._version = -1
        self._offer = ""
        self._last_age = 0.0
        #: the channel is off and can be asked for (``s`` is offered)
        self.can_subscribe = False

    @property
    def clock(self):
        return getattr(self.app, "clock", time.time)

    def compose(self) -> ComposeResult:
        box = Vertical(id="jobs-box", classes="view-box")
        box.border_title = plain_title("Jobs")
        box.border_subtitle = plain_title(self.app.glyphs.text("Enter: steps and JSON · Escape or q: back"))
        with box:
            yield Static("", id="jobs-head", classes="view-head", markup=False)
            yield Static("", id="jobs-empty", classes="view-empty", markup=False)
            yield JobList(id="jobs", clock=self.clock)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(JobList).focus()
        self.sync()
        self.set_interval(SYNC_S, self.sync)

    def on_resize(self) -> None:
        self._paint_head()

    # ------------------------------------------------------------------ model -> view

    def sync(self) -> None:
        """Copy the rows when the job store moved; say why the list is empty; tick the ages."""
        jobs_list = self.query_one(JobList)
        with self.app.monitor.read() as live:
            status = live.status
            subscribed = status is not None and CHANNEL in status.subscriptions
            connected = status is not None and status.state == "connected"
            wanted = CHANNEL in live.wanted_channels
            store = live.cluster.jobs
            rows = job_rows(live.cluster) if store.version != self._version else None
            self._version = store.version
        if subscribed:
            offer = ""
        elif not connected:
            offer = "Not connected yet: the jobs show once the feed is up."
        elif wanted:
            offer = f"Subscribing to {CHANNEL}…"
        else:
            offer = f"The {CHANNEL} channel is off, so no jobs arrive: press s to subscribe to it."
        can = connected and not subscribed and not wanted
        if can != self.can_subscribe:
            self.can_subscribe = can
            self.refresh_bindings()
        if rows is not None:
            jobs_list.show(rows)
            failed = sum(r.failed for r in rows)
            running = sum(r.state in ("init", "pending", "running") for r in rows)
            words = [f"{len(rows):,} job{'s' if len(rows) != 1 else ''}" if rows else "none yet"]
            if running:
                words.append(f"{running:,} running")
            if failed:
                words.append(f"{failed:,} failed")
            order = " (newest first)" if len(rows) > 1 else ""
            self.query_one("#jobs-box").border_title = plain_title("Jobs: " + ", ".join(words) + order)
        if rows is not None or offer != self._offer:
            self._offer = offer
            self._paint_empty(offer)
        now = time.monotonic()
        if now - self._last_age >= 1.0:
            self._last_age = now
            jobs_list.repaint_ages()

    def _paint_empty(self, offer: str) -> None:
        jobs_list = self.query_one(JobList)
        empty = self.query_one("#jobs-empty", Static)
        text = offer if offer or jobs_list.rows else \
            "No jobs yet: jobs are known from their events, none has come since hubtop connected."
        empty.update(plain(text))
        empty.display = bool(text)
        self._paint_head()

    def _paint_head(self) -> None:
        jobs_list = self.query_one(JobList)
        head = self.query_one("#jobs-head", Static)
        head.display = bool(jobs_list.rows)
        width = jobs_list.scrollable_content_region.width or jobs_list.size.width
        if width:
            head.update(plain(jobs_list.header_line(width)))

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "subscribe":
            return self.can_subscribe
        return True

    def action_subscribe(self) -> None:
        ensure = getattr(self.app, "ensure_channel", None)
        if ensure is not None:
            ensure(CHANNEL)
        elif CHANNEL not in self.app.monitor.wanted_channels:
            self.app.toggle_channel(CHANNEL)  # not wanted yet: the toggle adds it
        self.can_subscribe = False
        self.refresh_bindings()
        self.sync()

    def action_nothing(self) -> None:
        pass

    def action_back(self) -> None:
        self.dismiss(None)

    def action_open(self) -> None:
        self.query_one(JobList).action_select()

    def on_virtual_list_selected(self, message: VirtualList.Selected) -> None:
        message.stop()
        key = self.query_one(JobList).key_at(message.index)
        if key is not None:
            self.open_job(key)

    def open_job(self, key: JobKey) -> None:
        with self.app.monitor.read() as live:
            job = live.cluster.jobs.get(key)
            if job is None:
                found = None
            else:
                host = live.cluster.labels_of(job.host_id, None)[0] if job.host_id else "the server"
                found = (job.kind, job.id, job.state, host, [s.line for s in job.steps], [s.state for s in job.steps],
                         job.json_text())
        if found is None:
            self.app.notify("that job is gone (deleted, or dropped from the list)", severity="warning")
            return
        self.app.push_screen(JobDetailScreen(*found, at=self.clock(), utc=getattr(self.app, "utc", False)))


class JobDetailScreen(ModalScreen[None]):
    """One job: its steps, then the latest frame about it as JSON (as of when it was opened)."""

    CSS_PATH = "views.tcss"
    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", show=True)]

    def __init__(self, kind: str, job_id: str, state: str, host: str, steps: list[str], step_states: list[str],
                 json_text: str, at: float, utc: bool = False) -> None:
        super().__init__()
        self.kind, self.job_id, self.state, self.host = kind, job_id, state, host
        self.steps, self.step_states, self.json_text = steps, step_states, json_text
        moment = datetime.fromtimestamp(at, UTC) if utc else datetime.fromtimestamp(at).astimezone()
        self.as_of = moment.strftime("%H:%M:%S ") + ("UTC" if utc else moment.strftime("%Z") or "local")

    def compose(self) -> ComposeResult:
        glyphs = self.app.glyphs
        badge, _ = job_badge(self.state, glyphs)
        body = VerticalScroll(id="job-body", classes="view-dialog")
        body.border_title = plain_title(f"Job {self.kind} {self.job_id[:8]} on {self.host}: {badge}")
        body.border_subtitle = plain_title(glyphs.text(f"as of {self.as_of} · Escape, q or Enter closes"))
        with body:
            steps = Text()
            steps.append("Steps\n", style="bold")
            if not self.steps:
                steps.append("  (none reported)")
            for i, (line, state) in enumerate(zip(self.steps, self.step_states, strict=True)):
                mark, _ = job_badge(state, glyphs)
                steps.append(("\n" if i else "") + f"  {mark.split(' ', 1)[0]} ")
                steps.append(block(glyphs.text(line)))
            yield Static(steps, id="job-steps")
            yield Static(JSONHighlighter()(Text(self.json_text)), id="job-json")

    def action_dismiss(self) -> None:
        self.dismiss(None)
