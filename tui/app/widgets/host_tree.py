"""The live host -> VM tree.

A virtual list over rows computed from the cluster model: one row per host (expanded at start) and one per VM
under it, under the filter (:mod:`tui.model.query`) and the sort order (:mod:`tui.model.sorting`). Rows are
painted from copies (:mod:`.tree_rows`) made in :meth:`HostTree.sync`, which runs inside ``Monitor.read`` while
the model holds still: a host's view is made for the hosts on screen that the model reports changed (its VM
counts need a walk over its VMs), a VM's copy is brought up to date when the model reports it changed. Only
visible rows whose text changed are repainted; a host heard again repaints only its age's cells. The cursor and
the expanded state are kept by stable ids, so nothing jumps when events arrive or the filter changes.

The rows follow a generation counter, the one invalidation point (as Textual's own Tree does): anything that
changes which rows exist (hosts or VMs added or removed, the filter, the order, expanding or collapsing) bumps
it, and the rows are rebuilt lazily at the next sync (:mod:`.tree_build`): at once for the user's changes, at
most every ``REBUILD_EVERY_S`` for the feed's (a rebuild costs tens of ms on a 20,000-row tree), and every
``RESORT_EVERY_S`` when an order that follows the data (problems first, last heard) or a filter may read
differently. When only some hosts' VMs came, went or changed state, their blocks are spliced in place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip

from ...model.cluster import Cluster
from ...model.entities import Changes
from ...model.query import Query
from ...model.sorting import SortOrder
from ...protocol.text import clean
from ..glyphs import UNICODE, Glyphs
from .fit import fit, widths
from .tree_build import TreeBuild
from .tree_paint import empty_row, host_parts, short_age, vm_parts
from .tree_rows import FullRows, HostKey, HostView, VMBlock, VMRow, host_view
from .virtual_list import VirtualList

__all__ = ["HIGHLIGHT_S", "HostTree", "short_age"]

#: how long a changed row stays highlighted
HIGHLIGHT_S = 2.0
#: the least time between two rebuilds caused by the feed (a user's filter or expand rebuilds at once)
REBUILD_EVERY_S = 0.5
#: how often an order that follows the data, or a filter, is applied again while the data moves
RESORT_EVERY_S = 2.0
#: how often the VMs of hosts on screen are put back in order after their states changed
REORDER_EVERY_S = 1.0
#: orders a host's place in depends on what events change
DYNAMIC_ORDERS = (SortOrder.PROBLEMS, SortOrder.HEARD)


class HostTree(TreeBuild, VirtualList):
    """Hosts and their VMs. Posts :class:`VirtualList.Highlighted` / ``Selected`` with the row index;
    :meth:`key_at` turns it into ``("h", host_id, "")`` or ``("v", host_id, vm_id)``."""

    BINDINGS = [
        Binding("right,l", "expand", "Expand", show=False),
        Binding("left,h", "collapse", "Collapse", show=False),
        Binding("space", "toggle", "Expand/collapse", show=False),
        Binding("right_square_bracket", "next_host", "Next host", show=False),
        Binding("left_square_bracket", "previous_host", "Previous host", show=False),
        Binding("minus", "collapse_all", "Collapse all", show=False),
        Binding("plus,equals_sign", "expand_all", "Expand all", show=False),
    ]
    COMPONENT_CLASSES = {
        "host-tree--host", "host-tree--desc", "host-tree--healthy", "host-tree--unhealthy", "host-tree--unknown",
        "host-tree--link", "host-tree--vm", "host-tree--ok", "host-tree--off", "host-tree--busy",
        "host-tree--warn", "host-tree--dim", "host-tree--changed", "host-tree--guide", "host-tree--placeholder",
        "host-tree--stale",
    }

    def __init__(self, *, id: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(id=id)
        #: the wall clock ages and highlights are drawn by (a test freezes it by passing its own)
        self.clock = clock
        self.rows: list[HostKey] = []  # ("h", host_id, "") or ("v", host_id, vm_id), in screen order
        self.hosts: dict[str, HostView] = {}
        self.vms: dict[tuple[str, str], VMRow] = {}  # the VM rows shown, by key
        self.collapsed: set[str] = set()
        self.query = Query()
        self.order = SortOrder.NAME
        #: (hosts, VMs) shown
        self.matches = (0, 0)
        self._cursor_key: HostKey | None = None
        #: the one invalidation point: bumped when the set of rows changes; the rows reflect ``_built_for``
        self._generation = 1
        self._built_for = 0
        self._urgent = True
        self._filter_bumps = 0
        #: an order that follows the data, or the filter, may read differently now
        self._order_dirty = False
        #: hosts whose view may be out of date (remade as they come on screen)
        self._stale_hosts: set[str] = set()
        #: hosts whose VMs' states changed (their block is put in order again as they come on screen)
        self._resort: set[str] = set()
        self._reordered_at = 0.0
        #: a copy of every VM row made so far, by key (shared by every list of rows), and each host's block
        self._copies: dict[tuple[str, str], VMRow] = {}
        self._blocks: dict[str, VMBlock] = {}
        self._full: FullRows | None = None
        self._last_rebuild = 0.0
        self._born = 0.0
        #: per row drawn: where its age is (x, -, text), and whether it is highlighted (for the clock's repaint)
        self._age_spans: dict[int, tuple[int, int, str]] = {}
        self._lit: dict[int, bool] = {}
        #: why the rows may not be the server's now ("" when live): the rows are dimmed
        self.stale = ""
        #: why there are no rows (shown in their place)
        self.empty_note = ""

    # ------------------------------------------------------------------ model -> view

    def key_at(self, index: int) -> HostKey | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def row_of(self, key: HostKey) -> int | None:
        """The row of ``key`` (a C-speed scan of the row list), ``None`` when it is not shown."""
        try:
            return self.rows.index(key)
        except ValueError:
            return None

    @property
    def cursor_key(self) -> HostKey | None:
        return self.key_at(self.cursor)

    @property
    def filter_text(self) -> str:
        return self.query.describe()

    def set_query(self, query: Query) -> None:
        """Show what ``query`` matches (an empty query: everything)."""
        self.query = query
        self._filter_bumps += 1  # the unfiltered rows kept for Escape stay good
        self.invalidate(urgent=True)

    def set_order(self, order: SortOrder) -> None:
        if order != self.order:
            self.order = order
            self._full = None
            self.invalidate(urgent=True)

    def invalidate(self, urgent: bool) -> None:
        """The set of rows changed: rebuild them at the next sync (``urgent``: the user's doing, at once)."""
        self._generation += 1
        self._urgent = self._urgent or urgent

    def sync(self, cluster: Cluster, changes: Changes, now: float | None = None) -> None:
        """Bring the copies up to date with the model. Call inside ``Monitor.read``."""
        now = self.clock() if now is None else now
        copies, hosts = self._copies, cluster.hosts
        dirty: set[tuple[str, str]] = set()  # the rows that read differently now: ("", host) or (host, vm)
        for key in changes.vms:  # a VM the model changed: its copy, wherever it is shown
            row = copies.get(key)
            if row is not None:
                host = hosts.get(key[0])
                vm = host.vms.get(key[1]) if host is not None else None
                if vm is not None:
                    state = row.state
                    if row.update(vm):
                        dirty.add(key)
                        if row.state != state:
                            self._resort.add(key[0])
        if (changes.hosts or changes.vms) and (self.query or self.order in DYNAMIC_ORDERS):
            self._order_dirty = True
        if changes.structure:
            if changes.hosts_changed or self.query or self._built_for != self._generation:
                self.invalidate(urgent=not self.rows)  # the first hosts: at once (the title already counts them)
            else:  # only some hosts' VMs came or went: splice their blocks, no walk over the other rows
                self._generation += 1
                self._built_for = self._generation
                for hid in changes.reshaped:
                    self._splice(cluster, hid)
        tick = time.monotonic()
        since = tick - self._last_rebuild
        if self._order_dirty and since >= RESORT_EVERY_S:
            self.invalidate(urgent=False)
        if self._built_for != self._generation and (self._urgent or since >= REBUILD_EVERY_S):
            self._last_rebuild = tick
            self._rebuild(cluster, now)
            return
        self._reorder_visible(cluster, tick)
        # a host's view needs a walk over its VMs: make it now only for the hosts on screen; the others are
        # remade when they scroll into view (at the next tick)
        self._stale_hosts |= changes.hosts
        hosts, rows, stale, views = cluster.hosts, self.rows, self._stale_hosts, self.hosts
        for i in self.visible_range():
            kind, hid, _ = rows[i]
            if kind == "h" and hid in stale:
                stale.discard(hid)
                host = hosts.get(hid)
                if host is not None and hid in views:
                    view, old = host_view(host), views[hid]
                    if view != old:
                        views[hid] = view
                        # heard again and nothing else: only its age's cells
                        same = view.last_heard != old.last_heard and replace(old, last_heard=view.last_heard) == view
                        dirty.add(("age" if same else "", hid))
        self._repaint_dirty(dirty)

    def _reorder_visible(self, cluster: Cluster, tick: float) -> None:
        """Put back in order the VMs of the hosts on screen whose states changed (once a second at most)."""
        if not self._resort or self.query or tick - self._reordered_at < REORDER_EVERY_S:
            return
        self._reordered_at = tick
        rows, resort = self.rows, self._resort
        on_screen = {rows[i][1] for i in self.visible_range()} & resort
        for hid in on_screen:
            self._blocks.pop(hid, None)
            self._splice(cluster, hid)

    def _repaint_dirty(self, dirty: set[tuple[str, str]]) -> None:
        """Repaint the visible rows that read differently now, each on its own: only the ~50 rows on screen are
        looked at, however many changed, and a row that did not change is not sent to the terminal again."""
        if not self.rows or not dirty:
            return
        rows, now = self.rows, self.clock()
        for i in self.visible_range():
            kind, hid, vid = rows[i]
            if (("", hid) if kind == "h" else (hid, vid)) in dirty:
                self.refresh_row(i)
            elif kind == "h" and ("age", hid) in dirty:
                self._refresh_age(i, now)

    def _refresh_age(self, index: int, now: float) -> None:
        """Repaint a host row's age if it reads differently now: only its cells (to the row's end)."""
        view = self.hosts.get(self.rows[index][1])
        span = self._age_spans.get(index)
        if view is None or span is None:  # no age shown at this width (or not painted yet)
            return
        if span[2] != short_age(view.last_heard, now, self.glyphs.never):
            x = span[0]
            self.refresh(Region(x, index - self.scroll_offset.y, max(1, self.scrollable_content_region.width - x), 1))

    def repaint_clock(self) -> None:
        """Once a second: the "last heard" ages that read differently now (only their cells), and the rows
        whose highlight ran out (only those rows)."""
        now = self.clock()
        rows = self.rows
        for i in self.visible_range():
            kind, hid, vid = rows[i]
            if kind == "h":
                view = self.hosts.get(hid)
                if view is None:
                    continue
                if i in self._age_spans:
                    self._refresh_age(i, now)
                changed = view.changed_at
            else:
                vm = self.vms.get((hid, vid))
                changed = vm.last_change or 0.0 if vm is not None else 0.0
            if self._lit.get(i) and not now - changed < HIGHLIGHT_S:
                self.refresh_row(i)

    def set_stale(self, why: str) -> None:
        """Mark the tree stale (dimmed) while the feed is down or its channel off; the title says why."""
        if why != self.stale:
            self.stale = why
            self.refresh()

    def set_empty_note(self, note: str) -> None:
        """What the tree says while it has no rows (why it is empty); repainted only when it changes."""
        if note != self.empty_note:
            self.empty_note = note
            if not self.rows:
                self.refresh()

    def render_line(self, y: int) -> Strip:
        if not self.rows and y == 0 and self.empty_note:  # an empty tree says why, never a blank box
            width = self.scrollable_content_region.width
            segments = Segment.apply_style(empty_row(self.empty_note, width, self.style_for, self.glyphs), self.base_style)
            return Strip(segments).crop_extend(0, width, self.base_style)
        strip = super().render_line(y)
        if self.stale:  # a frozen tree must not look live: every row dimmed, its colours kept
            strip = Strip(Segment.apply_style(list(strip), post_style=self.style_for("host-tree--stale")),
                          strip.cell_length)
        return strip

    @property
    def glyphs(self) -> Glyphs:
        return getattr(self.app, "glyphs", UNICODE)

    # ------------------------------------------------------------------ rendering

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        rows = self.rows
        kind, hid, vid = rows[index]
        now = self.clock()
        g = self.glyphs
        if kind == "h":
            view = self.hosts.get(hid)
            if view is None:
                return [Segment(clean(hid, 80))]
            arrow = g.collapsed if hid in self.collapsed and not self.query else g.expanded
            lit = self._lit[index] = now - view.changed_at < HIGHLIGHT_S and view.changed_at > self._born
            age = short_age(view.last_heard, now, g.never)
            segs = fit(host_parts(view, g, self.style_for, arrow, lit, age), width, g.ellipsis)
            if segs[-1].text == f"  {age}":
                self._age_spans[index] = (widths(segs)[-1], 0, age)
            else:
                self._age_spans.pop(index, None)
            return segs
        vm = self.vms.get((hid, vid))
        last = index + 1 >= len(rows) or rows[index + 1][0] != "v"
        guide = "  " + (g.last if last else g.branch)
        if vm is None:
            return [Segment(guide, self.style_for("host-tree--guide")), Segment(clean(vid, 80))]
        changed = vm.last_change or 0.0
        lit = self._lit[index] = now - changed < HIGHLIGHT_S and changed > self._born
        return fit(vm_parts(vm, g, self.style_for, guide, lit), width, g.ellipsis)

    # ------------------------------------------------------------------ actions

    def _host_of_cursor(self) -> str | None:
        key = self.cursor_key
        return key[1] if key else None

    def _changed_shape(self, key: HostKey | None) -> None:
        self._cursor_key = key
        self.invalidate(urgent=True)
        self.post_message(self.Changed(self))

    def reveal(self, key: HostKey) -> None:
        """Show ``key`` (its host expanded) and put the cursor on it at the next sync."""
        self.collapsed.discard(key[1])
        self._changed_shape(key)

    def action_expand(self) -> None:
        hid = self._host_of_cursor()
        if hid and hid in self.collapsed:
            self.collapsed.discard(hid)
            self._changed_shape(("h", hid, ""))

    def action_collapse(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        if key[0] == "v":
            host_row = self.row_of(("h", key[1], ""))
            self.set_cursor(self.cursor if host_row is None else host_row)
            return
        if key[1] not in self.collapsed and not self.query:
            self.collapsed.add(key[1])
            self._changed_shape(key)

    def action_toggle(self) -> None:
        hid = self._host_of_cursor()
        if hid is None:
            return
        if hid in self.collapsed:
            self.action_expand()
        else:
            host_row = self.row_of(("h", hid, ""))
            self.set_cursor(self.cursor if host_row is None else host_row)
            self.action_collapse()

    def action_collapse_all(self) -> None:
        if not self.query and len(self.collapsed) < len(self.hosts):
            hid = self._host_of_cursor()
            self.collapsed.update(self.hosts)
            self._changed_shape(("h", hid, "") if hid else None)

    def action_expand_all(self) -> None:
        if self.collapsed:
            self.collapsed.clear()
            self._changed_shape(self.cursor_key)

    def action_next_host(self) -> None:
        self._jump_host(+1)

    def action_previous_host(self) -> None:
        self._jump_host(-1)

    def _jump_host(self, step: int) -> None:
        """To the next (or previous) host row (past one host's VM rows at most)."""
        rows, i = self.rows, self.cursor
        if not rows:
            return
        if step > 0:
            for j in range(i + 1, len(rows)):
                if rows[j][0] == "h":
                    self.set_cursor(j)
                    return
        else:  # from a VM row, the nearest host above is its own
            for j in range(i - 1, -1, -1):
                if rows[j][0] == "h":
                    self.set_cursor(j)
                    return

    class Changed(Message):
        """The tree's shape was changed by the user (expand/collapse): the app should sync it now."""

        def __init__(self, sender: HostTree) -> None:
            super().__init__()
            self.sender = sender
