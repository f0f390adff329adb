"""The jobs the server runs (``job_manager``), newest first: state (symbol and word), progress, type and
operation, owner, host, age and message; a failed job's row is highlighted.

Rows are painted from copies (:class:`JobRow`) made by :func:`job_rows` inside ``Monitor.read``; their text
is already safe (the job store cleans it once per update). Ages tick: :meth:`JobList.repaint_ages` repaints
only the age cells that read differently now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.segment import Segment
from textual.geometry import Region

from ...model.cluster import Cluster
from ...model.describe import ago
from ...model.jobs import JobKey
from ...protocol.text import clean
from ..glyphs import UNICODE, Glyphs
from .columns import Column, Placed, header, layout, row
from .virtual_list import VirtualList

#: a job's state -> its symbol (Unicode, ASCII) and the tone of its colour
JOB_STATES: dict[str, tuple[str, str, str]] = {
    "init": ("○", "o", "busy"),
    "pending": ("◌", ".", "busy"),
    "running": ("▶", ">", "busy"),
    "completed": ("✔", "+", "ok"),
    "failed": ("✖", "x", "bad"),
    "skipped": ("↷", "-", "off"),
}

COLUMNS = (
    Column("state", "STATE", 11),
    Column("progress", "DONE", 4, right=True),
    Column("kind", "TYPE", 17, drop=3),
    Column("owner", "OWNER", 14, drop=5),
    Column("host", "HOST", 18, drop=4),
    Column("age", "AGE", 4, right=True, drop=2),
    Column("said", "MESSAGE", least=20),
)


def job_badge(state: str, glyphs: Glyphs) -> tuple[str, str]:
    """``✖ failed`` (or ``x failed``) and the tone of its colour."""
    uni, asc, tone = JOB_STATES.get(state, ("?", "?", "warn"))
    return f"{asc if glyphs.ascii else uni} {state or 'unknown'}", tone


@dataclass(frozen=True, slots=True)
class JobRow:
    """What a job's row shows, copied while the model holds still."""

    key: JobKey
    state: str
    progress: str
    kind: str
    owner: str
    host: str
    said: str
    failed: bool
    #: when it started (Unix seconds): its age is drawn from this
    start: float


def job_rows(cluster: Cluster) -> list[JobRow]:
    """Every job's row, newest first. Call inside ``Monitor.read``."""
    rows = []
    for job in cluster.jobs.listing():
        created = job.created()
        host = clean(cluster.labels_of(job.host_id, None)[0], 200) if job.host_id else "server"
        progress = f"{job.progress:.0f}%" if job.progress is not None else ""
        rows.append(JobRow(job.key, job.state, progress, job.kind, job.owner, host, job.said, job.failed,
                           created if created is not None else job.first_seen))
    rows.sort(key=lambda r: (-r.start, r.key))
    return rows


class JobList(VirtualList):
    """Jobs, newest first. Posts ``VirtualList.Selected`` on Enter; :meth:`key_at` names the job."""

    COMPONENT_CLASSES = {
        "job-list--ok",
        "job-list--bad",
        "job-list--busy",
        "job-list--off",
        "job-list--warn",
        "job-list--dim",
        "job-list--failed",
    }

    def __init__(self, *, id: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.rows: list[JobRow] = []
        self._placed: tuple[int, tuple[Placed, ...]] = (-1, ())
        #: per row drawn: the age it shows
        self._ages: dict[int, str] = {}

    @property
    def glyphs(self) -> Glyphs:
        return getattr(self.app, "glyphs", UNICODE)

    def placed(self, width: int) -> tuple[Placed, ...]:
        if self._placed[0] != width:
            self._placed = (width, layout(COLUMNS, width))
        return self._placed[1]

    def header_line(self, width: int) -> str:
        return header(self.placed(width))

    def key_at(self, index: int) -> JobKey | None:
        return self.rows[index].key if 0 <= index < len(self.rows) else None

    @property
    def cursor_key(self) -> JobKey | None:
        return self.key_at(self.cursor)

    def show(self, rows: list[JobRow]) -> None:
        """Show these rows; the cursor stays on its job when it is still there."""
        key = self.cursor_key
        self.rows = rows
        self._ages.clear()
        self.set_row_count(len(rows))
        if key is not None:
            index = next((i for i, r in enumerate(rows) if r.key == key), None)
            if index is not None and index != self.cursor:
                self.set_cursor(index)
        self.refresh()

    def age_text(self, job: JobRow, now: float) -> str:
        return ago(job.start, now, suffix="", never=self.glyphs.never)

    def repaint_ages(self) -> None:
        """Repaint the age cells that read differently now (only those cells)."""
        width = self.scrollable_content_region.width
        age = next((p for p in self.placed(width) if p.column.key == "age"), None)
        if age is None:
            return
        now = self.clock()
        top = self.scroll_offset.y
        for i in self.visible_range():
            shown = self._ages.get(i)
            if shown is not None and shown != self.age_text(self.rows[i], now):
                self.refresh(Region(age.x, i - top, age.width, 1))

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        job = self.rows[index]
        st = self.style_for
        g = self.glyphs
        badge, tone = job_badge(job.state, g)
        dim = st("job-list--dim")
        age = self.age_text(job, self.clock())
        self._ages[index] = age
        values = {
            "state": (badge, st(f"job-list--{tone}")),
            "progress": (job.progress or g.never, None),
            "kind": (job.kind, None),
            "owner": (job.owner or g.never, dim),
            "host": (job.host, None),
            "age": (age, dim),
            "said": (g.text(job.said), st("job-list--bad") if job.failed else None),
        }
        segments = row([(p, *values[p.column.key]) for p in self.placed(width)], g.ellipsis)
        if job.failed:  # the whole row marked, its colours kept
            segments = list(Segment.apply_style(segments, post_style=st("job-list--failed")))
        return segments
