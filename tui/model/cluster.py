"""The cluster model: hosts and their VMs, seeded by the REST snapshot and kept live by events.

``apply(event)`` (in :mod:`.events`) mutates the model and records what changed (dirty host and VM ids) so a UI
can redraw only that; ``take_changes()`` hands the dirty sets over and starts new ones. What the model cannot
settle from events alone (a state that contradicts what it holds, an event for a host or VM it does not know,
frames that may have been lost) it asks for with :meth:`Cluster.want_resync`; whoever owns the connection
fetches the listings again and hands them to :meth:`Cluster.load_snapshot`, which settles it.

Every per-id structure a server can grow is bounded (:data:`MAX_HOSTS`, :data:`MAX_VMS`, the sets below):
a flood of new ids costs a counter, not memory.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Iterable

from ..protocol.records import HostRecord, VMRecord
from ..protocol.text import FIELD_LIMIT
from .entities import (
    HEALTHY,
    LOCAL_HOST_ID,
    UNHEALTHY,
    UNKNOWN,
    VM,
    Changes,
    Host,
    Link,
)
from .events import EventRules
from .hostlogs import HostLogs
from .jobs import JobStore

#: the most hosts and VMs the model holds (20x a 1,000 x 10 fleet); past them new ids are counted, not kept
MAX_HOSTS = 20_000
MAX_VMS = 200_000
#: ids remembered as removed (so a late event does not bring them back), and ids asked about
MAX_TOMBSTONES = 10_000
MAX_UNKNOWN = 1_000
#: event ids remembered for duplicate detection: the last DEDUP_WINDOW / 2 at least, DEDUP_WINDOW at most
DEDUP_WINDOW = 16_384
#: seconds a contradiction may wait for the late events that explain it before a resync is asked for
SETTLE_S = 2.0


class Cluster(EventRules):
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
        self._new_host = False  # set when apply() created a host (the local host, or one HOST_ADDED named)
        self.version = 0  # bumped by every change; lets a reader skip work when nothing moved
        self.vm_total = 0
        #: (host id, vm id) or host id -> the order key it was removed at
        self.tombstones: OrderedDict[object, str] = OrderedDict()
        #: the labels of hosts and VMs that are gone, by id: the log's older rows keep their names
        self.gone_labels: OrderedDict[str, str] = OrderedDict()
        #: ids an event named that the model does not know (asked about in the next resync)
        self.unknown: set[str] = set()
        #: ids a resync did not find either: their events are journaled, not asked about again
        self.not_listed: OrderedDict[str, None] = OrderedDict()
        #: new ids refused past MAX_HOSTS / MAX_VMS / MAX_UNKNOWN
        self.refused = 0
        #: (host id, field) -> noted once; and how many records could not be read at all
        self.problems: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.unreadable_records = 0
        #: why the model wants a resync, and the earliest moment it should start (monotonic clock)
        self._resync: str | None = None
        self._resync_at = 0.0
        self._resync_unsure = False
        self._resync_asked = 0.0
        #: the bounds, per model (a test may lower them)
        self.max_hosts, self.max_vms, self.settle_s = MAX_HOSTS, MAX_VMS, SETTLE_S
        #: the jobs (``job_manager``) and the hosts' and server's service logs, kept by :meth:`apply` beside
        #: the hosts: they come on the same feed, and a resync's listings do not touch them
        self.jobs = JobStore()
        self.service_logs = HostLogs()

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

    # ------------------------------------------------------------------ resync

    def want_resync(self, reason: str, delay: float = 0.0, unsure: bool = False) -> None:
        """Ask for the listings again, in ``delay`` seconds at the earliest (the first reason is kept).
        ``unsure``: only because a VM is unsure, so not needed if late events settle it first."""
        at = time.monotonic() + delay
        if self._resync is None:
            self._resync, self._resync_at, self._resync_unsure = reason, at, unsure
            self._resync_asked = time.time()
        else:
            self._resync_at = min(self._resync_at, at)
            self._resync_unsure = self._resync_unsure and unsure

    def take_resync(self, now: float | None = None) -> str | None:
        """The reason for a resync that is due now (and forget it), or ``None``."""
        if self._resync is None or (time.monotonic() if now is None else now) < self._resync_at:
            return None
        reason, self._resync = self._resync, None
        if self._resync_unsure and not any(vm.unsure for host in self.hosts.values() for vm in host.vms.values()):
            return None  # the late events that explain it came: nothing to ask
        return reason

    @property
    def resync_pending(self) -> bool:
        return self._resync is not None

    # ------------------------------------------------------------------ snapshot

    def note_problems(self, problems: Iterable[tuple[str, str]], unreadable: int = 0) -> list[str]:
        """Record the fields of records that could not be read; returns the ones not noted before (each
        ``(record id, field)`` is news once, however many snapshots repeat it)."""
        self.unreadable_records = unreadable
        fresh = []
        for key in problems:
            if key not in self.problems:
                if len(self.problems) >= MAX_UNKNOWN:
                    self.problems.popitem(last=False)
                self.problems[key] = None
                fresh.append(f"{key[0][:8]}: {key[1]}")
        return fresh

    def load_snapshot(self, hosts: Iterable[HostRecord], vms: Iterable[VMRecord], now: float | None = None,
                      since: float | None = None, problems: Iterable[tuple[str, str]] = ()) -> int:
        """Replace what the snapshot covers: hosts and VMs absent from it disappear. ``since`` (the moment the
        listings were asked for, hubtop's clock) makes it a resync: what an event changed after that moment is
        newer than the listing and kept. Returns the number of changes against the model before it."""
        now = time.time() if now is None else now
        changes = 0
        old = self.hosts
        new: dict[str, Host] = {}
        bad_state = {hid for hid, name in problems if name == "state"}
        for rec in hosts:
            if len(new) >= self.max_hosts:
                self.refused += 1
                continue
            host = old.get(rec.id)
            fresh_health = since is not None and host is not None and host.health_at > since
            if host is None:
                host = Host(id=rec.id)
                changes += 1
            elif host.placeholder or (not fresh_health and (rec.state or UNKNOWN) != host.health):
                changes += 1
            host.url = rec.host
            host.description = rec.description
            host.record = rec
            host.shape += 1
            if not fresh_health:
                host.health = rec.state or UNKNOWN
                host.health_unreadable = rec.id in bad_state
                if rec.has_websocket_events is not None:
                    host.link = Link.CONNECTED if rec.has_websocket_events else Link.DISCONNECTED
            res = rec.resources
            if res is not None and res.mac_vms_running is not None:
                host.mac_vms_running = list(res.mac_vms_running)
            host.problems = tuple(name for hid, name in problems if hid == rec.id)
            host.placeholder = False  # heard: not from a listing, only from an event of its own
            new[rec.id] = host
        seen_vms: dict[str, set[str]] = {hid: set() for hid in new}
        total = 0
        for rec in vms:
            hid = rec.host_id
            if hid not in new:
                if len(new) >= self.max_hosts:
                    self.refused += 1
                    continue
                # a VM of a host the hosts listing does not have: keep it under a host known by its VMs only
                placeholder = old.get(hid) or Host(id=hid, placeholder=True)
                new[hid] = placeholder
                seen_vms[hid] = set()
            if total >= self.max_vms:
                self.refused += 1
                continue
            host = new[hid]
            vm = host.vms.get(rec.id)
            first = vm is None and (since is None or not old)  # the first listing: when each state began is not known
            if vm is None:
                vm = VM(id=rec.id, host_id=hid)
                host.vms[rec.id] = vm
                changes += 1
            elif since is not None and vm.last_change is not None and vm.last_change > since:
                seen_vms[hid].add(rec.id)  # an event newer than the listing set this state: keep it
                total += 1
                vm.unsure = False
                vm.gap = None
                continue
            elif vm.state != (rec.state or UNKNOWN):
                changes += 1
            self.fill_vm(vm, rec, now, learned=not first)
            vm.unsure = False
            vm.gap = None
            seen_vms[hid].add(rec.id)
            total += 1
        for hid, host in new.items():
            gone = [vid for vid in host.vms if vid not in seen_vms.get(hid, ())]
            for vid in gone:
                self.remember_label(vid, host.vms.pop(vid).label)
                changes += 1
        # the local host (pdfm) is not in the orchestrator listing: keep it unless a record now stands for it
        local = old.get(LOCAL_HOST_ID)
        if local is not None and self._record_for_server(new) is None:
            new[LOCAL_HOST_ID] = local
            total += len(local.vms)
        for hid, host in old.items():
            if hid not in new:
                changes += 1
                self.remember_label(hid, host.label)
                for vid, vm in host.vms.items():
                    self.remember_label(vid, vm.label)
        self.hosts = new
        self.vm_total = total
        self._structure = True
        self._hosts_changed = True
        self._dirty_hosts.update(new)
        # what was asked about is settled: found now, or not listed (its events are journaled, not asked again)
        for hid in self.unknown:
            if hid not in new and not any(hid in h.vms for h in new.values()):
                self.not_listed[hid] = None
                if len(self.not_listed) > MAX_UNKNOWN:
                    self.not_listed.popitem(last=False)
        self.unknown.clear()
        if since is not None and self._resync is not None and self._resync_asked <= since:
            self._resync = None  # asked for before these listings were: they answer it
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
    def fill_vm(vm: VM, rec: VMRecord, now: float, learned: bool = True) -> None:
        """Take a record's fields; a new state was learned ``now`` (``learned=False``: it came with the first
        listing, and when it began is not known)."""
        if rec.name:
            vm.name = rec.name
            vm.search = rec.name[:FIELD_LIMIT].lower()
        if rec.os:
            vm.os = rec.os
            vm.os_search = rec.os[:FIELD_LIMIT].lower()
        if rec.state and rec.state != vm.state:
            if vm.state != UNKNOWN or vm.previous_state:
                vm.previous_state = vm.state
            vm.state = rec.state
            vm.last_change = now if learned else None
        if rec.uptime:
            vm.uptime = rec.uptime
        if rec.description:
            vm.description = rec.description
        if rec.internal_ip_address:
            vm.ip = rec.internal_ip_address

    # ------------------------------------------------------------------ bounded id sets

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

    def bury(self, key: object, ts: str) -> None:
        """Remember that ``key`` was removed at ``ts``: an older event about it is late, not a return."""
        self.tombstones[key] = ts
        self.tombstones.move_to_end(key)
        if len(self.tombstones) > MAX_TOMBSTONES:
            self.tombstones.popitem(last=False)

    def remember_label(self, entity_id: str, label: str) -> None:
        self.gone_labels[entity_id] = label
        if len(self.gone_labels) > MAX_TOMBSTONES:
            self.gone_labels.popitem(last=False)

    def labels_of(self, host_id: str | None, vm_id: str | None) -> tuple[str, str]:
        """The names of a host and a VM for a log row: as the model knows them, or as they were when they went."""
        host = self.hosts.get(host_id) if host_id else None
        if host is not None:
            host_label = host.label
        else:
            host_label = self.gone_labels.get(host_id, "") or (host_id[:8] if host_id else "")
        vm_label = ""
        if vm_id:
            vm = host.vms.get(vm_id) if host is not None else None
            vm_label = vm.label if vm is not None else self.gone_labels.get(vm_id, "") or vm_id[:8]
        return host_label, vm_label

    def ask_about(self, entity_id: str, what: str) -> None:
        """An event named a host or VM the model does not know: fetch it (a resync), do not invent it."""
        if entity_id in self.not_listed or entity_id in self.unknown:
            return
        if len(self.unknown) >= MAX_UNKNOWN:
            self.refused += 1
            return
        self.unknown.add(entity_id)
        self.want_resync(f"an event for {what} {entity_id[:8]} that hubtop does not know", 0.5)

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
            or needle in host.description[:FIELD_LIMIT].lower()
            or host.id.lower().startswith(needle)
        )

    def totals(self) -> dict[str, object]:
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


__all__ = ["HEALTHY", "UNHEALTHY", "UNKNOWN", "Cluster"]
