"""What VMs do: power transitions (by themselves or asked through the REST API), uptimes, updates, snapshots,
coming and going. A part of :class:`~tui.sim.world.World`, which it is mixed into."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalogue import (
    LINK_DISCONNECTED,
    MAX_ACTIVE_MAC_VMS,
    POWER_PLANS,
    REQUESTS,
    RUNNING,
    SNAPSHOT_NAMES,
    STOPPED,
    TRANSITIONS,
    UPTIME_REPORT,
    VM_ACTIVITY,
    VM_ADD,
    VM_BURST,
    VM_DESCRIPTIONS,
    VM_REMOVE,
    VM_SNAPSHOT,
    VM_UPDATE,
)
from .entities import RequestError, SimHost, SimVM
from .records import running_macs, vm_record

if TYPE_CHECKING:
    from .world import World as _Base
else:
    _Base = object


class VmActivity(_Base):
    def _vm_activity(self, vms: int) -> None:
        hosts = len(self._hosts) + 1
        self._repeat(VM_ACTIVITY * vms, self._power_action)
        self._repeat(UPTIME_REPORT * vms, self._report_uptime)
        self._repeat(VM_UPDATE * vms, self._update_vm)
        self._repeat(VM_SNAPSHOT * vms, self._snapshot_vm)
        self._repeat(VM_ADD * hosts, self._add_vm)
        self._repeat(VM_REMOVE * hosts, self._remove_vm)
        self._repeat(VM_BURST * (hosts - 1), self._vm_burst)

    # ------------------------------------------------------------------ power

    def request_power(self, ref: str, operation: str) -> tuple[SimHost, SimVM]:
        """``operation`` (``start``, ``stop``, ``restart``, ``reset``, ``suspend``, ``resume``, ``pause``) on the
        VM ``ref`` (id or name), as ``PUT /api/v1/orchestrator/machines/{id}/{operation}`` asks it. The VM goes
        through its transitional state with the usual events (the first one out at the next step).
        :class:`~tui.sim.entities.RequestError` for what the server refuses."""
        allowed = REQUESTS.get(operation)
        if allowed is None:
            raise RequestError(400, f"Invalid request body: operation {operation} is not supported for group state")
        host, vm = self.find_vm(ref)
        if not host.state == "healthy":
            raise RequestError(400, f"Host {host.id} is not healthy")
        if vm.busy:
            raise RequestError(400, f"Virtual machine {vm.name} is busy")
        action = allowed.get(vm.state)
        if action is None:
            raise RequestError(400, f"Failed to {operation} virtual machine {vm.name}: the VM is {vm.state}")
        if vm.is_mac and action in ("start", "resume") and self._active_macs(host, excluding=vm) >= MAX_ACTIVE_MAC_VMS:
            raise RequestError(400, f"Failed to {operation} virtual machine {vm.name}: "
                                    f"the host already runs {MAX_ACTIVE_MAC_VMS} macOS VMs")
        self._begin(host, vm, action, self._request_rng.uniform(*TRANSITIONS[action][2:]), requested=True)
        return host, vm

    def _power_action(self) -> None:
        picked = self._random_vm()
        if picked is None:
            return
        host, vm = picked
        plan = POWER_PLANS.get(vm.state)
        if vm.busy or plan is None:
            return
        chance, actions = plan
        if self._rng.random() >= chance:
            return
        action = self._weighted(actions)
        if (vm.is_mac and action in ("start", "resume")
                and self._active_macs(host, excluding=vm) >= MAX_ACTIVE_MAC_VMS):
            return
        shortest, longest = TRANSITIONS[action][2:]
        self._begin(host, vm, action, self._rng.uniform(shortest, longest) if TRANSITIONS[action][0] else 0.0)

    def _begin(self, host: SimHost, vm: SimVM, action: str, seconds: float, requested: bool = False) -> None:
        transitional, final, _, _ = TRANSITIONS[action]
        if transitional is None:
            self._set_state(host, vm, final)
            return
        self._set_state(host, vm, transitional)
        vm.busy = True
        self._after(seconds, self._finish_action, host.id, vm.id, action, requested, requested=requested)

    def _finish_action(self, host_id: str, vm_id: str, action: str, requested: bool = False) -> None:
        host = self._find_host(host_id)
        vm = host.vms.get(vm_id) if host else None
        if host is None or vm is None:
            return
        if host.link == LINK_DISCONNECTED:  # the orchestrator hears of it once the link is back
            self._after(1.0, self._finish_action, host_id, vm_id, action, requested, requested=requested)
            return
        vm.busy = False
        self._set_state(host, vm, TRANSITIONS[action][1])
        if action in ("start", "reset"):
            vm.running_since = self.now
        if action in ("stop", "reset") and vm.uptime:
            vm.uptime = 0
            self._vm_event(host, "UPTIME_CHANGED", {"vm_id": vm.id, "uptime": "0"})

    def _set_state(self, host: SimHost, vm: SimVM, state: str) -> None:
        previous = vm.state
        vm.state = state
        self._vm_event(host, "STATE_CHANGED", {"previous_state": previous, "current_state": state, "vm_id": vm.id})
        if vm.is_mac and (previous == RUNNING) != (state == RUNNING):
            self._report_mac_vms(host)

    def _report_mac_vms(self, host: SimHost) -> None:
        running = {"mac_vms_running": running_macs(host)}
        if host.local:
            self._emit("pdfm", "MAC_VMS_RUNNING_NOW", running)
        else:
            self._emit("orchestrator", "HOST_MAC_VMS_RUNNING_NOW", {"host_id": host.id, "event": running})

    # ------------------------------------------------------------------ VM life

    def _report_uptime(self) -> None:
        picked = self._random_vm()
        if picked is None:
            return
        host, vm = picked
        if vm.state != RUNNING or vm.running_since is None:
            return
        uptime = int(self.now - vm.running_since)
        if uptime != vm.uptime:
            vm.uptime = uptime
            self._vm_event(host, "UPTIME_CHANGED", {"vm_id": vm.id, "uptime": str(uptime)})

    def _update_vm(self) -> None:
        picked = self._random_vm()
        if picked is None or picked[1].busy:
            return
        host, vm = picked
        rng = self._rng
        if vm.state == STOPPED and rng.random() < 0.5:
            vm.cpus = rng.choice((2, 4, 6, 8))
            vm.memory_mb = rng.choice((4096, 8192, 16384))
        else:
            vm.description = rng.choice([text for text in VM_DESCRIPTIONS if text != vm.description])
        self._vm_event(host, "UPDATED", {"vm_id": vm.id, "new_vm": vm_record(host, vm, listing=False)})

    def _vm_burst(self) -> None:
        """The host's VM cache disagreed with reality: it re-announces every VM it has, unchanged."""
        hosts = self._reachable_hosts()
        if not hosts:
            return
        host = self._rng.choice(hosts)
        for vm in host.vms.values():
            self._vm_event(host, "UPDATED", {"vm_id": vm.id, "new_vm": vm_record(host, vm, listing=False)})

    def _snapshot_vm(self) -> None:
        picked = self._random_vm()
        if picked is None:
            return
        host, vm = picked
        for snapshot in vm.snapshots:
            snapshot["current"] = False
        parent = vm.snapshots[-1]["id"] if vm.snapshots else ""
        # the date as prlctl prints it
        date = self._time()[:19].replace("T", " ")
        vm.snapshots.append({"id": "{" + self._uuid() + "}", "name": self._rng.choice(SNAPSHOT_NAMES),
                             "date": date, "state": "poweroff" if vm.state == STOPPED else "running",
                             "current": True, "parent": parent})
        del vm.snapshots[:-5]
        self._vm_event(host, "SNAPSHOTS_UPDATED", {"vm_id": vm.id, "snapshots": [dict(s) for s in vm.snapshots]})

    def _add_vm(self) -> None:
        hosts = self._reachable_hosts(include_local=True)
        host = self._rng.choice(hosts) if hosts else None
        if host is None or len(host.vms) >= host.vm_limits()[1]:
            return
        vm = self._new_vm(host, STOPPED)
        host.vms[vm.id] = vm
        self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        self._vm_event(host, "ADDED", {"vm_id": vm.id, "new_vm": vm_record(host, vm, listing=False)})

    def _remove_vm(self) -> None:
        hosts = self._reachable_hosts(include_local=True)
        host = self._rng.choice(hosts) if hosts else None
        if host is None or len(host.vms) <= host.vm_limits()[0]:
            return
        stopped = [vm for vm in host.vms.values() if vm.state == STOPPED and not vm.busy]
        if not stopped:
            return
        vm = self._rng.choice(stopped)
        del host.vms[vm.id]
        self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        self._vm_event(host, "REMOVED", {"vm_id": vm.id})

    # ------------------------------------------------------------------ the host's own figures

    def _next_stats(self, host: SimHost) -> dict[str, Any]:
        """Drift the service's figures by one stats period and return them as its "System Stats" body."""
        rng = self._rng
        s = host.stats
        active = sum(1 for vm in host.vms.values() if vm.state not in ("stopped", "suspended"))
        target = min(95.0, s.cpu_base + 3.0 * active)
        s.cpu_percent = min(100.0, max(0.5, s.cpu_percent + 0.5 * (target - s.cpu_percent) + rng.gauss(0, 3)))
        s.memory_bytes = max(20e6, s.memory_bytes + 0.2 * (s.memory_base - s.memory_bytes) + rng.gauss(0, 3e6))
        s.alloc_ratio = min(0.8, max(0.2, s.alloc_ratio + rng.gauss(0, 0.03)))
        s.goroutines = max(12.0, s.goroutines + 0.5 * (50 + 4 * active - s.goroutines) + rng.gauss(0, 3))
        s.goroutines_smoothed += 0.3 * (s.goroutines - s.goroutines_smoothed)
        s.cpu_user_seconds += s.cpu_percent / 100 * 0.7 * 5
        s.cpu_system_seconds += s.cpu_percent / 100 * 0.3 * 5
        return {
            "cpu_percent": round(s.cpu_percent, 2),
            "memory_bytes": int(s.memory_bytes),
            "memory_alloc_bytes": int(s.memory_bytes * s.alloc_ratio),
            "goroutines": int(s.goroutines),
            "goroutines_smoothed": round(s.goroutines_smoothed, 2),
            "cpu_user_seconds": round(s.cpu_user_seconds, 2),
            "cpu_system_seconds": round(s.cpu_system_seconds, 2),
        }
