"""A deterministic simulated orchestrator: Mac hosts, their VMs, and the events they produce.

Pure Python, no asyncio. :class:`World` advances simulated time in fixed ticks of :data:`TICK` seconds,
so the events depend only on the seed and the total time stepped (``step(1.0)`` equals ten
``step(0.1)``). Every change of the world's state is told by an event, so a client that starts from
:meth:`World.hosts_json` / :meth:`World.machines_json` and applies the events ends equal to them.

What happens: VMs go through power transitions (``stopped -> starting -> running`` ...), uptimes are
reported, VMs are added, updated, snapshotted and removed, hosts flap health, lose and regain their
link to the orchestrator, log lines, come and go; every reachable host sends its stats once per
simulated second. The orchestrator's own host (the server a client connects to) has a few VMs of
its own, told on the ``pdfm`` channel, and a trickle of ``stats``, ``system_logs``, ``job_manager``,
``catalog_cache``, ``reverse_proxy`` and ``auth`` events.
"""

from __future__ import annotations

import heapq
import math
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .frames import Event, FramePool, IdSource, rfc3339_nano

TICK = 0.1
TICKS_PER_SECOND = 10
#: the simulated clock's origin (unix seconds) for times inside bodies, unless a World is given one
DEFAULT_EPOCH = 1_785_000_000.0

RUNNING = "running"
STOPPED = "stopped"
SUSPENDED = "suspended"
PAUSED = "paused"

HEALTHY = "healthy"
UNHEALTHY = "unhealthy"

LINK_CONNECTED = "connected"
LINK_DISCONNECTED = "disconnected"
LINK_DEGRADED = "degraded"

MAC_OS = "macosx"
#: Apple's licence lets a Mac run at most two macOS VMs at once
MAX_ACTIVE_MAC_VMS = 2

# ----------------------------------------------------------------------------- rates (per second)

VM_ACTIVITY = 0.03  # per VM: how often a VM is considered for a power action
UPTIME_REPORT = 1 / 60  # per VM (only running ones report)
VM_UPDATE = 1 / 3000  # per VM
VM_SNAPSHOT = 1 / 4000  # per VM
VM_ADD = 1 / 600  # per host
VM_REMOVE = 1 / 600  # per host
HEALTH_FLAP = 1 / 500  # per host
LINK_DROP = 1 / 700  # per host
HOST_LOG = 1 / 15  # per host
HOST_CATALOG = 1 / 300  # per host
HOST_PROXY = 1 / 900  # per host
HOST_ADD = 1 / 240
HOST_REMOVE = 1 / 240
SYSTEM_LOG = 0.4
DISK_SPACE = 1 / 15
JOB_START = 1 / 45
CACHE_ITEM = 1 / 60
PROXY_ROUTE = 1 / 120
USER_ADD = 1 / 240

#: stable state -> (chance to act when considered, ((action, weight), ...))
POWER_PLANS: dict[str, tuple[float, tuple[tuple[str, int], ...]]] = {
    STOPPED: (0.6, (("start", 1),)),
    RUNNING: (0.35, (("stop", 4), ("suspend", 2), ("pause", 1), ("reset", 1))),
    SUSPENDED: (0.5, (("resume", 1),)),
    PAUSED: (0.8, (("resume", 3), ("stop", 1))),
}

#: action -> (transitional state or None, final state, shortest and longest duration in seconds)
TRANSITIONS: dict[str, tuple[str | None, str, float, float]] = {
    "start": ("starting", RUNNING, 2.0, 8.0),
    "stop": ("stopping", STOPPED, 2.0, 6.0),
    "suspend": ("suspending", SUSPENDED, 2.0, 5.0),
    "resume": ("resuming", RUNNING, 1.0, 3.0),
    "reset": ("resetting", RUNNING, 2.0, 6.0),
    "pause": (None, PAUSED, 0.0, 0.0),
}

# ----------------------------------------------------------------------------- catalogue of names

