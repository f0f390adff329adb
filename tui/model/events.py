"""How each event changes the model: the rules of :meth:`Cluster.apply`, by message.

A body is a dict checked against its message's schema (``tui.protocol.models``): every field is present. State-bearing
events (a VM's state, a host's health and link, VMs coming and going) are applied by their server timestamp, per
entity: an event older than what the entity already reflects is *late*: it stays in the journal, marked, and
does not roll the entity back. A state change whose ``previous_state`` contradicts the model marks the VM unsure;
the late events that explain it usually follow within moments (they close the gap), and if they do not, the
model asks for a resync.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol.models import DRAWABLE_MAX
from .entities import (
    LOCAL_HOST_ID,
    UNKNOWN,
    Host,
    Link,
)
from .hostlogs import SERVER, HostLogs
from .jobs import JobStore
from .order import order_key

if TYPE_CHECKING:
    from ..protocol.parse import Event

from .flags import CHANGED_HOST, CHANGED_STRUCTURE, CHANGED_VM, DUPLICATE, LATE, NOTHING  # noqa: F401
from .vm_events import VM_MESSAGE, VMRules, vm_ids

#: for isinstance on every stats frame (``int | float`` would build a union object each time)
_NUMBER = (int, float)
#: the classes of a figure a sparkline takes (a class test, not isinstance: a bool is not a figure)
_NUMBERS = frozenset((int, float))
#: the largest magnitude a sparkline takes, as a float: compared exactly with an int, however large
_BIGGEST = float(DRAWABLE_MAX)
#: the keys that make a HOST_STATS_UPDATE body a disk-space body (the host's whole stats channel is forwarded)
DISK_KEYS = frozenset(("cache_folder_size", "parallels_home_size", "given_path_size", "prl_home_path"))

_LINK_BY_MESSAGE = {
    "HOST_WEBSOCKET_CONNECTED": Link.CONNECTED,
    "HOST_WEBSOCKET_DISCONNECTED": Link.DISCONNECTED,
    "HOST_WEBSOCKET_DEGRADED": Link.DEGRADED,
}


class EventRules(VMRules):
    """The event half of :class:`~tui.model.cluster.Cluster` (the attributes are the cluster's)."""

    hosts: dict[str, Host]
    max_hosts: int
    max_vms: int
    settle_s: float
    jobs: JobStore
    service_logs: HostLogs

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
        elif channel == "job_manager":  # the jobs and the server's log change no host: no version bump
            if self.jobs.apply(event) & LATE:
                event.late = True
                return LATE
            return NOTHING
        elif channel == "system_logs":
            body = event.body
            if event.message == "System Log" and isinstance(body, dict):
                self.service_logs.add(SERVER, body.get("level"), body.get("message"), body.get("time"),
                                      event.received_at, order_key(event.timestamp))
            return NOTHING
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
        # a frame per host per second: the host looked up here, not through _host (the unknown case goes there)
        host_id = body["host_id"]
        host = self.hosts.get(host_id)
        if host is None:
            self._host(host_id, event)  # unknown: asked about, never invented
            return NOTHING
        host.last_heard = event.received_at
        self._dirty_hosts.add(host_id)
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
        if cpu.__class__ in _NUMBERS and -_BIGGEST <= cpu <= _BIGGEST:
            host.cpu_history.append(float(cpu))
        mem = stats.get("memory_bytes")
        if mem.__class__ in _NUMBERS and -_BIGGEST <= mem <= _BIGGEST:
            host.mem_history.append(float(mem))
        return CHANGED_HOST

    def _on_logs(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        log = body["log"]
        host.logs.append((event.received_at, log["level"] or "info", log["message"]))
        self.service_logs.add(host.id, log["level"], log["message"], log["time"], event.received_at,
                              order_key(event.timestamp))
        self._dirty_hosts.add(host.id)
        return CHANGED_HOST

    def _on_host_heard(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        self._dirty_hosts.add(host.id)
        return CHANGED_HOST

    def _on_host_vm(self, body, event: Event) -> int:
        host_id = body["host_id"]
        host = self.hosts.get(host_id)  # a third of a busy feed: looked up here (the unknown case: _host)
        if host is None:
            self._host(host_id, event)
            return NOTHING
        host.last_heard = event.received_at
        self._dirty_hosts.add(host_id)
        return self._vm_event(host, VM_MESSAGE[event.message], body["event"], event)

    def _on_host_mac_vms(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event)
        if host is None:
            return NOTHING
        host.mac_vms_running = vm_ids(body["event"]["mac_vms_running"])
        self._dirty_hosts.add(host.id)
        return CHANGED_HOST

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
    **{name: EventRules._on_host_vm for name in VM_MESSAGE},
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
