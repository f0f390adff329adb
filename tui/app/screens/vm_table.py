"""The flat VM table (issue 15, point 9): every VM with its host, state, OS and uptime, sortable by any column
(``s`` the next column, ``S`` the other way), with a quick filter (``/``: plain text in the name, host, OS or
state). Enter closes it with the VM's key (``("v", host id, VM id)``) so the app can select it in the tree;
Escape or ``q`` closes it with ``None``.

What the rows are made of is taken under the monitor's lock when the model's version moved (references, no
work), at most twice a second, and less often when making the rows of a huge fleet takes long (never more
than a tenth of the time); the rows are made, sorted and filtered outside the lock.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from ..safe import plain
from ..safe import title as plain_title
from ..widgets.virtual_list import VirtualList
from ..widgets.vm_table import COLUMNS, SORTS, VmKey, VmTable, take

SYNC_S = 0.5
#: a copy may take at most this share of the time between two copies
COPY_SHARE = 0.1


class VmTableScreen(Screen[VmKey | None]):
    CSS_PATH = "views.tcss"
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="vms-back"),
        Binding("enter", "choose", "Select in tree", id="vms-choose"),
        Binding("s", "sort", "Sort column", id="vms-sort"),
        Binding("S", "reverse", "Reverse", id="vms-reverse"),
        # priority: read before the keys typed right after it are handed to the table (they go in the box)
        Binding("slash", "filter", "Filter", id="vms-filter", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._version = -1
        self._copied_at = 0.0
        self._cost = 0.0
        self._titles = ("", "")
        self.total = 0

    def compose(self) -> ComposeResult:
        box = Vertical(id="vms-box", classes="view-box")
        box.border_title = plain_title("VMs")
        with box:
            yield Input(placeholder="filter: text in the name, host, OS or state; Enter keeps, Escape clears",
                        id="vms-filter", classes="view-search")
            yield Static("", id="vms-head", classes="view-head", markup=False)
            yield Static("", id="vms-empty", classes="view-empty", markup=False)
            yield VmTable(id="vms")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#vms-filter").display = False
        self.query_one("#vms-empty").display = False
        self.query_one(VmTable).focus()
        self.sync()
        self.set_interval(SYNC_S, self.sync)

    def on_resize(self) -> None:
        self._paint()

    # ------------------------------------------------------------------ model -> view

    def sync(self, force: bool = False) -> None:
        """Copy the VMs when the model moved (at the pace a copy of this fleet allows), then sort and show."""
        table = self.query_one(VmTable)
        now = time.monotonic()
        if not force and now - self._copied_at < max(SYNC_S, self._cost / COPY_SHARE) - 0.01:
            return
        started = time.perf_counter()
        with self.app.monitor.read() as live:
            cluster = live.cluster
            if cluster.version == self._version and not force:
                return
            raw = take(cluster)
            self._version = cluster.version
        table.copy(raw)
        self.total = len(table.all)
        table.arrange()
        self._cost = time.perf_counter() - started
        self._copied_at = now
        self._paint()

    def _paint(self) -> None:
        table = self.query_one(VmTable)
        width = table.scrollable_content_region.width or table.size.width
        head = self.query_one("#vms-head", Static)
        if width:
            head.update(plain(table.header_line(width)))
        empty = self.query_one("#vms-empty", Static)
        if table.rows:
            empty.display = False
        else:
            empty.update(plain(f"No VM matches {table.filter_text.strip()!r} (of {self.total:,})."
                               if self.total else "No VMs known yet."))
            empty.display = True
        title = next(c.title.lower() for c in COLUMNS if c.key == table.sort)
        order = "descending" if table.reverse else "ascending"
        shown = f"{len(table.rows):,} of {self.total:,}" if table.filter_text.strip() else f"{self.total:,}"
        words = f"VMs: {shown} · by {title}, {order}"
        if table.filter_text.strip():
            words += f" · filter {table.filter_text.strip()!r}"
        g = self.app.glyphs
        titles = (g.text(words), g.text("Enter selects it in the tree · Escape or q: back"))
        if titles != self._titles:
            self._titles = titles
            box = self.query_one("#vms-box")
            box.border_title = plain_title(titles[0])
            box.border_subtitle = plain_title(titles[1])

    # ------------------------------------------------------------------ actions

    def action_sort(self) -> None:
        table = self.query_one(VmTable)
        table.set_sort(SORTS[(SORTS.index(table.sort) + 1) % len(SORTS)], table.reverse)
        self._paint()

    def action_reverse(self) -> None:
        table = self.query_one(VmTable)
        table.set_sort(table.sort, not table.reverse)
        self._paint()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter":  # in the box, "/" is text
            return self.focused is not self.query_one("#vms-filter")
        return True

    def action_filter(self) -> None:
        box = self.query_one("#vms-filter", Input)
        box.display = True
        # at once, not after the messages already waiting (``focus()`` defers): the keys a fast typist sent
        # right after the "/" are among them, and belong in the box
        self.set_focus(box)

    def on_input_changed(self, message: Input.Changed) -> None:
        message.stop()
        self.query_one(VmTable).set_filter(message.value)
        self._paint()

    def on_input_submitted(self, message: Input.Submitted) -> None:
        message.stop()
        self.query_one(VmTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#vms-filter", Input)
        if self.focused is box:  # Escape in the filter: clear it, back to the table
            box.value = ""
            box.display = False
            self.query_one(VmTable).set_filter("")
            self._paint()
            self.query_one(VmTable).focus()
            return
        self.dismiss(None)

    def action_choose(self) -> None:
        self.query_one(VmTable).action_select()

    def on_virtual_list_selected(self, message: VirtualList.Selected) -> None:
        message.stop()
        key = self.query_one(VmTable).key_at(message.index)
        if key is not None:
            self.dismiss(key)