#: kind -> (weight, ((architecture, cpu model, logical cpus, memory MB), ...))
HOST_KINDS: dict[str, tuple[int, tuple[tuple[str, str, int, int], ...]]] = {
    "mac-mini": (5, (
        ("arm64", "Apple M2 Pro", 12, 32768),
        ("arm64", "Apple M4 Pro", 14, 65536),
        ("arm64", "Apple M1", 8, 16384),
        ("x86_64", "Intel(R) Core(TM) i7-8700B CPU @ 3.20GHz", 12, 65536),
    )),
    "mac-studio": (2, (
        ("arm64", "Apple M2 Max", 12, 65536),
        ("arm64", "Apple M2 Ultra", 24, 196608),
        ("arm64", "Apple M4 Max", 16, 131072),
    )),
    "macbook-pro": (2, (
        ("arm64", "Apple M3 Pro", 12, 36864),
        ("arm64", "Apple M1 Max", 10, 65536),
        ("x86_64", "Intel(R) Core(TM) i9-9980HK CPU @ 2.40GHz", 16, 32768),
    )),
    "mac-pro": (1, (
        ("x86_64", "Intel(R) Xeon(R) W-3245 CPU @ 3.20GHz", 32, 196608),
        ("arm64", "Apple M2 Ultra", 24, 196608),
    )),
}
HOST_DESCRIPTIONS = (
    "Build farm rack A", "Build farm rack B", "Build farm rack C", "CI runners", "iOS build pool",
    "QA lab", "Release signing", "Performance lab", "Windows test bench", "Spare capacity",
)
HOST_TAGS = ("ci", "build", "qa", "release", "ios", "windows", "linux", "perf", "spare", "rack-a", "rack-b")
MACOS_VERSIONS = ("14.7.2", "15.3.1", "15.4", "15.5")
DEVOPS_VERSIONS = ("0.9.12", "0.9.14", "0.9.15")
PARALLELS_VERSIONS = ("20.1.3-55743", "20.2.1-55876", "20.2.2-55879")
DISK_SIZES_MB = (512_000, 1_024_000, 2_048_000, 4_096_000)

#: (name pattern, Parallels OS, weight, vCPU choices, memory MB choices, disk GB choices)
VM_KINDS: tuple[tuple[str, str, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]], ...] = (
    ("ci-runner-ubuntu-{:02d}", "ubuntu", 4, (2, 4), (4096, 8192), (64, 128)),
    ("ubuntu-24.04-dev-{}", "ubuntu", 1, (4,), (8192,), (128,)),
    ("win11-build-{}", "win-11", 3, (4, 8), (8192, 16384), (128, 256)),
    ("win2022-sql-{}", "win-2022", 1, (4, 8), (16384,), (256,)),
    ("macos-sonoma-test-{}", MAC_OS, 1, (4, 6), (8192, 16384), (100, 200)),
    ("macos-sequoia-ci-{}", MAC_OS, 1, (4, 6), (8192, 16384), (100, 200)),
    ("debian-12-worker-{}", "debian", 2, (2, 4), (2048, 4096), (32, 64)),
    ("fedora-41-lab-{}", "fedora-core", 1, (2, 4), (4096,), (64,)),
    ("rhel-9-qa-{}", "redhat", 1, (2, 4), (4096, 8192), (64,)),
    ("centos-stream-9-{}", "centos", 1, (2,), (4096,), (64,)),
)
VM_DESCRIPTIONS = (
    "", "GitHub Actions runner", "Jenkins agent", "Nightly build", "QA regression suite",
    "Owned by the platform team", "Release validation", "Golden image - do not delete",
)
#: initial power states and their weights
INITIAL_STATES = ((RUNNING, 11), (STOPPED, 6), (SUSPENDED, 2), (PAUSED, 1))

CATALOG_ITEMS = (
    ("ubuntu-24.04", "arm64"), ("ubuntu-22.04", "x86_64"), ("windows-11-ent", "arm64"),
    ("macos-sequoia", "arm64"), ("macos-sonoma", "arm64"), ("debian-12", "arm64"), ("fedora-41", "x86_64"),
)
JOB_KINDS: dict[str, tuple[str, ...]] = {
    "catalog_pull": ("download manifest", "download layers", "unpack", "register vm"),
    "catalog_push": ("pack", "upload layers", "publish manifest"),
    "vm_clone": ("lock source", "clone disk", "register vm"),
    "vm_create": ("prepare", "create vm", "configure hardware"),
}
PROXY_ROUTES = ("jenkins.ci.internal", "grafana.ci.internal", "artifacts.ci.internal", "sonar.ci.internal")
USER_NAMES = ("alice", "bruno", "chen", "dara", "emeka", "fatima", "goran", "hana", "ivan", "jun")
SNAPSHOT_NAMES = ("before-upgrade", "clean-install", "pre-release", "nightly", "baseline")

