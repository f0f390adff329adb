"""How the host tree's rows are made from the model: every row under the filter and sort order (a rebuild), or
one host's block of VM rows spliced in place. A mixin of :class:`~.host_tree.HostTree`, kept apart to keep each
file readable; it runs inside ``Monitor.read`` while the model holds still."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...model.cluster import Cluster
from ...model.entities import Host
from ...model.sorting import sorted_hosts, sorted_vms
from .tree_rows import FullRows, HostKey, HostView, VMBlock, VMRow, host_view
from .virtual_list import VirtualList

if TYPE_CHECKING:
    from .host_tree import HostTree


class TreeBuild:
    """Rows from the model (``self`` is the tree)."""

    def _splice(self: HostTree, cluster: Cluster, hid: str) -> None:
        """Replace one host's VM rows after VMs came, went or moved there: no walk over the other rows."""
        host = cluster.hosts.get(hid)
        start = self.row_of(("h", hid, ""))
        if host is None or start is None or self.query:
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
        old = rows[start + 1:end]
        rows[start + 1:end] = block
        view = host_view(host)
        if view != self.hosts.get(hid):
            self.hosts[hid] = view
            self.refresh_row(start)
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
        if delta:
            self.refresh()
        elif old != block:  # the same rows in another order: only theirs
            for i in range(start + 1, end):
                self.refresh_row(i)

    def _build_rows(self: HostTree, cluster: Cluster) -> None:
        """Rows, host views and VM rows for the whole model under the filter and the sort order."""
        query = self.query
        found = query.match(cluster) if query else None
        shown = found.shown if found is not None else None
        rows: list[HostKey] = []
        hosts_views: dict[str, HostView] = {}
        vm_rows: dict[tuple[str, str], VMRow] = {}
        collapsed = self.collapsed if not query else ()
        # a host's view (a walk over its VMs) is reused when there is one: those that may be out of date stay
        # marked stale and are remade as they come on screen, as between rebuilds
        old_views, stale = self.hosts, self._stale_hosts
        hosts = cluster.hosts.values() if shown is None else (cluster.hosts[h] for h in shown if h in cluster.hosts)
        for host in sorted_hosts(hosts, self.order):
            hid = host.id
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
        self.matches = (found.hosts, found.vms) if found is not None else (len(hosts_views), cluster.vm_total)
        stale.intersection_update(hosts_views)

    def _rebuild(self: HostTree, cluster: Cluster, now: float) -> None:
        self._built_for, self._urgent, self._order_dirty = self._generation, False, False
        self._resort.clear()
        if not self._born:
            self._born = now
        keep = self.cursor_key or self._cursor_key
        old_index = self.cursor
        old_offset = old_index - self.scroll_offset.y
        full = self._full
        if not self.query and full is not None and full.generation == self._model_generation:
            # back to every row after a filter, and no host or VM came or went meanwhile: reuse them
            self.rows, self.hosts, self.vms = list(full.rows), dict(full.hosts), full.vms
            self.matches = (len(self.hosts), cluster.vm_total)
            self._stale_hosts.update(self.hosts)  # the counts may have moved: remade as they come on screen
        else:
            self._build_rows(cluster)
            if not self.query:
                self._full = FullRows(self._model_generation, list(self.rows), dict(self.hosts), self.vms)
        rows = self.rows
        if len(self._blocks) > len(cluster.hosts):  # forget the blocks of hosts that are gone
            self._blocks = {h: b for h, b in self._blocks.items() if h in cluster.hosts}
        if len(self._copies) > cluster.vm_total + len(self.vms):  # and the copies of VMs that are gone
            self._copies = {k: r for k, r in self._copies.items() if k[0] in cluster.hosts}
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

    def _vm_block(self: HostTree, host: Host) -> VMBlock:
        """The host's VMs in order (state, then name), with their row keys and copies, kept until its set of
        VMs, their states or the order change: a rebuild sorts 20,000 VMs, and a filter keystroke that shows
        most hosts reuses these instead of making 40,000 tuples again."""
        cached = self._blocks.get(host.id)
        if cached is not None and cached.shape == host.shape and cached.count == len(host.vms) \
                and cached.order == self.order and host.id not in self._resort:
            return cached
        self._resort.discard(host.id)
        hid, copies = host.id, self._copies
        vms = sorted_vms(host, self.order)
        rows = []
        for vm in vms:
            row = copies.get((hid, vm.id))
            if row is None:
                row = copies[(hid, vm.id)] = VMRow(vm.id)
            rows.append(row.copy_from(vm))
        block = self._blocks[hid] = VMBlock(host.shape, len(host.vms), [vm.id for vm in vms],
                                            [("v", hid, vm.id) for vm in vms], rows, self.order)
        return block

    @property
    def _model_generation(self: HostTree) -> int:
        """The generation of the unfiltered rows: the filter's own changes do not make them stale."""
        return self._generation - self._filter_bumps
