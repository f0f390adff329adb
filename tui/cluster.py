"""The cluster model: hosts and their VMs, kept live by Events Hub events. Plain Python, no Textual.

``apply(event)`` mutates the model and records what changed (dirty host and VM ids) so a UI can
redraw only that; ``take_changes()`` hands the dirty sets over and starts new ones.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from .hub.models import DRAWABLE_MAX, HostRecord, VMRecord
from .hub.parse import Event

# apply() result flags
NOTHING = 0
CHANGED_HOST = 1
CHANGED_VM = 2
CHANGED_STRUCTURE = 4
DUPLICATE = 8

HEALTHY = "healthy"
UNHEALTHY = "unhealthy"
UNKNOWN = "unknown"

LINK_CONNECTED = "connected"
LINK_DISCONNECTED = "disconnected"
LINK_DEGRADED = "degraded"

STATS_HISTORY = 60
HOST_LOG_LINES = 50
VM_EVENTS = 12
#: event ids remembered for duplicate detection: the last DEDUP_WINDOW / 2 at least, DEDUP_WINDOW at most
DEDUP_WINDOW = 16_384

#: the id of the host that pdfm events describe (the server hubtop is connected to), until a host
#: record with the same hostname is known
LOCAL_HOST_ID = "local"


def short_id(value: str, n: int = 8) -> str:
    return value[:n] if value else "?"


def hostname_of(url: str) -> str:
    """``http://mac-mini-01.local:80/api`` -> ``mac-mini-01.local``; a bare name stays as it is."""
    if not url:
        return ""
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
        return parts.hostname or ""
    except ValueError:
        return ""


_STATE_OF = attrgetter("state")
#: for isinstance on every stats frame (``int | float`` would build a union object each time)
_NUMBER = (int, float)
#: the largest magnitude a sparkline takes, as a float: compared exactly with an int, however large, and
#: quicker against the usual float than the int itself
_BIGGEST = float(DRAWABLE_MAX)


@dataclass(slots=True)
class VM:
    id: str
    host_id: str
    name: str = ""
    os: str = ""
    state: str = UNKNOWN
    previous_state: str = ""
    uptime: str = ""
    description: str = ""
    last_change: float | None = None
    snapshots: int | None = None
    placeholder: bool = False
    #: the name in lower case, for the filter (20,000 names are searched on every keystroke)
    search: str = ""
    #: recent events, made on the first one (20,000 empty deques would cost ~12 MB)
    events: deque | None = None

    @property
    def label(self) -> str:
        return self.name or f"vm {short_id(self.id)}"

    def note(self, at: float, what: str) -> None:
        if self.events is None:
            self.events = deque(maxlen=VM_EVENTS)
        self.events.append((at, what))


@dataclass(slots=True)
class Host:
    id: str
    url: str = ""
    description: str = ""
    health: str = UNKNOWN
    link: str = UNKNOWN
    last_heard: float | None = None
    record: HostRecord | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    cpu_history: deque = field(default_factory=lambda: deque(maxlen=STATS_HISTORY))
    mem_history: deque = field(default_factory=lambda: deque(maxlen=STATS_HISTORY))
    logs: deque = field(default_factory=lambda: deque(maxlen=HOST_LOG_LINES))
    vms: dict[str, VM] = field(default_factory=dict)
    mac_vms_running: int | None = None
    placeholder: bool = False
    local: bool = False
    #: when something a person would notice changed: health, link, a VM's state, VMs added or removed
    changed_at: float = 0.0
    #: bumped whenever the host's set of VMs may have changed (lets a view keep its sorted VM list)
    shape: int = 0
    _parsed_url: str = field(default="", repr=False, compare=False)
    _hostname: str = field(default="", repr=False, compare=False)

    @property
    def hostname(self) -> str:
        if self._parsed_url != self.url:  # labels are read on every redraw: parse the URL once
            self._hostname = hostname_of(self.url)
            self._parsed_url = self.url
        return self._hostname

    @property
    def label(self) -> str:
        return self.hostname or self.description or f"host {short_id(self.id)}"

    def vm_counts(self) -> Counter:
        return Counter(map(_STATE_OF, self.vms.values()))  # all in C: hosts are counted often