HOST_LOG_LINES: dict[str, tuple[str, ...]] = {
    "info": (
        "[PDFM] {vm} is {state}",
        "[API] GET /api/v1/machines 200 ({ms} ms)",
        "[Catalog] manifest {catalog} is up to date",
        "[Health] health check ok ({ms} ms)",
        "[Orchestrator] resources refreshed",
    ),
    "warning": (
        "[Health] disk usage at {pct}%",
        "[API] slow request GET /api/v1/machines took {ms} ms",
        "[PDFM] prlctl took {seconds:.1f} s to answer",
    ),
    "error": (
        "[Catalog] pull of {catalog} failed: connection reset by peer",
        "[PDFM] failed to read the configuration of {vm}: timeout",
        "[API] POST /api/v1/machines 500 (internal error)",
    ),
}
LOG_LEVELS = (("info", 16), ("warning", 3), ("error", 1))
SYSTEM_LOG_LINES = (
    "[Orchestrator] polled {hosts} hosts in {ms} ms",
    "[Orchestrator] host {host} answered in {ms} ms",
    "[API] GET /api/v1/orchestrator/hosts 200 ({ms} ms)",
    "[Catalog] cache holds {items} items",
    "[Jobs] {jobs} jobs running",
)


# ----------------------------------------------------------------------------- state


@dataclass(slots=True)
class HostStats:
    """The agent process figures a host reports once a second; they drift smoothly."""

    cpu_percent: float
    cpu_base: float
    memory_bytes: float
    memory_base: float
    alloc_ratio: float
    goroutines: float
    cpu_user_seconds: float
    cpu_system_seconds: float


@dataclass(slots=True)
class SimVM:
    id: str
    name: str
    os: str
    state: str
    description: str
    cpus: int
    memory_mb: int
    disk_gb: int
    ip: str
    mac_address: str
    uptime: int = 0
    running_since: float | None = None
    busy: bool = False
    snapshots: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_mac(self) -> bool:
        return self.os == MAC_OS


