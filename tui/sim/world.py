"""A deterministic simulated orchestrator: Mac hosts, their VMs, and the events they produce.

Pure Python, no asyncio. :class:`World` advances simulated time in fixed ticks of :data:`TICK` seconds,
so the events depend only on the seed and the total time stepped (``step(1.0)`` equals ten
``step(0.1)``). Every change of the world's state is told by an event, so a client that starts from
:meth:`World.hosts_json` / :meth:`World.machines_json` and applies the events ends equal to them.

What happens, at the real server's cadence: every reachable host's DevOps service reports its own process
figures every 5 s (and now and then its free disk space); the orchestrator re-sends each host's health on its
30 s check; VMs go through power transitions, report uptimes, are added, updated, snapshotted and removed;
hosts flap health, lose and regain their link, log, cache catalog items, toggle their reverse proxy, are
deployed, come and go, and now and then re-announce every VM they have. The orchestrator's own host has a
few VMs of its own (the ``pdfm`` channel) and its own ``stats``, ``system_logs``, ``job_manager``,
``catalog_cache``, ``reverse_proxy`` and ``auth`` events.

The pieces live beside this file: ``catalogue`` (names, kinds, rates), ``entities`` (the state),
``records`` (the REST shapes), ``activity`` (VMs), ``fleet`` (hosts), ``service`` (the server's own
channels), ``flood`` (the load generator).
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from .activity import VmActivity
from .catalogue import (
    DEVOPS_VERSIONS,
    DISK_SIZES_MB,
    HEALTH_PERIOD,
    HEALTHY,
    HOST_DESCRIPTIONS,
    HOST_KINDS,
    HOST_TAGS,
    INITIAL_STATES,
    LINK_CONNECTED,
    LINK_DEGRADED,
    LINK_DISCONNECTED,
    MAC_OS,
    MACOS_VERSIONS,
    MAX_ACTIVE_MAC_VMS,
    PARALLELS_VERSIONS,
    REQUIRED_CLAIMS,
    REQUIRED_ROLES,
    RUNNING,
    STATS_PERIOD,
    STOPPED,
    UNHEALTHY,
    VM_DESCRIPTIONS,
    VM_KINDS,
)
from .entities import RequestError, ServiceStats, SimHost, SimVM
from .fleet import FleetActivity
from .flood import Flood
from .frames import Event, rfc3339_nano
from .records import host_record, is_active, vm_record
from .service import ServiceActivity

TICK = 0.1
TICKS_PER_SECOND = 10
STATS_TICKS = round(STATS_PERIOD * TICKS_PER_SECOND)
HEALTH_TICKS = round(HEALTH_PERIOD * TICKS_PER_SECOND)
#: the simulated clock's origin (unix seconds) for times inside bodies, unless a World is given one
DEFAULT_EPOCH = 1_785_000_000.0

__all__ = [
    "DEFAULT_EPOCH", "HEALTHY", "RequestError", "LINK_CONNECTED", "LINK_DEGRADED", "LINK_DISCONNECTED", "MAC_OS", "RUNNING",
    "STOPPED", "TICK", "UNHEALTHY", "World",
]


class World(VmActivity, FleetActivity, ServiceActivity, Flood):
    """A believable orchestrator with ``hosts`` Macs of about ``vms`` VMs each, driven by ``seed``.

    ``epoch`` (unix seconds) is the simulated clock's origin, used only for times inside bodies. ``frozen``
    (settable at any time): nothing happens by itself, not even stats; only what is asked through
    :meth:`request_power` goes on, so a test knows every event it will see.
    """

    def __init__(self, hosts: int = 12, vms: int = 8, seed: int = 0, *, epoch: float = DEFAULT_EPOCH,
                 local_vms: int = 3, frozen: bool = False) -> None:
        if hosts < 0 or vms < 0 or local_vms < 0:
            raise ValueError("hosts, vms and local_vms cannot be negative")
        self.seed = seed
        self.frozen = frozen
        self._rng = random.Random(seed)
        # requests from outside draw from their own stream, so they leave the world's own course as it was
        self._request_rng = random.Random(f"{seed}:requests")
        self._epoch_ns = int(epoch * 1e9)
        self._tick = 0
        self._carry = 0.0
        self._timers: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._requested: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._timer_seq = 0
        self._out: list[Event] = []
        self._name_counters: dict[str, int] = {}
        self._ip_counter = 0
        spread = max(1, hosts // 4)
        self._host_limits = (max(0, hosts - spread), hosts + spread)
        self._vms_per_host = vms
        self._hosts: dict[str, SimHost] = {}
        self._pairs: list[tuple[SimHost, SimVM]] | None = None
        for _ in range(hosts):
            host = self._new_host(vms)
            self._hosts[host.id] = host
        self._local = self._new_host(local_vms, hostname="orchestrator.local")
        self._local.local = True
        if local_vms and not any(vm.is_mac for vm in self._local.vms.values()):
            # the orchestrator's own Mac runs a macOS VM of its own (its pdfm channel reports it)
            vm = self._new_vm(self._local, STOPPED, os_name=MAC_OS)
            self._local.vms[vm.id] = vm
        self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        for host in self._hosts.values():
            if self._rng.random() < 0.08:
                host.state = UNHEALTHY
                self._after(self._rng.uniform(5, 60), self._recover_health, host.id)
        self._init_service()

    # ------------------------------------------------------------------ public

    @property
    def now(self) -> float:
        """Simulated seconds since the world began."""
        return self._tick * TICK

    def step(self, dt: float) -> list[Event]:
        """Advance ``dt`` simulated seconds (in whole ticks; the remainder carries over) and return the
        events that happened, in order, as (channel, message, body); events of requests made since the last
        step come first."""
        if dt < 0:
            raise ValueError("time only moves forward")
        self._carry += dt
        ticks = int(self._carry / TICK + 1e-9)
        self._carry = max(0.0, self._carry - ticks * TICK)
        out = self._out
        for _ in range(ticks):
            self._advance()
        self._out = []
        return out

    def hosts_json(self) -> list[dict[str, Any]]:
        """``GET /api/v1/orchestrator/hosts``: every host record, as the server sends it."""
        return [host_record(host) for host in self._hosts.values()]

    def machines_json(self) -> list[dict[str, Any]]:
        """``GET /api/v1/orchestrator/machines``: every VM of every host, capitalised keys plus host fields."""
        return [vm_record(host, vm) for host in self._hosts.values() for vm in host.vms.values()]

    def host_links(self) -> dict[str, str]:
        """The orchestrator's link to each host: ``connected``, ``disconnected`` or ``degraded``."""
        return {host.id: host.link for host in self._hosts.values()}

    def find_host(self, host_id: str) -> SimHost:
        """A host of the fleet by id; :class:`RequestError` 404 when there is none."""
        host = self._hosts.get(host_id)
        if host is None:
            raise RequestError(404, f"Host {host_id} not found")
        return host

    def find_vm(self, ref: str) -> tuple[SimHost, SimVM]:
        """A VM of the fleet by id or name; :class:`RequestError` 404 when there is none."""
        for host in self._hosts.values():
            vm = host.vms.get(ref) or next((vm for vm in host.vms.values() if vm.name == ref), None)
            if vm is not None:
                return host, vm
        raise RequestError(404, f"Virtual machine {ref} not found")

    # ------------------------------------------------------------------ time and randomness

    def _time(self) -> str:
        return rfc3339_nano(self._epoch_ns + self._tick * 100_000_000)

    def _after(self, seconds: float, action: Callable[..., None], *args: Any, requested: bool = False) -> None:
        due = self._tick + max(1, round(seconds * TICKS_PER_SECOND))
        self._timer_seq += 1
        heapq.heappush(self._requested if requested else self._timers, (due, self._timer_seq, action, args))

    def _poisson(self, mean: float) -> int:
        """How many times something of this mean count happens in one tick (Knuth's method)."""
        if mean <= 0:
            return 0
        limit = math.exp(-mean)
        count = 0
        product = self._rng.random()
        while product > limit:
            count += 1
            product *= self._rng.random()
        return count

    def _repeat(self, rate: float, action: Callable[[], None]) -> None:
        for _ in range(self._poisson(rate * TICK)):
            action()

    def _weighted(self, choices: Sequence[tuple[Any, int]]) -> Any:
        values = [value for value, _ in choices]
        weights = [weight for _, weight in choices]
        return self._rng.choices(values, weights)[0]

    def _hex64(self) -> str:
        return f"{self._rng.getrandbits(256):064x}"

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _next_number(self, pattern: str) -> int:
        self._name_counters[pattern] = self._name_counters.get(pattern, 0) + 1
        return self._name_counters[pattern]

    # ------------------------------------------------------------------ generation

    def _new_host(self, vms: int, hostname: str | None = None) -> SimHost:
        rng = self._rng
        kind = self._weighted([(name, weight) for name, (weight, _) in HOST_KINDS.items()])
        architecture, cpu_model, cores, cpus, memory_mb = rng.choice(HOST_KINDS[kind][1])
        disk_mb = rng.choice(DISK_SIZES_MB)
        self._ip_counter += 1
        memory_base = rng.uniform(60e6, 180e6)
        cpu_base = rng.uniform(2.0, 12.0)
        goroutines = rng.uniform(40, 90)
        host = SimHost(
            id=self._hex64(),
            hostname=hostname or f"{kind}-{self._next_number(kind):02d}.local",
            description=rng.choice(HOST_DESCRIPTIONS),
            architecture=architecture,
            cpu_model=cpu_model,
            cores=cores,
            cpus=cpus,
            memory_mb=memory_mb,
            disk_mb=disk_mb,
            free_disk_mb=int(disk_mb * rng.uniform(0.2, 0.7)),
            os_version=rng.choice(MACOS_VERSIONS),
            devops_version=rng.choice(DEVOPS_VERSIONS),
            parallels_version=rng.choice(PARALLELS_VERSIONS),
            ip=f"10.20.{self._ip_counter // 250}.{self._ip_counter % 250 + 2}",
            tags=sorted({*rng.sample(HOST_TAGS, rng.randint(1, 3)), architecture}),
            phase=rng.randrange(STATS_TICKS),
            health_phase=rng.randrange(HEALTH_TICKS),
            stats=ServiceStats(
                cpu_percent=cpu_base, cpu_base=cpu_base, memory_bytes=memory_base, memory_base=memory_base,
                alloc_ratio=rng.uniform(0.35, 0.6), goroutines=goroutines, goroutines_smoothed=goroutines,
                cpu_user_seconds=rng.uniform(100, 50_000), cpu_system_seconds=rng.uniform(50, 20_000),
            ),
            vm_target=vms,
            reverse_proxy=rng.random() < 0.25,
        )
        if rng.random() < 0.2:
            host.required_claims = [rng.choice(REQUIRED_CLAIMS)]
            host.required_roles = [rng.choice(REQUIRED_ROLES)]
        for _ in range(rng.randint(0, 2)):
            host.cache_items.append(self._cache_entry())
        for _ in range(vms):
            vm = self._new_vm(host, self._weighted(INITIAL_STATES))
            host.vms[vm.id] = vm
        return host

    def _new_vm(self, host: SimHost, state: str, os_name: str | None = None) -> SimVM:
        rng = self._rng
        kinds = [kind for kind in VM_KINDS if os_name in (None, kind[1])]
        pattern, os_name, _, cpus, memory, disk = self._weighted([(kind, kind[2]) for kind in kinds])
        if os_name == MAC_OS and state != STOPPED and self._active_macs(host) >= MAX_ACTIVE_MAC_VMS:
            state = STOPPED
        vm = SimVM(
            id=self._uuid(),
            name=pattern.format(self._next_number(pattern)),
            os=os_name,
            state=state,
            description=rng.choice(VM_DESCRIPTIONS),
            cpus=rng.choice(cpus),
            memory_mb=rng.choice(memory),
            disk_gb=rng.choice(disk),
            ip=f"10.211.55.{rng.randint(3, 254)}",
            mac_address="001C42" + f"{rng.getrandbits(24):06X}",
        )
        if state != STOPPED:
            vm.running_since = self.now - rng.uniform(300, 20 * 86_400)
            vm.uptime = int(self.now - vm.running_since)
        return vm

    # ------------------------------------------------------------------ queries

    def _active_macs(self, host: SimHost, excluding: SimVM | None = None) -> int:
        return sum(1 for vm in host.vms.values() if vm.is_mac and vm is not excluding and is_active(vm))

    def _find_host(self, host_id: str) -> SimHost | None:
        if host_id == self._local.id:
            return self._local
        return self._hosts.get(host_id)

    def _reachable_hosts(self, include_local: bool = False) -> list[SimHost]:
        hosts = [host for host in self._hosts.values() if host.link != LINK_DISCONNECTED]
        return hosts + [self._local] if include_local else hosts

    def _random_vm(self) -> tuple[SimHost, SimVM] | None:
        # the world picks a VM about a thousand times a simulated second: keep the list of pairs until a VM
        # or host comes or goes or a link changes (same list, same order, so the same random stream)
        pairs = self._pairs
        if pairs is None:
            pairs = self._pairs = [
                (host, vm) for host in self._reachable_hosts(include_local=True) for vm in host.vms.values()
            ]
        return self._rng.choice(pairs) if pairs else None

    def _vm_count(self) -> int:
        return sum(len(host.vms) for host in self._hosts.values()) + len(self._local.vms)

    # ------------------------------------------------------------------ emitting

    def _emit(self, channel: str, message: str, body: Any) -> None:
        self._out.append((channel, message, body))

    def _vm_event(self, host: SimHost, kind: str, event: dict[str, Any]) -> None:
        """A VM event: ``pdfm`` ``VM_<kind>`` for the server's own host, else ``HOST_VM_<kind>``."""
        if host.local:
            self._emit("pdfm", "VM_" + kind, event)
        else:
            self._emit("orchestrator", "HOST_VM_" + kind, {"host_id": host.id, "event": event})

    def _host_event(self, name: str, subject: SimHost, /, **fields: Any) -> None:
        self._emit("orchestrator", name, {"host_id": subject.id, **fields})

    # ------------------------------------------------------------------ one tick

    def _advance(self) -> None:
        self._tick += 1
        self._run_timers(self._requested)
        if self.frozen:
            return
        self._run_timers(self._timers)
        stats_phase = self._tick % STATS_TICKS
        health_phase = self._tick % HEALTH_TICKS
        for host in self._hosts.values():
            if host.phase == stats_phase and host.link != LINK_DISCONNECTED:
                self._host_event("HOST_STATS_UPDATE", host, stats=self._next_stats(host))
            if host.health_phase == health_phase:
                self._host_event("HOST_HEALTH_UPDATE", host, state=host.state)  # the check's tick: no news
        if stats_phase == self._local.phase:
            self._emit("stats", "System Stats", self._next_stats(self._local))
        self._spontaneous()

    def _run_timers(self, timers: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]]) -> None:
        while timers and timers[0][0] <= self._tick:
            _, _, action, args = heapq.heappop(timers)
            action(*args)

    def _spontaneous(self) -> None:
        self._vm_activity(self._vm_count())
        self._fleet_activity(len(self._hosts))
        self._service_activity()