@dataclass(slots=True)
class Changes:
    hosts: set[str]
    vms: set[tuple[str, str]]
    structure: bool
    #: hosts whose set of VMs changed (a VM added or removed)
    reshaped: set[str] = field(default_factory=set)
    #: the set of hosts itself changed (added, removed, a snapshot): more than a few hosts' VMs moved
    hosts_changed: bool = True

    def __bool__(self) -> bool:
        return bool(self.hosts or self.vms or self.structure)


class Cluster:
    """Hosts and VMs. Seeded by :meth:`load_snapshot`, kept live by :meth:`apply`."""

    def __init__(self, server_hostname: str = "") -> None:
        self.hosts: dict[str, Host] = {}
        self.server_hostname = server_hostname
        # two generations of seen ids: a set is cheaper per frame than an ordered dict with evictions
        self._seen: set[str] = set()
        self._seen_before: set[str] = set()
        self._dirty_hosts: set[str] = set()
        self._dirty_vms: set[tuple[str, str]] = set()
        self._structure = False
        self._reshaped: set[str] = set()
        self._hosts_changed = False
        self._new_host = False  # set when apply() created a host (a placeholder or the local host)
        self.version = 0  # bumped by every change; lets a reader skip work when nothing moved

    # ------------------------------------------------------------------ changes

    def take_changes(self) -> Changes:
        changes = Changes(self._dirty_hosts, self._dirty_vms, self._structure, self._reshaped,
                          self._hosts_changed)
        self._dirty_hosts = set()
        self._dirty_vms = set()
        self._structure = False
        self._reshaped = set()
        self._hosts_changed = False
        return changes

    def _touch_host(self, host: Host, now: float) -> None:
        host.last_heard = now
        self._dirty_hosts.add(host.id)

    # ------------------------------------------------------------------ snapshot

    def load_snapshot(self, hosts: Iterable[HostRecord], vms: Iterable[VMRecord], now: float | None = None) -> int:
        """Replace what the snapshot covers: hosts and VMs absent from it disappear. Returns the number of
        changes against the model before it (hosts or VMs added, removed or with a new state)."""
        now = time.time() if now is None else now
        changes = 0
        old = self.hosts
        new: dict[str, Host] = {}
        for rec in hosts:
            host = old.get(rec.id)
            if host is None:
                host = Host(id=rec.id)
                changes += 1
            elif host.placeholder or (rec.state or UNKNOWN) != host.health:
                changes += 1
            host.url = rec.host
            host.description = rec.description
            host.record = rec
            host.shape += 1
            host.health = rec.state or UNKNOWN
            host.placeholder = False
            if host.last_heard is None:
                host.last_heard = now
            new[rec.id] = host
        seen_vms: dict[str, set[str]] = {hid: set() for hid in new}
        for rec in vms:
            hid = rec.host_id
            if hid not in new:
                # a VM of a host the hosts listing does not have: keep it under a placeholder
                placeholder = old.get(hid) or Host(id=hid, placeholder=True)
                new[hid] = placeholder
                seen_vms[hid] = set()
            host = new[hid]
            vm = host.vms.get(rec.id)
            if vm is None:
                vm = VM(id=rec.id, host_id=hid)
                host.vms[rec.id] = vm
                changes += 1
            elif vm.state != (rec.state or UNKNOWN) or vm.placeholder:
                changes += 1
            self._fill_vm(vm, rec, now)
            seen_vms[hid].add(rec.id)
        for hid, host in new.items():
            gone = [vid for vid in host.vms if vid not in seen_vms.get(hid, ())]
            for vid in gone:
                del host.vms[vid]
                changes += 1
        # the local host (pdfm) is not in the orchestrator listing: keep it unless a record now stands for it
        local = old.get(LOCAL_HOST_ID)
        if local is not None and self._record_for_server(new) is None:
            new[LOCAL_HOST_ID] = local
        for hid in old:
            if hid not in new:
                changes += 1
        self.hosts = new
        self._structure = True
        self._hosts_changed = True
        self._dirty_hosts.update(new)
        self.version += 1
        return changes

    def _record_for_server(self, hosts: dict[str, Host]) -> Host | None:
        if not self.server_hostname:
            return None
        for host in hosts.values():
            if host.hostname == self.server_hostname:
                return host
        return None

    @staticmethod
    def _fill_vm(vm: VM, rec: VMRecord, now: float) -> None:
        if rec.name:
            vm.name = rec.name
            vm.search = rec.name.lower()
        if rec.os:
            vm.os = rec.os
        if rec.state and rec.state != vm.state:
            if vm.state != UNKNOWN or vm.previous_state:
                vm.previous_state = vm.state
            vm.state = rec.state
            vm.last_change = now
        if rec.uptime:
            vm.uptime = rec.uptime
        if rec.description:
            vm.description = rec.description
        if vm.last_change is None:
            vm.last_change = now
        vm.placeholder = False

    # ------------------------------------------------------------------ events

    def is_duplicate(self, event_id: str) -> bool:
        """Record ``event_id`` as seen; ``True`` when it was already seen recently."""
        if not event_id:
            return False
        seen = self._seen
        if event_id in seen or event_id in self._seen_before:
            return True
        seen.add(event_id)
        if len(seen) >= DEDUP_WINDOW // 2:  # a new generation; the oldest ids are forgotten
            self._seen_before = seen
            self._seen = set()
        return False

    def _host(self, host_id: str, now: float) -> Host:
        host = self.hosts.get(host_id)
        if host is None:
            host = Host(id=host_id, placeholder=True)
            self.hosts[host_id] = host
            self._structure = True
            self._hosts_changed = True
            self._new_host = True
        host.last_heard = now
        self._dirty_hosts.add(host_id)
        return host

    def _local_host(self, now: float) -> Host:
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

    def apply(self, event: Event) -> int:
        """Apply one event. Returns CHANGED_* flags, or DUPLICATE (nothing applied)."""
        event_id = event.id
        if event_id and self.is_duplicate(event_id):
            event.duplicate = True
            return DUPLICATE
        channel = event.event_type
        self._new_host = False
        if channel == "orchestrator":
            handler = _ORCHESTRATOR.get(event.message)
            if handler is None:
                host_id = getattr(event.body, "get", None) and event.body.get("host_id")
                if isinstance(host_id, str) and host_id:
                    self._host(host_id, event.received_at)
                    self.version += 1
                    return CHANGED_HOST | (CHANGED_STRUCTURE if self._new_host else 0)
                return NOTHING
            flags = handler(self, event.body, event)
        elif channel == "pdfm":
            handler = _PDFM.get(event.message)
            if handler is None:
                return NOTHING
            host = self._local_host(event.received_at)
            flags = handler(self, host, event.body, event) | CHANGED_HOST
        else:
            return NOTHING
        self.version += 1
        if self._new_host:  # a host seen first in this event is a new node, whatever the handler says
            flags |= CHANGED_STRUCTURE
        return flags

    # orchestrator host-level ------------------------------------------------
    # a body is a dict checked against its message's schema (tui.hub.models): every field is present

    def _on_health(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event.received_at)
        state = body["state"] or UNKNOWN
        if state != host.health:
            host.logs.append((event.received_at, "info", f"health {host.health} -> {state}"))
            host.changed_at = event.received_at
        host.health = state
        return CHANGED_HOST

    def _on_link(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event.received_at)
        link = _LINK_BY_MESSAGE[event.message]
        if link != host.link:
            host.changed_at = event.received_at
        host.link = link
        return CHANGED_HOST

    def _on_host_added(self, body, event: Event) -> int:
        host_id = body["host_id"]
        existed = host_id in self.hosts
        host = self._host(host_id, event.received_at)
        if body["host"]:
            host.url = body["host"]
        if body["description"]:
            host.description = body["description"]
        host.placeholder = False
        self._structure = self._structure or not existed
        self._hosts_changed = self._hosts_changed or not existed
        return CHANGED_HOST | (0 if existed else CHANGED_STRUCTURE)

    def _on_host_removed(self, body, event: Event) -> int:
        host_id = body["host_id"]
        if self.hosts.pop(host_id, None) is None:
            return NOTHING
        self._structure = True
        self._hosts_changed = True
        self._dirty_hosts.discard(host_id)
        return CHANGED_STRUCTURE

    def _on_host_deployed(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event.received_at)
        if body["host"] and not host.url:
            host.url = body["host"]
        host.logs.append((event.received_at, "info", body["message"] or "host deployed"))
        return CHANGED_HOST

    def _on_stats(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event.received_at)
        stats = body["stats"]
        # kept as sent (a Go nil map is no stats): whoever draws them takes them through drawable_stats, for
        # the one host on screen, rather than every frame being checked here
        host.stats = stats = stats if stats is not None else {}
        cpu = stats.get("cpu_percent")
        # only numbers a float can hold go into the sparklines (a chained comparison is False for NaN)
        if isinstance(cpu, _NUMBER) and -_BIGGEST <= cpu <= _BIGGEST:
            host.cpu_history.append(float(cpu))
        mem = stats.get("memory_bytes")
        if isinstance(mem, _NUMBER) and -_BIGGEST <= mem <= _BIGGEST:
            host.mem_history.append(float(mem))
        return CHANGED_HOST

    def _on_logs(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event.received_at)
        log = body["log"]
        host.logs.append((event.received_at, log["level"] or "info", log["message"]))
        return CHANGED_HOST

    def _on_host_generic(self, body, event: Event) -> int:
        self._host(body["host_id"], event.received_at)
        return CHANGED_HOST

    def _on_host_vm(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event.received_at)
        return self._vm_event(host, _VM_MESSAGE[event.message], body["event"], event)

    def _on_host_mac_vms(self, body, event: Event) -> int:
        host = self._host(body["host_id"], event.received_at)
        host.mac_vms_running = len(body["event"]["mac_vms_running"])
        return CHANGED_HOST

    # shared by orchestrator HOST_VM_* and pdfm VM_* -------------------------

    def _vm_event(self, host: Host, kind: str, ev, event: Event) -> int:
        now = event.received_at
        new_vm = ev["new_vm"]
        vm_id = ev["vm_id"] or (new_vm.id if new_vm is not None else "")
        if not vm_id:
            return CHANGED_HOST
        if kind == "removed":
            if host.vms.pop(vm_id, None) is None:
                return CHANGED_HOST
            self._structure = True
            self._reshaped.add(host.id)
            host.shape += 1
            host.changed_at = now
            return CHANGED_HOST | CHANGED_STRUCTURE
        vm = host.vms.get(vm_id)
        flags = CHANGED_HOST | CHANGED_VM
        if vm is None:
            vm = VM(id=vm_id, host_id=host.id, placeholder=kind not in ("added", "updated"), last_change=now)
            host.vms[vm_id] = vm
            self._structure = True
            self._reshaped.add(host.id)
            host.shape += 1
            host.changed_at = now
            flags |= CHANGED_STRUCTURE
        if kind == "state":
            new_state = ev["current_state"] or UNKNOWN
            host.changed_at = now
            vm.previous_state = ev["previous_state"] or vm.state
            vm.state = new_state
            vm.last_change = now
            vm.note(now, f"{vm.previous_state or '?'} -> {new_state}")
        elif kind in ("added", "updated"):
            if new_vm is not None:
                self._fill_vm(vm, new_vm, now)
            vm.note(now, kind)
        elif kind == "uptime":
            vm.uptime = ev["uptime"]
        elif kind == "snapshots":
            vm.snapshots = len(ev["snapshots"] or ())
            vm.note(now, f"snapshots: {vm.snapshots}")
        self._dirty_vms.add((host.id, vm_id))
        return flags

    def _pdfm_vm(self, host: Host, body, event: Event) -> int:
        return self._vm_event(host, _VM_MESSAGE["HOST_" + event.message], body, event)

    def _pdfm_mac_vms(self, host: Host, body, event: Event) -> int:
        host.mac_vms_running = len(body["mac_vms_running"])
        return CHANGED_HOST

    # ------------------------------------------------------------------ queries

    def vm(self, host_id: str, vm_id: str) -> VM | None:
        host = self.hosts.get(host_id)
        return host.vms.get(vm_id) if host else None

    def find_vm(self, vm_id: str) -> VM | None:
        for host in self.hosts.values():
            vm = host.vms.get(vm_id)
            if vm is not None:
                return vm
        return None

    def sorted_hosts(self) -> list[Host]:
        return sorted(self.hosts.values(), key=lambda h: (h.label.lower(), h.id))

    def filter(self, text: str) -> dict[str, set[str] | None]:
        """Hosts that match ``text`` (hostname, description, host id prefix, VM name; case-insensitive).
        Maps host id -> ``None`` when the host itself matches (all its VMs shown), or the set of its VM
        ids whose names match."""
        needle = text.strip().lower()
        result: dict[str, set[str] | None] = {}
        for host in self.hosts.values():
            if not needle or self.host_matches(host, needle):
                result[host.id] = None
                continue
            vms = {vm.id for vm in host.vms.values() if needle in vm.search or vm.id.lower().startswith(needle)}
            if vms:
                result[host.id] = vms
        return result

    @staticmethod
    def host_matches(host: Host, needle: str) -> bool:
        # the hostname, not the label: a placeholder's label ("host 1a2b3c4d") is not a name to match
        return (
            needle in host.hostname.lower()
            or needle in host.description.lower()
            or host.id.lower().startswith(needle)
        )

    def totals(self) -> dict[str, Any]:
        health = Counter(h.health for h in self.hosts.values())
        vms: Counter = Counter()
        for host in self.hosts.values():
            vms.update(vm.state for vm in host.vms.values())
        return {
            "hosts": len(self.hosts),
            "hosts_by_state": dict(sorted(health.items())),
            "vms": sum(vms.values()),
            "vms_by_state": dict(sorted(vms.items())),
        }


