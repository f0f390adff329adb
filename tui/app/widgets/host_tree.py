"""The live host -> VM tree.

A virtual list over rows computed from the cluster model: one row per host (expanded at start) and one per VM
under it. Rows are painted from copies (:mod:`.tree_rows`) made in :meth:`HostTree.sync`, which runs inside
``Monitor.read`` while the model holds still: a host's view is made for the hosts on screen that the model
reports changed (its VM counts need a walk over its VMs), a VM's copy is brought up to date when the model
reports it changed. Only visible changed rows are repainted. The cursor and the expanded state are kept by
stable ids, so nothing jumps when events arrive or the filter changes.

The rows follow a generation counter, the one invalidation point (as Textual's own Tree does): anything that
changes which rows exist (hosts or VMs added or removed, the filter, expanding or collapsing) bumps it, and
the rows are rebuilt lazily at the next sync: at once for the user's changes, at most every
``REBUILD_EVERY_S`` for the feed's (a rebuild costs tens of ms on a 20,000-row tree). When only some hosts'
VMs came or went, their blocks are spliced in place instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.segment import Segment
from textual.binding import Binding
from textual.message import Message

from ...model.cluster import Cluster
from ...model.describe import HEALTH_SYMBOL, LINK_SYMBOL, VM_SYMBOL, VM_TONE, ago
from ...model.entities import LINK_CONNECTED, UNKNOWN, Changes, Host
from ...protocol.text import clean
from .tree_rows import FullRows, HostKey, HostView, VMBlock, VMRow, host_view, vm_order
from .virtual_list import VirtualList

#: how long a changed row stays highlighted
HIGHLIGHT_S = 2.0
#: the least time between two rebuilds caused by the feed (a user's filter or expand rebuilds at once)
REBUILD_EVERY_S = 0.5


def short_age(ts: float | None, now: float) -> str:
    return ago(ts, now, suffix="", never="–")


class HostTree(VirtualList):
    """Hosts and their VMs. Posts :class:`VirtualList.Highlighted` / ``Selected`` with the row index;
    :meth:`key_at` turns it into ``("h", host_id, "")`` or ``("v", host_id, vm_id)``."""

    BINDINGS = [
        Binding("right,l", "expand", "Expand", show=False),
        Binding("left,h", "collapse", "Collapse", show=False),
        Binding("space", "toggle", "Expand/collapse", show=False),
    ]
    COMPONENT_CLASSES = {
        "host-tree--host",
        "host-tree--desc",
        "host-tree--healthy",
        "host-tree--unhealthy",
        "host-tree--unknown",
        "host-tree--link",
        "host-tree--vm",
        "host-tree--ok",
        "host-tree--off",
        "host-tree--busy",
        "host-tree--warn",
        "host-tree--dim",
        "host-tree--changed",
        "host-tree--guide",
        "host-tree--placeholder",
    }

    def __init__(self, *, id: str | None = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(id=id)
        #: the wall clock ages and highlights are drawn by (a test freezes it by passing its own)
        self.clock = clock
        self.rows: list[HostKey] = []  # ("h", host_id, "") or ("v", host_id, vm_id), in screen order
        self.hosts: dict[str, HostView] = {}
        self.vms: dict[tuple[str, str], VMRow] = {}  # the VM rows shown, by key
        self.collapsed: set[str] = set()
        self.filter_text = ""
        self.matches = 0
        self._cursor_key: HostKey | None = None
        #: the one invalidation point: bumped when the set of rows changes; the rows reflect ``_built_for``
        self._generation = 1
        self._built_for = 0
        self._urgent = True
        self._filter_bumps = 0
        #: hosts whose view may be out of date (remade as they come on screen)
        self._stale_hosts: set[str] = set()
        #: a copy of every VM row made so far, by key (shared by every list of rows), and each host's block
        self._copies: dict[tuple[str, str], VMRow] = {}
        self._blocks: dict[str, VMBlock] = {}
        self._full: FullRows | None = None
        self._last_rebuild = 0.0
        self._born = 0.0

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

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._filter_bumps += 1  # the unfiltered rows kept for Escape stay good
        self.invalidate(urgent=True)

    def invalidate(self, urgent: bool) -> None:
        """The set of rows changed: rebuild them at the next sync (``urgent``: the user's doing, at once)."""
        self._generation += 1
        self._urgent = self._urgent or urgent

    def sync(self, cluster: Cluster, changes: Changes, now: float | None = None) -> None:
        """Bring the copies up to date with the model. Call inside ``Monitor.read``."""
        now = self.clock() if now is None else now
        copies, hosts = self._copies, cluster.hosts
        for key in changes.vms:  # a VM the model changed: its copy, wherever it is shown
            row = copies.get(key)
            if row is not None:
                host = hosts.get(key[0])
                vm = host.vms.get(key[1]) if host is not None else None
                if vm is not None:
                    row.copy_from(vm)
        if changes.structure:
            if changes.hosts_changed or self.filter_text or self._built_for != self._generation:
                self.invalidate(urgent=False)
            else:  # only some hosts' VMs came or went: splice their blocks, no walk over the other rows
                self._generation += 1
                self._built_for = self._generation
                for hid in changes.reshaped:
                    self._splice(cluster, hid)
        tick = time.monotonic()
        if self._built_for != self._generation and (self._urgent or tick - self._last_rebuild >= REBUILD_EVERY_S):
            self._last_rebuild = tick
            self._rebuild(cluster, now)
            return
        # a host's view needs a walk over its VMs: make it now only for the hosts on screen; the others are
        # remade when they scroll into view (at the next tick)
        self._stale_hosts |= changes.hosts
        hosts, rows, stale = cluster.hosts, self.rows, self._stale_hosts
        for i in self.visible_range():
            kind, hid, _ = rows[i]
            if kind == "h" and hid in stale:
                stale.discard(hid)
                host = hosts.get(hid)
                if host is not None and hid in self.hosts:
                    self.hosts[hid] = host_view(host)
        self._repaint_dirty(changes)

    def _splice(self, cluster: Cluster, hid: str) -> None:
        """Replace one host's VM rows after VMs came or went there: no walk over the other 20,000 rows."""
        host = cluster.hosts.get(hid)
        start = self.row_of(("h", hid, ""))
        if host is None or start is None:
            self.invalidate(urgent=False)
            return
        rows = self.rows
        end = start + 1
        while end < len(rows) and rows[end][0] == "v" and rows[end][1] == hid:
            end += 1
        vm_block = self._vm_block(host)
        for _, _, vid in rows[start + 1:end]:
            self.vms.pop((hid, vid), None)
        self.vms.update(zip(((hid, vid) for vid in vm_block.ids), vm_block.rows, strict=True))
        block = [] if hid in self.collapsed else vm_block.keys
        key = self.cursor_key
        cursor, top = self.cursor, self.scroll_offset.y
        rows[start + 1:end] = block
        self.hosts[hid] = host_view(host)
        delta = len(block) - (end - start - 1)
        self.set_row_count(len(rows))
        if cursor >= end:  # below the block: follow the row, and keep it where it was on screen
            self.set_reactive(VirtualList.cursor, cursor + delta)
            if top > start:
                self.scroll_to(y=top + delta, animate=False, immediate=True)
        elif cursor > start and key is not None:  # inside the block: the same VM, or its host
            found = self.row_of(key)
            self.set_reactive(VirtualList.cursor, found if found is not None else start)
        elif top > start:
            self.scroll_to(y=top + delta, animate=False, immediate=True)
        self.refresh()

    def _build_rows(self, cluster: Cluster) -> None:
        """Rows, host views and VM rows for the whole model under the current filter."""
        shown = cluster.filter(self.filter_text) if self.filter_text else None
        rows: list[HostKey] = []
        hosts_views: dict[str, HostView] = {}
        vm_rows: dict[tuple[str, str], VMRow] = {}
        collapsed = self.collapsed if not self.filter_text else ()
        # a host's view (a walk over its VMs) is reused when there is one: those that may be out of date stay
        # marked stale and are remade as they come on screen, as between rebuilds
        old_views, stale = self.hosts, self._stale_hosts
        for host in cluster.sorted_hosts():
            hid = host.id
            if shown is not None and hid not in shown:
                continue
            view = old_views.get(hid)
            if view is None:
                view = host_view(host)
                stale.discard(hid)
            hosts_views[hid] = view
            rows.append(("h", hid, ""))
            only = shown.get(hid) if shown is not None else None
            vm_block = self._vm_block(host)
            picked = range(len(vm_block.ids)) if only is None else \
                [i for i, vid in enumerate(vm_block.ids) if vid in only]
            vm_keys = [vm_block.keys[i] for i in picked] if only is not None else vm_block.keys
            for i in picked:
                vm_rows[(hid, vm_block.ids[i])] = vm_block.rows[i]
            if hid in collapsed:
                continue
            rows.extend(vm_keys)
        self.rows, self.hosts, self.vms = rows, hosts_views, vm_rows
        stale.intersection_update(hosts_views)

    def _rebuild(self, cluster: Cluster, now: float) -> None:
        self._built_for, self._urgent = self._generation, False
        if not self._born:
            self._born = now
        keep = self.cursor_key or self._cursor_key
        old_index = self.cursor
        old_offset = old_index - self.scroll_offset.y
        full = self._full
        if not self.filter_text and full is not None and full.generation == self._model_generation:
            # back to every row after a filter, and no host or VM came or went meanwhile: reuse them
            self.rows, self.hosts, self.vms = list(full.rows), dict(full.hosts), full.vms
            self._stale_hosts.update(self.hosts)  # the counts may have moved: remade as they come on screen
        else:
            self._build_rows(cluster)
            if not self.filter_text:
                self._full = FullRows(self._model_generation, list(self.rows), dict(self.hosts), self.vms)
        rows, hosts_views = self.rows, self.hosts
        if len(self._blocks) > len(cluster.hosts):  # forget the blocks of hosts that are gone
            self._blocks = {h: b for h, b in self._blocks.items() if h in cluster.hosts}
        if len(self._copies) > cluster.vm_total + len(self.vms):  # and the copies of VMs that are gone
            self._copies = {k: r for k, r in self._copies.items() if k[0] in cluster.hosts}
        self.matches = len(hosts_views)
        self.set_row_count(len(rows))
        new_index = self.row_of(keep) if keep else None
        if new_index is None and keep is not None and keep[0] == "v":
            new_index = self.row_of(("h", keep[1], ""))
        if new_index is None:
            new_index = min(old_index, max(0, len(rows) - 1))
        else:
            self._cursor_key = None
        # keep the cursor row where it was on screen
        self.set_reactive(VirtualList.cursor, new_index)
        if new_index != old_index or keep != self.cursor_key:
            self.scroll_to(y=max(0, new_index - old_offset), animate=False, immediate=True)
            self.post_message(self.Highlighted(self, new_index))
        self.refresh()

    def _vm_block(self, host: Host) -> VMBlock:
        """The host's VMs sorted by name, with their row keys and copies, kept until its set of VMs changes: a
        rebuild sorts 20,000 VMs, and a filter keystroke that shows most hosts reuses these instead of making
        40,000 tuples again."""
        cached = self._blocks.get(host.id)
        if cached is not None and cached.shape == host.shape and cached.count == len(host.vms):
            return cached
        hid, copies = host.id, self._copies
        vms = sorted(host.vms.values(), key=vm_order)
        rows = []
        for vm in vms:
            row = copies.get((hid, vm.id))
            if row is None:
                row = copies[(hid, vm.id)] = VMRow(vm.id)
            rows.append(row.copy_from(vm))
        block = self._blocks[hid] = VMBlock(host.shape, len(host.vms), [vm.id for vm in vms],
                                            [("v", hid, vm.id) for vm in vms], rows)
        return block

    @property
    def _model_generation(self) -> int:
        """The generation of the unfiltered rows: the filter's own changes do not make them stale."""
        return self._generation - self._filter_bumps

    def _repaint_dirty(self, changes: Changes) -> None:
        """Repaint once if a visible row changed: only the ~50 rows on screen are looked at, however many
        changed."""
        if not self.rows or not (changes.hosts or changes.vms):
            return
        rows, hosts, vms = self.rows, changes.hosts, changes.vms
        for i in self.visible_range():
            kind, hid, vid = rows[i]
            if (hid in hosts) if kind == "h" else ((hid, vid) in vms):
                self.refresh()
                return

    def repaint_clock(self) -> None:
        """Repaint visible host rows (their "last heard" age moves) and rows whose highlight ran out."""
        self.refresh()

    # ------------------------------------------------------------------ rendering

    def render_row(self, index: int, width: int, cursor: bool) -> list[Segment]:
        rows = self.rows
        kind, hid, vid = rows[index]
        now = self.clock()
        st = self.style_for
        if kind == "h":
            view = self.hosts.get(hid)
            if view is None:
                return [Segment(clean(hid, 80))]
            arrow = "▸ " if hid in self.collapsed and not self.filter_text else "▾ "
            label_style = st("host-tree--placeholder") if view.placeholder else st("host-tree--host")
            if now - view.changed_at < HIGHLIGHT_S and view.changed_at > self._born:
                label_style = label_style + st("host-tree--changed")
            segs = [Segment(arrow, st("host-tree--guide")), Segment(view.label, label_style)]
            if view.local:
                segs.append(Segment(" (this server)", st("host-tree--dim")))
            if view.description:
                segs.append(Segment(f"  {view.description}", st("host-tree--desc")))
            health = view.health or UNKNOWN
            tone = "healthy" if health == "healthy" else "unhealthy" if health == "unhealthy" else "unknown"
            segs.append(Segment(f"  {HEALTH_SYMBOL.get(health, '?')} {health}", st(f"host-tree--{tone}")))
            if view.unsure:
                segs.append(Segment("  ≟", st("host-tree--link")))
            if view.link not in (LINK_CONNECTED, UNKNOWN):
                segs.append(Segment(f"  {LINK_SYMBOL.get(view.link, '?')} link {view.link}", st("host-tree--link")))
            if view.counts:
                for state, n in view.counts:
                    tone = VM_TONE.get(state, "warn")
                    segs.append(Segment(f"  {n}{VM_SYMBOL.get(state, '?')}", st(f"host-tree--{tone}")))
            else:
                segs.append(Segment("  no VMs", st("host-tree--dim")))
            segs.append(Segment(f"  {short_age(view.last_heard, now)}", st("host-tree--dim")))
            return segs
        vm = self.vms.get((hid, vid))
        last = index + 1 >= len(rows) or rows[index + 1][0] != "v"
        guide = "  └─ " if last else "  ├─ "
        if vm is None:
            return [Segment(guide, st("host-tree--guide")), Segment(clean(vid, 80))]
        state, changed = vm.state, vm.last_change or 0.0
        label_style = st("host-tree--vm")
        if now - changed < HIGHLIGHT_S and changed > self._born:
            label_style = label_style + st("host-tree--changed")
        tone = VM_TONE.get(state, "warn")
        segs = [
            Segment(guide, st("host-tree--guide")),
            Segment(vm.label, label_style),
            Segment(f"  {VM_SYMBOL.get(state, '?')} {state or UNKNOWN}", st(f"host-tree--{tone}")),
        ]
        if vm.unsure:  # events are missing between what hubtop holds and the server: a resync settles it
            segs.append(Segment("  ≟ unsure", st("host-tree--link")))
        if vm.os:
            segs.append(Segment(f"  {vm.os}", st("host-tree--dim")))
        return segs

    # ------------------------------------------------------------------ actions

    def _host_of_cursor(self) -> str | None:
        key = self.cursor_key
        return key[1] if key else None

    def action_expand(self) -> None:
        hid = self._host_of_cursor()
        if hid and hid in self.collapsed:
            self.collapsed.discard(hid)
            self._cursor_key = ("h", hid, "")
            self.invalidate(urgent=True)
            self.post_message(self.Changed(self))

    def action_collapse(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        if key[0] == "v":
            host_row = self.row_of(("h", key[1], ""))
            self.set_cursor(self.cursor if host_row is None else host_row)
            return
        if key[1] not in self.collapsed and not self.filter_text:
            self.collapsed.add(key[1])
            self._cursor_key = key
            self.invalidate(urgent=True)
            self.post_message(self.Changed(self))

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

    class Changed(Message):
        """The tree's shape was changed by the user (expand/collapse): the app should sync it now."""

        def __init__(self, sender: HostTree) -> None:
            super().__init__()
            self.sender = sender