@dataclass(slots=True)
class SimHost:
    id: str
    hostname: str
    description: str
    architecture: str
    cpu_model: str
    cpus: int
    memory_mb: int
    disk_mb: int
    free_disk_mb: int
    os_version: str
    devops_version: str
    parallels_version: str
    ip: str
    tags: list[str]
    phase: int
    stats: HostStats
    vm_target: int
    reverse_proxy: bool = False
    state: str = HEALTHY
    link: str = LINK_CONNECTED
    local: bool = False
    vms: dict[str, SimVM] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.hostname}:80/api"

    def vm_limits(self) -> tuple[int, int]:
        spread = max(1, self.vm_target // 2)
        return max(0, self.vm_target - spread), self.vm_target + spread


# ----------------------------------------------------------------------------- the world


class World:
    """A believable orchestrator with ``hosts`` Macs of about ``vms`` VMs each, driven by ``seed``.

    ``epoch`` (unix seconds) is the simulated clock's origin, used only for times inside bodies.
    """

    def __init__(self, hosts: int = 12, vms: int = 8, seed: int = 0, *, epoch: float = DEFAULT_EPOCH,
                 local_vms: int = 3) -> None:
        if hosts < 0 or vms < 0 or local_vms < 0:
            raise ValueError("hosts, vms and local_vms cannot be negative")
        self.seed = seed
        self._rng = random.Random(seed)
        self._epoch_ns = int(epoch * 1e9)
        self._tick = 0
        self._carry = 0.0
        self._timers: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
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
            self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        self._local = self._new_host(local_vms, hostname="orchestrator.local")
        self._local.local = True
        for host in self._hosts.values():
            if self._rng.random() < 0.08:
                host.state = UNHEALTHY
                self._after(self._rng.uniform(5, 60), self._recover_health, host.id)
        self._jobs: dict[str, dict[str, Any]] = {}
        self._cache: list[dict[str, Any]] = []
        self._proxy_routes: dict[str, str] = {route: "running" for route in PROXY_ROUTES[:2]}
        self._users_added = 0

    # ------------------------------------------------------------------ public

    @property
    def now(self) -> float:
        """Simulated seconds since the world began."""
        return self._tick * TICK

    def step(self, dt: float) -> list[Event]:
        """Advance ``dt`` simulated seconds (in whole ticks; the remainder carries over) and return the
        events that happened, in order, as (channel, message, body)."""
        if dt < 0:
            raise ValueError("time only moves forward")
        self._carry += dt
        ticks = int(self._carry / TICK + 1e-9)
        self._carry = max(0.0, self._carry - ticks * TICK)
        self._out = out = []
        for _ in range(ticks):
            self._advance()
        self._out = []
        return out

    def hosts_json(self) -> list[dict[str, Any]]:
        """``GET /api/v1/orchestrator/hosts``: every host record, as the server sends it."""
        return [self._host_record(host) for host in self._hosts.values()]

    def machines_json(self) -> list[dict[str, Any]]:
        """``GET /api/v1/orchestrator/machines``: every VM of every host, capitalised keys plus host fields."""
        return [self._vm_record(host, vm) for host in self._hosts.values() for vm in host.vms.values()]

    def host_links(self) -> dict[str, str]:
        """The orchestrator's link to each host: ``connected``, ``disconnected`` or ``degraded``."""
        return {host.id: host.link for host in self._hosts.values()}

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

    # ------------------------------------------------------------------ time and randomness

    def _time(self) -> str:
        return rfc3339_nano(self._epoch_ns + self._tick * 100_000_000)

    def _after(self, seconds: float, action: Callable[..., None], *args: Any) -> None:
        due = self._tick + max(1, round(seconds * TICKS_PER_SECOND))
        self._timer_seq += 1
        heapq.heappush(self._timers, (due, self._timer_seq, action, args))

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
        architecture, cpu_model, cpus, memory_mb = rng.choice(HOST_KINDS[kind][1])
        disk_mb = rng.choice(DISK_SIZES_MB)
        self._ip_counter += 1
        memory_base = rng.uniform(60e6, 180e6)
        cpu_base = rng.uniform(2.0, 12.0)
        host = SimHost(
            id=self._hex64(),
            hostname=hostname or f"{kind}-{self._next_number(kind):02d}.local",
            description=rng.choice(HOST_DESCRIPTIONS),
            architecture=architecture,
            cpu_model=cpu_model,
            cpus=cpus,
            memory_mb=memory_mb,
            disk_mb=disk_mb,
            free_disk_mb=int(disk_mb * rng.uniform(0.2, 0.7)),
            os_version=rng.choice(MACOS_VERSIONS),
            devops_version=rng.choice(DEVOPS_VERSIONS),
            parallels_version=rng.choice(PARALLELS_VERSIONS),
            ip=f"10.20.{self._ip_counter // 250}.{self._ip_counter % 250 + 2}",
            tags=sorted({*rng.sample(HOST_TAGS, rng.randint(1, 3)), architecture}),
            phase=rng.randrange(TICKS_PER_SECOND),
            stats=HostStats(
                cpu_percent=cpu_base, cpu_base=cpu_base, memory_bytes=memory_base, memory_base=memory_base,
                alloc_ratio=rng.uniform(0.35, 0.6), goroutines=rng.uniform(40, 90),
                cpu_user_seconds=rng.uniform(100, 50_000), cpu_system_seconds=rng.uniform(50, 20_000),
            ),
            vm_target=vms,
            reverse_proxy=rng.random() < 0.25,
        )
        for _ in range(vms):
            vm = self._new_vm(host, self._weighted(INITIAL_STATES))
            host.vms[vm.id] = vm
            self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        return host

    def _new_vm(self, host: SimHost, state: str) -> SimVM:
        rng = self._rng
        pattern, os_name, _, cpus, memory, disk = self._weighted([(kind, kind[2]) for kind in VM_KINDS])
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

    # ------------------------------------------------------------------ records

    def _host_record(self, host: SimHost) -> dict[str, Any]:
        in_use_cpus = sum(vm.cpus for vm in host.vms.values() if self._is_active(vm))
        in_use_memory = sum(vm.memory_mb for vm in host.vms.values() if self._is_active(vm))
        reserved = {"logical_cpu_count": 1, "memory_size": 2048, "disk_size": 20_480}
        total = {"logical_cpu_count": host.cpus, "memory_size": host.memory_mb, "disk_size": host.disk_mb}
        in_use = {"logical_cpu_count": in_use_cpus, "memory_size": in_use_memory,
                  "disk_size": host.disk_mb - host.free_disk_mb}
        available = {key: max(0, total[key] - in_use[key] - reserved[key]) for key in total}
        return {
            "id": host.id,
            "enabled": True,
            "host": host.url,
            "architecture": host.architecture,
            "cpu_model": host.cpu_model,
            "os_name": "macOS",
            "os_version": host.os_version,
            "external_ip_address": host.ip,
            "devops_version": host.devops_version,
            "description": host.description,
            "tags": list(host.tags),
            "state": host.state,
            "parallels_desktop_version": host.parallels_version,
            "parallels_desktop_licensed": True,
            "has_websocket_events": True,
            "is_reverse_proxy_enabled": host.reverse_proxy,
            "is_log_streaming_enabled": True,
            "enabled_modules": ["api", "host"] + (["reverse_proxy"] if host.reverse_proxy else []),
            "resources": {
                "logical_cpu_count": host.cpus,
                "memory_size": host.memory_mb,
                "disk_size": host.disk_mb,
                "free_disk_size": host.free_disk_mb,
                "total_apple_vms": sum(1 for vm in host.vms.values() if vm.is_mac),
                "mac_vms_running": len(self._running_macs(host)),
            },
            "detailed_resources": {
                "total": total,
                "total_in_use": in_use,
                "total_available": available,
                "system_reserved": reserved,
            },
        }

    def _vm_record(self, host: SimHost, vm: SimVM) -> dict[str, Any]:
        home = f"/Users/ci/Parallels/{vm.name}.pvm/"
        record: dict[str, Any] = {
            "ID": vm.id,
            "Name": vm.name,
            "Description": vm.description,
            "Type": "VM",
            "State": vm.state,
            "OS": vm.os,
            "Template": "no",
            "Uptime": str(vm.uptime),
            "Home path": home + "config.pvs",
            "Home": home,
            "user": "ci",
            "GuestTools": {"state": "installed", "version": host.parallels_version},
            "Hardware": {
                "cpu": {"cpus": vm.cpus, "auto": "off", "VT-x": True, "hotplug": False, "mode": "64",
                        "type": host.architecture},
                "memory": {"size": f"{vm.memory_mb}Mb", "auto": "off", "hotplug": False},
                "hdd0": {"enabled": True, "port": "sata:0", "image": home + "harddisk.hdd", "type": "expanded",
                         "size": f"{vm.disk_gb * 1024}Mb"},
                "net0": {"enabled": True, "type": "shared", "mac": vm.mac_address, "card": "virtio"},
            },
            "Network": {"ipAddresses": [{"type": "ipv4", "ip": vm.ip}]},
            "internal_ip_address": vm.ip,
        }
        if not host.local:
            record.update(host_id=host.id, host_name=host.hostname, host_state=host.state,
                          host_external_ip_address=host.ip)
        return record

    # ------------------------------------------------------------------ queries

    @staticmethod
    def _is_active(vm: SimVM) -> bool:
        """Holding the host's resources: anything but stopped or suspended."""
        return vm.state not in (STOPPED, SUSPENDED)

    def _active_macs(self, host: SimHost, excluding: SimVM | None = None) -> int:
        return sum(1 for vm in host.vms.values() if vm.is_mac and vm is not excluding and self._is_active(vm))

    @staticmethod
    def _running_macs(host: SimHost) -> list[str]:
        return [vm.id for vm in host.vms.values() if vm.is_mac and vm.state == RUNNING]

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

    def _report_mac_vms(self, host: SimHost) -> None:
        running = {"mac_vms_running": self._running_macs(host)}
        if host.local:
            self._emit("pdfm", "MAC_VMS_RUNNING_NOW", running)
        else:
            self._emit("orchestrator", "HOST_MAC_VMS_RUNNING_NOW", {"host_id": host.id, "event": running})

    def _host_event(self, message: str, subject: SimHost, **fields: Any) -> None:
        self._emit("orchestrator", message, {"host_id": subject.id, **fields})

    # ------------------------------------------------------------------ one tick

    def _advance(self) -> None:
        self._tick += 1
        while self._timers and self._timers[0][0] <= self._tick:
            _, _, action, args = heapq.heappop(self._timers)
            action(*args)
        phase = self._tick % TICKS_PER_SECOND
        for host in self._hosts.values():
            if host.phase == phase and host.link != LINK_DISCONNECTED:
                self._host_event("HOST_STATS_UPDATE", host, stats=self._next_stats(host))
        if phase == self._local.phase:
            self._emit("stats", "System Stats", self._next_stats(self._local))
        self._spontaneous()

    def _spontaneous(self) -> None:
        vms = self._vm_count()
        hosts = len(self._hosts)
        self._repeat(VM_ACTIVITY * vms, self._power_action)
        self._repeat(UPTIME_REPORT * vms, self._report_uptime)
        self._repeat(VM_UPDATE * vms, self._update_vm)
        self._repeat(VM_SNAPSHOT * vms, self._snapshot_vm)
        self._repeat(VM_ADD * (hosts + 1), self._add_vm)
        self._repeat(VM_REMOVE * (hosts + 1), self._remove_vm)
        self._repeat(HEALTH_FLAP * hosts, self._flap_health)
        self._repeat(LINK_DROP * hosts, self._drop_link)
        self._repeat(HOST_LOG * hosts, self._host_log)
        self._repeat(HOST_CATALOG * hosts, self._host_catalog)
        self._repeat(HOST_PROXY * hosts, self._host_proxy)
        self._repeat(HOST_ADD, self._add_host)
        self._repeat(HOST_REMOVE, self._remove_host)
        self._repeat(SYSTEM_LOG, self._system_log)
        self._repeat(DISK_SPACE, self._disk_space)
        self._repeat(JOB_START, self._start_job)
        self._repeat(CACHE_ITEM, self._cache_item)
        self._repeat(PROXY_ROUTE, self._proxy_route)
        self._repeat(USER_ADD, self._add_user)

    # ------------------------------------------------------------------ stats

    def _next_stats(self, host: SimHost) -> dict[str, Any]:
        """Drift the host's figures by one second and return them as the ``stats`` object."""
        rng = self._rng
        s = host.stats
        active = sum(1 for vm in host.vms.values() if self._is_active(vm))
        target = min(95.0, s.cpu_base + 3.0 * active)
        s.cpu_percent = min(100.0, max(0.5, s.cpu_percent + 0.3 * (target - s.cpu_percent) + rng.gauss(0, 2.5)))
        s.memory_bytes = max(20e6, s.memory_bytes + 0.05 * (s.memory_base - s.memory_bytes) + rng.gauss(0, 1.5e6))
        s.alloc_ratio = min(0.8, max(0.2, s.alloc_ratio + rng.gauss(0, 0.02)))
        s.goroutines = max(12.0, s.goroutines + 0.2 * (50 + 4 * active - s.goroutines) + rng.gauss(0, 2))
        s.cpu_user_seconds += s.cpu_percent / 100 * 0.7
        s.cpu_system_seconds += s.cpu_percent / 100 * 0.3
        return {
            "cpu_percent": round(s.cpu_percent, 2),
            "memory_bytes": int(s.memory_bytes),
            "memory_alloc_bytes": int(s.memory_bytes * s.alloc_ratio),
            "goroutines": int(s.goroutines),
            "cpu_user_seconds": round(s.cpu_user_seconds, 2),
            "cpu_system_seconds": round(s.cpu_system_seconds, 2),
        }

    # ------------------------------------------------------------------ VM power

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
        transitional, final, shortest, longest = TRANSITIONS[action]
        if transitional is None:
            self._set_state(host, vm, final)
            return
        self._set_state(host, vm, transitional)
        vm.busy = True
        self._after(self._rng.uniform(shortest, longest), self._finish_action, host.id, vm.id, action)

    def _finish_action(self, host_id: str, vm_id: str, action: str) -> None:
        host = self._find_host(host_id)
        vm = host.vms.get(vm_id) if host else None
        if host is None or vm is None:
            return
        if host.link == LINK_DISCONNECTED:  # the orchestrator hears of it once the link is back
            self._after(1.0, self._finish_action, host_id, vm_id, action)
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
        self._vm_event(host, "UPDATED", {"vm_id": vm.id, "new_vm": self._vm_record(host, vm)})

    def _snapshot_vm(self) -> None:
        picked = self._random_vm()
        if picked is None:
            return
        host, vm = picked
        for snapshot in vm.snapshots:
            snapshot["current"] = False
        vm.snapshots.append({"id": "{" + self._uuid() + "}", "name": self._rng.choice(SNAPSHOT_NAMES),
                             "date": self._time(), "current": True})
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
        self._vm_event(host, "ADDED", {"vm_id": vm.id, "new_vm": self._vm_record(host, vm)})

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

    # ------------------------------------------------------------------ hosts

    def _random_host(self, reachable: bool = False) -> SimHost | None:
        hosts = self._reachable_hosts() if reachable else list(self._hosts.values())
        return self._rng.choice(hosts) if hosts else None

    def _flap_health(self) -> None:
        host = self._random_host()
        if host is None or host.state != HEALTHY:
            return
        host.state = UNHEALTHY
        self._host_event("HOST_HEALTH_UPDATE", host, state=UNHEALTHY)
        if host.link == LINK_CONNECTED and self._rng.random() < 0.5:
            host.link = LINK_DEGRADED
            self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
            self._host_event("HOST_WEBSOCKET_DEGRADED", host, state=UNHEALTHY)
        self._after(self._rng.uniform(8, 90), self._recover_health, host.id)

    def _recover_health(self, host_id: str) -> None:
        host = self._hosts.get(host_id)
        if host is None or host.state == HEALTHY:
            return
        host.state = HEALTHY
        self._host_event("HOST_HEALTH_UPDATE", host, state=HEALTHY)
        if host.link == LINK_DEGRADED:
            host.link = LINK_CONNECTED
            self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
            self._host_event("HOST_WEBSOCKET_CONNECTED", host, state="websocket_connected")

    def _drop_link(self) -> None:
        host = self._random_host(reachable=True)
        if host is None:
            return
        host.link = LINK_DISCONNECTED
        self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        self._host_event("HOST_WEBSOCKET_DISCONNECTED", host, state="websocket_disconnected")
        self._after(self._rng.uniform(3, 30), self._restore_link, host.id)

    def _restore_link(self, host_id: str) -> None:
        host = self._hosts.get(host_id)
        if host is None or host.link != LINK_DISCONNECTED:
            return
        host.link = LINK_CONNECTED
        self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        self._host_event("HOST_WEBSOCKET_CONNECTED", host, state="websocket_connected")

    def _host_log(self) -> None:
        host = self._random_host(reachable=True)
        if host is None:
            return
        rng = self._rng
        level = self._weighted(LOG_LEVELS)
        vm = rng.choice(list(host.vms.values())) if host.vms else None
        message = rng.choice(HOST_LOG_LINES[level]).format(
            vm=vm.name if vm else "a vm", state=vm.state if vm else "unknown", ms=rng.randint(2, 900),
            pct=rng.randint(80, 97), seconds=rng.uniform(2, 15), catalog=rng.choice(CATALOG_ITEMS)[0],
        )
        self._host_event("HOST_LOGS_UPDATE", host, log={"level": level, "message": message, "time": self._time()})

    def _host_catalog(self) -> None:
        host = self._random_host(reachable=True)
        if host is None:
            return
        catalog_id, architecture = self._rng.choice(CATALOG_ITEMS)
        event = {"catalog_id": catalog_id, "version": f"v{self._rng.randint(1, 9)}", "architecture": architecture,
                 "state": self._rng.choice(("cached", "pulling", "evicted"))}
        self._host_event("HOST_CATALOG_CACHE_EVENT", host, event=event)

    def _host_proxy(self) -> None:
        host = self._random_host(reachable=True)
        if host is None:
            return
        host.reverse_proxy = not host.reverse_proxy
        self._host_event("HOST_REVERSE_PROXY_UPDATED", host, event={"enabled": host.reverse_proxy})

    def _add_host(self) -> None:
        if len(self._hosts) >= self._host_limits[1]:
            return
        host = self._new_host(self._vms_per_host)
        self._hosts[host.id] = host
        self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        self._host_event("HOST_ADDED", host, host=host.url, description=host.description)
        self._host_event("HOST_HEALTH_UPDATE", host, state=host.state)
        self._host_event("HOST_WEBSOCKET_CONNECTED", host, state="websocket_connected")
        for vm in host.vms.values():
            self._vm_event(host, "ADDED", {"vm_id": vm.id, "new_vm": self._vm_record(host, vm)})
        if self._running_macs(host):
            self._report_mac_vms(host)

    def _remove_host(self) -> None:
        if len(self._hosts) <= self._host_limits[0]:
            return
        host = self._random_host()
        if host is None:
            return
        del self._hosts[host.id]
        self._pairs = None  # the (host, VM) pairs _random_vm picks from changed
        self._host_event("HOST_REMOVED", host, host=host.url)

    # ------------------------------------------------------------------ the server's own channels

    def _system_log(self) -> None:
        rng = self._rng
        hosts = list(self._hosts.values())
        message = rng.choice(SYSTEM_LOG_LINES).format(
            hosts=len(hosts), ms=rng.randint(3, 400), host=rng.choice(hosts).hostname if hosts else "none",
            items=len(self._cache), jobs=len(self._jobs),
        )
        level = self._weighted(LOG_LEVELS)
        self._emit("system_logs", "System Log", {"level": level, "message": message, "time": self._time()})

    def _disk_space(self) -> None:
        local = self._local
        local.free_disk_mb = max(10_000, local.free_disk_mb + self._rng.randint(-4_000, 3_000))
        self._emit("stats", "DISK_SPACE_CHANGED", {
            "cache_folder": f"{local.free_disk_mb} MB",
            "parallels_home": f"{local.free_disk_mb} MB",
        })

    def _start_job(self) -> None:
        kind = self._rng.choice(list(JOB_KINDS))
        now = self._time()
        job = {
            "id": self._uuid(),
            "owner": "admin@example.com",
            "type": kind,
            "state": "pending",
            "progress": 0,
            "message": "queued",
            "steps": [{"name": name, "state": "pending", "progress": 0} for name in JOB_KINDS[kind]],
            "created_at": now,
            "updated_at": now,
        }
        self._jobs[job["id"]] = job
        self._emit("job_manager", "JOB_CREATED", _copy_job(job))
        self._after(self._rng.uniform(1, 3), self._advance_job, job["id"])

    def _advance_job(self, job_id: str) -> None:
        job = self._jobs[job_id]
        rng = self._rng
        steps = job["steps"]
        job["progress"] = min(100, job["progress"] + rng.randint(10, 35))
        job["updated_at"] = self._time()
        done = job["progress"] * len(steps) // 100
        for index, step in enumerate(steps):
            step["state"] = "completed" if index < done else "running" if index == done else "pending"
            step["progress"] = 100 if index < done else job["progress"] if index == done else 0
        failed = job["progress"] < 100 and rng.random() < 0.03
        if failed:
            job.update(state="failed", message=f"{steps[min(done, len(steps) - 1)]['name']} failed: timeout")
        elif job["progress"] >= 100:
            job.update(state="completed", message="done")
        else:
            job.update(state="running", message=steps[done]["name"])
        self._emit("job_manager", "JOB_UPDATED", _copy_job(job))
        if job["state"] == "running":
            self._after(rng.uniform(1, 3), self._advance_job, job_id)
        else:
            del self._jobs[job_id]

    def _cache_item(self) -> None:
        rng = self._rng
        if len(self._cache) >= 6 or (self._cache and rng.random() < 0.3):
            item = self._cache.pop(rng.randrange(len(self._cache)))
            self._emit("catalog_cache", "CACHE_ITEM_REMOVED", dict(item))
            return
        catalog_id, architecture = rng.choice(CATALOG_ITEMS)
        item = {"catalog_id": catalog_id, "version": f"v{rng.randint(1, 9)}", "architecture": architecture,
                "size": rng.randint(2_000, 60_000), "cached_at": self._time()}
        self._cache.append(item)
        self._emit("catalog_cache", "CACHE_ITEM_ADDED", dict(item))

    def _proxy_route(self) -> None:
        route = self._rng.choice(PROXY_ROUTES)
        state = "stopped" if self._proxy_routes.get(route) == "running" else "running"
        self._proxy_routes[route] = state
        self._emit("reverse_proxy", "REVERSE_PROXY_HOST_STATE_CHANGED",
                   {"host": route, "port": "443", "state": state})

    def _add_user(self) -> None:
        self._users_added += 1
        name = USER_NAMES[(self._users_added - 1) % len(USER_NAMES)]
        if self._users_added > len(USER_NAMES):
            name += str((self._users_added - 1) // len(USER_NAMES) + 1)
        self._emit("auth", "USER_ADDED", {"id": self._uuid(), "username": name, "name": name.capitalize(),
                                          "email": f"{name}@example.com"})

    # ------------------------------------------------------------------ load

    def _flood_cycle(self, host: SimHost, vm: SimVM) -> list[Event]:
        """State changes that take ``vm`` round from its state back to it."""
        paths = {
            RUNNING: (RUNNING, "stopping", STOPPED, "starting", RUNNING),
            STOPPED: (STOPPED, "starting", RUNNING, "stopping", STOPPED),
            SUSPENDED: (SUSPENDED, "resuming", RUNNING, "suspending", SUSPENDED),
            PAUSED: (PAUSED, "resuming", RUNNING, PAUSED),
        }
        path = paths[vm.state]
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
            "cpu_user_seconds": round(s.cpu_user_seconds, 2),
            "cpu_system_seconds": round(s.cpu_system_seconds, 2),
        }
        return "orchestrator", "HOST_STATS_UPDATE", {"host_id": host.id, "stats": stats}


def _copy_job(job: dict[str, Any]) -> dict[str, Any]:
    return {**job, "steps": [dict(step) for step in job["steps"]]}