_LINK_BY_MESSAGE = {
    "HOST_WEBSOCKET_CONNECTED": LINK_CONNECTED,
    "HOST_WEBSOCKET_DISCONNECTED": LINK_DISCONNECTED,
    "HOST_WEBSOCKET_DEGRADED": LINK_DEGRADED,
}

_VM_MESSAGE = {
    "HOST_VM_STATE_CHANGED": "state",
    "HOST_VM_ADDED": "added",
    "HOST_VM_REMOVED": "removed",
    "HOST_VM_UPDATED": "updated",
    "HOST_VM_UPTIME_CHANGED": "uptime",
    "HOST_VM_SNAPSHOTS_UPDATED": "snapshots",
}

_ORCHESTRATOR = {
    "HOST_HEALTH_UPDATE": Cluster._on_health,
    "HOST_WEBSOCKET_CONNECTED": Cluster._on_link,
    "HOST_WEBSOCKET_DISCONNECTED": Cluster._on_link,
    "HOST_WEBSOCKET_DEGRADED": Cluster._on_link,
    "HOST_ADDED": Cluster._on_host_added,
    "HOST_REMOVED": Cluster._on_host_removed,
    "HOST_DEPLOYED": Cluster._on_host_deployed,
    "HOST_STATS_UPDATE": Cluster._on_stats,
    "HOST_LOGS_UPDATE": Cluster._on_logs,
    "HOST_CATALOG_CACHE_EVENT": Cluster._on_host_generic,
    "HOST_REVERSE_PROXY_UPDATED": Cluster._on_host_generic,
    "HOST_REVERSE_PROXY_EVENT": Cluster._on_host_generic,
    "HOST_MAC_VMS_RUNNING_NOW": Cluster._on_host_mac_vms,
    **{name: Cluster._on_host_vm for name in _VM_MESSAGE},
}

_PDFM = {
    "VM_STATE_CHANGED": Cluster._pdfm_vm,
    "VM_ADDED": Cluster._pdfm_vm,
    "VM_REMOVED": Cluster._pdfm_vm,
    "VM_UPDATED": Cluster._pdfm_vm,
    "VM_UPTIME_CHANGED": Cluster._pdfm_vm,
    "VM_SNAPSHOTS_UPDATED": Cluster._pdfm_vm,
    "MAC_VMS_RUNNING_NOW": Cluster._pdfm_mac_vms,
}
