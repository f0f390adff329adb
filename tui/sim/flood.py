"""The load generator: extra orchestrator events that name the world's hosts and VMs without changing it.
A part of :class:`~tui.sim.world.World`, which it is mixed into; ``bench/`` leans on it."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .catalogue import LINK_DISCONNECTED, PAUSED, POWER_PLANS, RUNNING, STOPPED, SUSPENDED
from .entities import SimHost, SimVM
from .frames import Event, FramePool, IdSource

if TYPE_CHECKING:
    from .world import World as _Base
else:
    _Base = object

#: each VM state's round trip back to itself
_CYCLES = {
    RUNNING: (RUNNING, "stopping", STOPPED, "starting", RUNNING),
    STOPPED: (STOPPED, "starting", RUNNING, "stopping", STOPPED),
    SUSPENDED: (SUSPENDED, "resuming", RUNNING, "suspending", SUSPENDED),
    PAUSED: (PAUSED, "resuming", RUNNING, PAUSED),
}


class Flood(_Base):
    def flood_events(self, n: int) -> list[Event]:
        """``n`` extra orchestrator events for load: mostly stats, plus VM state changes, uptimes and logs.

        They name the world's real hosts and VMs but do not change the world: each VM's state changes
        form closed cycles (running -> stopping -> stopped -> starting -> running ...), so sending the
        whole list in order leaves every VM where it started. Drawn from their own random stream, so
        asking for them does not change what :meth:`step` returns.
        """
        rng = random.Random(f"{self.seed}:flood:{self._tick}")
        hosts = [host for host in self._hosts.values() if host.link != LINK_DISCONNECTED]
        vms = [(host, vm) for host in hosts for vm in host.vms.values() if vm.state in POWER_PLANS and not vm.busy]
        out: list[Event] = []
        cycles: dict[str, list[Event]] = {}  # the open cycle of each VM that has one
        pending = 0  # events still owed by the open cycles
        while len(out) < n:
            room = n - len(out) - pending
            roll = rng.random()
            if cycles and (roll < 0.15 or room <= 0):
                vm_id = rng.choice(list(cycles))
                out.append(cycles[vm_id].pop(0))
                pending -= 1
                if not cycles[vm_id]:
                    del cycles[vm_id]
            elif vms and roll < 0.25 and room >= 5:
                host, vm = vms[rng.randrange(len(vms))]
                if vm.id not in cycles:
                    cycles[vm.id] = self._flood_cycle(host, vm)
                    pending += len(cycles[vm.id])
            elif hosts and roll < 0.93:
                out.append(self._flood_stats(rng, hosts[rng.randrange(len(hosts))]))
            elif vms and roll < 0.97:
                host, vm = vms[rng.randrange(len(vms))]
                body = {"vm_id": vm.id, "uptime": str(vm.uptime)}
                out.append(("orchestrator", "HOST_VM_UPTIME_CHANGED", {"host_id": host.id, "event": body}))
            elif hosts:
                host = hosts[rng.randrange(len(hosts))]
                log = {"level": "info", "message": f"[API] GET /api/v1/machines 200 ({rng.randint(2, 40)} ms)",
                       "time": self._time()}
                out.append(("orchestrator", "HOST_LOGS_UPDATE", {"host_id": host.id, "log": log}))
            else:
                out.append(("system_logs", "System Log", {"level": "info", "message": "[Orchestrator] idle",
                                                          "time": self._time()}))
        return out

    def flood_frames(self, n: int) -> list[str]:
        """:meth:`flood_events` encoded as ``n`` complete frames (ids and timestamps included)."""
        if n <= 0:
            return []
        ids = IdSource(random.Random(f"{self.seed}:ids"))
        pool = FramePool(self.flood_events(n))
        return [frame for _, frame in pool.take(n, ids, self._time())]

    @staticmethod
    def _flood_cycle(host: SimHost, vm: SimVM) -> list[Event]:
        """State changes that take ``vm`` round from its state back to it."""
        path = _CYCLES[vm.state]
        return [
            ("orchestrator", "HOST_VM_STATE_CHANGED",
             {"host_id": host.id, "event": {"previous_state": before, "current_state": after, "vm_id": vm.id}})
            for before, after in zip(path, path[1:], strict=False)
        ]

    @staticmethod
    def _flood_stats(rng: random.Random, host: SimHost) -> Event:
        s = host.stats
        cpu = min(100.0, max(0.5, s.cpu_percent + rng.gauss(0, 2)))
        stats = {
            "cpu_percent": round(cpu, 2),
            "memory_bytes": int(s.memory_bytes),
            "memory_alloc_bytes": int(s.memory_bytes * s.alloc_ratio),
            "goroutines": int(s.goroutines),
            "goroutines_smoothed": round(s.goroutines_smoothed, 2),
            "cpu_user_seconds": round(s.cpu_user_seconds, 2),
            "cpu_system_seconds": round(s.cpu_system_seconds, 2),
        }
        return "orchestrator", "HOST_STATS_UPDATE", {"host_id": host.id, "stats": stats}
