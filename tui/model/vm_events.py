"""How VM events change the model (orchestrator ``HOST_VM_*`` and pdfm ``VM_*``): by timestamp per VM, a late
event walks the gap an out-of-order one left, a VM nobody listed is fetched rather than invented (except the
server's own, which have no listing). The VM half of :class:`~tui.model.events.EventRules`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .entities import UNKNOWN, VM, Host
from .flags import CHANGED_HOST, CHANGED_STRUCTURE, CHANGED_VM, LATE
from .order import order_key

if TYPE_CHECKING:
    from ..protocol.parse import Event

#: the orchestrator message of each kind of VM event
VM_MESSAGE = {
    "HOST_VM_STATE_CHANGED": "state",
    "HOST_VM_ADDED": "added",
    "HOST_VM_REMOVED": "removed",
    "HOST_VM_UPDATED": "updated",
    "HOST_VM_UPTIME_CHANGED": "uptime",
    "HOST_VM_SNAPSHOTS_UPDATED": "snapshots",
}


class VMRules:
    """The attributes are the cluster's (see :class:`~tui.model.cluster.Cluster`)."""

    max_vms: int
    settle_s: float

    def _vm_event(self, host: Host, kind: str, ev, event: Event) -> int:
        now = event.received_at
        new_vm = ev["new_vm"]
        vm_id = ev["vm_id"] or (new_vm.id if new_vm is not None else "")
        if not vm_id:
            return CHANGED_HOST
        vm = host.vms.get(vm_id)
        made = 0
        if vm is None and host.local and host.record is None and kind != "removed":
            # the server's own VMs (pdfm) have no listing to fetch them from: their events are what there is
            if self.vm_total >= self.max_vms:
                self.refused += 1
                return CHANGED_HOST
            vm = host.vms[vm_id] = VM(id=vm_id, host_id=host.id, last_change=now)
            self.vm_total += 1
            self._reshape(host, now)
            made = CHANGED_STRUCTURE
        if kind == "uptime" or kind == "snapshots":
            if vm is None:
                return self._unknown_vm(host, vm_id, event)
            if kind == "uptime":
                key = order_key(event.timestamp)
                if key < vm.uptime_ts:
                    return LATE
                vm.uptime_ts = key
                vm.uptime = ev["uptime"]
            else:
                vm.snapshots = len(ev["snapshots"] or ())
                vm.note(now, f"snapshots: {vm.snapshots}")
            self._dirty_vms.add((host.id, vm_id))
            return CHANGED_HOST | CHANGED_VM | made
        key = order_key(event.timestamp)
        if kind == "removed":
            if vm is None:
                return LATE if (host.id, vm_id) in self.tombstones else CHANGED_HOST
            if key < vm.state_ts:
                return LATE
            self.bury((host.id, vm_id), key)
            self.remember_label(vm_id, host.vms.pop(vm_id).label)
            self.vm_total -= 1
            self._reshape(host, now)
            return CHANGED_HOST | CHANGED_STRUCTURE
        flags = CHANGED_HOST | CHANGED_VM | made
        if vm is None:
            if kind == "state" or new_vm is None:
                return self._unknown_vm(host, vm_id, event)
            if self.tombstones.get((host.id, vm_id), "") > key:
                return LATE
            if self.vm_total >= self.max_vms:
                self.refused += 1
                return CHANGED_HOST
            vm = host.vms[vm_id] = VM(id=vm_id, host_id=host.id, last_change=now, state_ts=key)
            self.vm_total += 1
            self._reshape(host, now)
            flags |= CHANGED_STRUCTURE
        elif key < vm.state_ts:
            if kind == "state" and vm.gap is not None:
                self._walk_gap(host, vm, ev, key)
            return LATE
        if kind == "state":
            problems = event.problems  # nearly always empty: no generator for it
            self._state_change(host, vm, ev, key, now,
                               bool(problems) and any(p.endswith("current_state") for p in problems))
        else:  # added or updated: a full record
            if new_vm is not None:
                before = vm.state
                self.fill_vm(vm, new_vm, now)
                vm.state_ts = key
                if vm.state != before:
                    host.changed_at = now
                if new_vm.state and vm.unsure:
                    vm.unsure, vm.gap = False, None  # a full record is the server's word on it
            vm.note(now, kind)
        self._dirty_vms.add((host.id, vm_id))
        return flags

    def _state_change(self, host: Host, vm: VM, ev, key: str, now: float, unreadable: bool = False) -> None:
        if unreadable:  # the new state could not be read: what hubtop holds may be old; ask the server
            vm.unsure = True
            self.want_resync(f"{vm.label}: a state change that could not be read", 0.5)
            return
        new_state = ev["current_state"] or UNKNOWN
        previous = ev["previous_state"]
        if previous and previous != vm.state:
            # steps are missing between what the model holds and where this event starts: late events may
            # still fill them (the gap); if they do not, a resync settles it
            vm.unsure = True
            vm.gap = (vm.state, previous, key)
            self.want_resync(f"{vm.label}: {previous} → {new_state} does not follow {vm.state}",
                             self.settle_s, unsure=True)
        vm.previous_state = previous or vm.state
        vm.state = new_state
        vm.state_ts = key
        vm.last_change = host.changed_at = now
        # a few dozen distinct texts across a fleet: one string each, not one per note (20,000 VMs keep 12)
        vm.note(now, sys.intern(f"{vm.previous_state or '?'} → {new_state}"))

    def _walk_gap(self, host: Host, vm: VM, ev, key: str) -> None:
        """A late state change may be one of the steps an unsure VM is missing: walk the gap with it; when
        the steps join up, the VM is sure again (no resync needed for ordinary reordering)."""
        start, end, before = vm.gap  # type: ignore[misc]
        if key < before and ev["previous_state"] == start:
            start = ev["current_state"] or UNKNOWN
            if start == end:
                vm.gap, vm.unsure = None, False
                self._dirty_vms.add((host.id, vm.id))
            else:
                vm.gap = (start, end, before)

    def _unknown_vm(self, host: Host, vm_id: str, event: Event) -> int:
        if (host.id, vm_id) in self.tombstones:
            return LATE
        self.ask_about(vm_id, "VM")
        return CHANGED_HOST

    def _reshape(self, host: Host, now: float) -> None:
        self._structure = True
        self._reshaped.add(host.id)
        host.shape += 1
        host.changed_at = now

    def _pdfm_vm(self, host: Host, body, event: Event) -> int:
        return self._vm_event(host, VM_MESSAGE["HOST_" + event.message], body, event)

    def _pdfm_mac_vms(self, host: Host, body, event: Event) -> int:
        host.mac_vms_running = vm_ids(body["mac_vms_running"])
        return CHANGED_HOST


def vm_ids(values: list) -> list[str]:
    """VM ids from a ``mac_vms_running`` list (ids; an older server may send objects or numbers)."""
    return [v if isinstance(v, str) else str(v.get("id", "?")) if isinstance(v, dict) else str(v) for v in values]
