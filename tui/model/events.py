"""How each event changes the model: the rules of :meth:`Cluster.apply`, by message.

A body is a dict checked against its message's schema (``tui.protocol.models``): every field is present. State-bearing
events (a VM's state, a host's health and link, VMs coming and going) are applied by their server timestamp, per
entity: an event older than what the entity already reflects is *late*: it stays in the journal, marked, and
does not roll the entity back. A state change whose ``previous_state`` contradicts the model marks the VM unsure;
the late events that explain it usually follow within moments (they close the gap), and if they do not, the
model asks for a resync.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..protocol.models import DRAWABLE_MAX
from .entities import (
    LOCAL_HOST_ID,
    UNKNOWN,
    VM,
    Host,
    Link,
)
from .order import order_key

if TYPE_CHECKING:
    from ..protocol.parse import Event

# apply() result flags
NOTHING = 0
CHANGED_HOST = 1
CHANGED_VM = 2
CHANGED_STRUCTURE = 4
DUPLICATE = 8
LATE = 16

#: for isinstance on every stats frame (``int | float`` would build a union object each time)
_NUMBER = (int, float)
#: the largest magnitude a sparkline takes, as a float: compared exactly with an int, however large
_BIGGEST = float(DRAWABLE_MAX)
#: the keys that make a HOST_STATS_UPDATE body a disk-space body (the host's whole stats channel is forwarded)
DISK_KEYS = frozenset(("cache_folder_size", "parallels_home_size", "given_path_size", "prl_home_path"))

_LINK_BY_MESSAGE = {
    "HOST_WEBSOCKET_CONNECTED": Link.CONNECTED,
    "HOST_WEBSOCKET_DISCONNECTED": Link.DISCONNECTED,
    "HOST_WEBSOCKET_DEGRADED": Link.DEGRADED,
}
_VM_MESSAGE = {
    "HOST_VM_STATE_CHANGED": "state",
    "HOST_VM_ADDED": "added",
    "HOST_VM_REMOVED": "removed",
    "HOST_VM_UPDATED": "updated",
    "HOST_VM_UPTIME_CHANGED": "uptime",
    "HOST_VM_SNAPSHOTS_UPDATED": "snapshots",
}


class EventRules:
    """The event half of :class:`~tui.model.cluster.Cluster` (the attributes are the cluster's)."""

    hosts: dict[str, Host]
    max_hosts: int
    max_vms: int
    settle_s: float

    def apply(self, event: Event) -> int:
        """Apply one event. Returns CHANGED_* flags, DUPLICATE or LATE (nothing applied)."""
        event_id = event.id
        if event_id and self.is_duplicate(event_id):  # type: ignore[attr-defined]
            event.duplicate = True
            return DUPLICATE
        channel = event.event_type
        self._new_host = False
        if channel == "orchestrator":
            handler = _ORCHESTRATOR.get(event.message)
            if handler is None:
                return self._on_other(event)
            flags = handler(self, event.body, event)
        elif channel == "pdfm":
            handler = _PDFM.get(event.message)
            if handler is None:
                return NOTHING
            host = self._local_host(event.received_at)
            if host is None:
                return NOTHING
            flags = handler(self, host, event.body, event) | CHANGED_HOST
        else:
            return NOTHING
        if flags & LATE:
            event.late = True
            return LATE
        if flags:
            self.version += 1
        if self._new_host:  # a host seen first in this event is a new node, whatever the handler says
            flags |= CHANGED_STRUCTURE
        return flags

    # ------------------------------------------------------------------ hosts

    def _host(self, host_id: str, event: Event) -> Host | None:
        """The host an event is about, heard now; ``None`` (and a resync asked for) when the model does not
        know it: a host is fetched, never invented."""
        host = self.hosts.get(host_id)
        if host is None:
            if host_id not in self.tombstones:
                self.ask_about(host_id, "host")
            return None
        host.last_heard = event.received_at
        return host

    def _local_host(self, now: float) -> Host | None:
        host = self._record_for_server(self.hosts)
        if host is None:
            host = self.hosts.get(LOCAL_HOST_ID)
            if host is None:
                host = Host(id=LOCAL_HOST_ID, url=self.server_hostname, description="this server", local=True)
                if not self.server_hostname:
                    host.description = "this server (pdfm)"
                self.hosts[LOCAL_HOST_ID] = host
                self._structure = True
                self._hosts_changed = True
                self._new_host = True
        host.local = True
        host.last_heard = now
        self._dirty_hosts.add(host.id)
        return host

    def _on_other(self, event: Event) -> int:
        """An orchestrator message hubtop has no rule for: with a ``host_id``, it is part of that host's
        history (the log narrows to it) and the host was heard."""
        host_id = event.host_id
        if host_id and self._host(host_id, event) is not None:
            self._dirty_hosts.add(host_id)
            return CHANGED_HOST
        return NOTHING

    def _on_health(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        key = order_key(event.timestamp)
        if key < host.health_ts:
            return LATE
        host.health_ts = key
        self._dirty_hosts.add(host.id)  # heard: its age moves
        if "state" in event.problems:  # a health that cannot be read is not news of health: it is unknown
            host.health_unreadable = True
            return CHANGED_HOST
        state = body["state"] or UNKNOWN
        if state == host.health and not host.health_unreadable:
            return CHANGED_HOST  # re-sent on every health-check tick: a repeat is not news
        host.logs.append((event.received_at, "info", f"health {host.health} → {state}"))
        host.changed_at = host.health_at = event.received_at
        host.health = state
        host.health_unreadable = False
        return CHANGED_HOST

    def _on_link(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        key = order_key(event.timestamp)
        if key < host.link_ts:
            return LATE
        host.link_ts = key
        link = _LINK_BY_MESSAGE[event.message]
        self._dirty_hosts.add(host.id)
        if link != host.link:
            host.changed_at = host.health_at = event.received_at
            host.link = link
        return CHANGED_HOST

    def _on_host_added(self, body, event: Event) -> int:
        host_id = body["host_id"]
        host = self.hosts.get(host_id)
        key = order_key(event.timestamp)
        if host is None:
            if self.tombstones.get(host_id, "") > key:
                return LATE
            if len(self.hosts) >= self.max_hosts:
                self.refused += 1
                return NOTHING
            host = self.hosts[host_id] = Host(id=host_id, changed_at=event.received_at)
            self._structure = self._hosts_changed = self._new_host = True
        host.last_heard = event.received_at
        if body["host"]:
            host.url = body["host"]
        if body["description"]:
            host.description = body["description"]
        host.placeholder = False
        self._dirty_hosts.add(host_id)
        self.unknown.discard(host_id)
        return CHANGED_HOST

    def _on_host_removed(self, body, event: Event) -> int:
        host_id = body["host_id"]
        host = self.hosts.get(host_id)
        if host is None:
            return NOTHING
        self.bury(host_id, order_key(event.timestamp))
        del self.hosts[host_id]
        self.remember_label(host_id, host.label)
        for vid, vm in host.vms.items():
            self.remember_label(vid, vm.label)
        self.vm_total -= len(host.vms)
        self._structure = True
        self._hosts_changed = True
        self._dirty_hosts.discard(host_id)
        return CHANGED_STRUCTURE

    def _on_host_deployed(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        if body["host"] and not host.url:
            host.url = body["host"]
        host.logs.append((event.received_at, "info", body["message"] or "host deployed"))
        self._dirty_hosts.add(host.id)
        return CHANGED_HOST

    def _on_stats(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        self._dirty_hosts.add(host.id)
        stats = body["stats"]
        if not stats:  # a Go nil map: no figures
            return CHANGED_HOST
        if "cpu_percent" not in stats and not DISK_KEYS.isdisjoint(stats):
            # the host's disk-space message, forwarded under the same name: the process figures stay
            host.disk = stats
            return CHANGED_HOST
        # kept as sent: whoever draws them takes them through drawable_stats, for the one host on screen
        host.stats = stats
        cpu = stats.get("cpu_percent")
        # only numbers a float can hold go into the sparklines (a chained comparison is False for NaN)
        if isinstance(cpu, _NUMBER) and -_BIGGEST <= cpu <= _BIGGEST:
            host.cpu_history.append(float(cpu))
        mem = stats.get("memory_bytes")
        if isinstance(mem, _NUMBER) and -_BIGGEST <= mem <= _BIGGEST:
            host.mem_history.append(float(mem))
        return CHANGED_HOST

    def _on_logs(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        log = body["log"]
        host.logs.append((event.received_at, log["level"] or "info", log["message"]))
        self._dirty_hosts.add(host.id)
        return CHANGED_HOST

    def _on_host_heard(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        self._dirty_hosts.add(host.id)
        return CHANGED_HOST

    def _on_host_vm(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        self._dirty_hosts.add(host.id)
        return self._vm_event(host, _VM_MESSAGE[event.message], body["event"], event)

    def _on_host_mac_vms(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        host.mac_vms_running = _ids(body["event"]["mac_vms_running"])
        self._dirty_hosts.add(host.id)
        return CHANGED_HOST

    # ------------------------------------------------------------------ VMs (orchestrator HOST_VM_* and pdfm VM_*)

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
            self._state_change(host, vm, ev, key, now, any(p.endswith("current_state") for p in event.problems))
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
        vm.note(now, f"{vm.previous_state or '?'} → {new_state}")

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
        return self._vm_event(host, _VM_MESSAGE["HOST_" + event.message], body, event)

    def _pdfm_mac_vms(self, host: Host, body, event: Event) -> int:
        host.mac_vms_running = _ids(body["mac_vms_running"])
        return CHANGED_HOST


def _ids(values: list[Any]) -> list[str]:
    """VM ids from a ``mac_vms_running`` list (ids; an older server may send objects or numbers)."""
    return [v if isinstance(v, str) else str(v.get("id", "?")) if isinstance(v, dict) else str(v) for v in values]


_ORCHESTRATOR = {
    "HOST_HEALTH_UPDATE": EventRules._on_health,
    "HOST_WEBSOCKET_CONNECTED": EventRules._on_link,
    "HOST_WEBSOCKET_DISCONNECTED": EventRules._on_link,
    "HOST_WEBSOCKET_DEGRADED": EventRules._on_link,
    "HOST_ADDED": EventRules._on_host_added,
    "HOST_REMOVED": EventRules._on_host_removed,
    "HOST_DEPLOYED": EventRules._on_host_deployed,
    "HOST_STATS_UPDATE": EventRules._on_stats,
    "HOST_LOGS_UPDATE": EventRules._on_logs,
    "HOST_CATALOG_CACHE_EVENT": EventRules._on_host_heard,
    "HOST_REVERSE_PROXY_UPDATED": EventRules._on_host_heard,
    "HOST_MAC_VMS_RUNNING_NOW": EventRules._on_host_mac_vms,
    **{name: EventRules._on_host_vm for name in _VM_MESSAGE},
}

_PDFM = {
    "VM_STATE_CHANGED": EventRules._pdfm_vm,
    "VM_ADDED": EventRules._pdfm_vm,
    "VM_REMOVED": EventRules._pdfm_vm,
    "VM_UPDATED": EventRules._pdfm_vm,
    "VM_UPTIME_CHANGED": EventRules._pdfm_vm,
    "VM_SNAPSHOTS_UPDATED": EventRules._pdfm_vm,
    "MAC_VMS_RUNNING_NOW": EventRules._pdfm_mac_vms,
}
