"""What the simulated fleet is made of: kinds of Macs and VMs, names, log lines, and how often things happen.

Plain data, no logic. Rates are per simulated second; the cadences (stats every 5 s, health every 30 s) are
the real server's own ticks.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------- states

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

# ----------------------------------------------------------------------------- cadences (the server's ticks)

#: a host's stats service sends "System Stats" on this tick; the orchestrator forwards each as HOST_STATS_UPDATE
STATS_PERIOD = 5.0
#: the orchestrator's health check tick: HOST_HEALTH_UPDATE goes out on every tick, changed or not
HEALTH_PERIOD = 30.0

# ----------------------------------------------------------------------------- rates (per simulated second)

VM_ACTIVITY = 0.03  # per VM: how often a VM is considered for a power action
UPTIME_REPORT = 1 / 60  # per VM (only running ones report)
VM_UPDATE = 1 / 3000  # per VM
VM_SNAPSHOT = 1 / 4000  # per VM
VM_ADD = 1 / 600  # per host
VM_REMOVE = 1 / 600  # per host
VM_BURST = 1 / 900  # per host: its VM cache disagreed with reality, so it re-announces every VM
HEALTH_FLAP = 1 / 500  # per host
LINK_DROP = 1 / 700  # per host
HOST_LOG = 1 / 15  # per host
HOST_DISK = 1 / 120  # per host: a disk-space body on the host's stats channel
HOST_CATALOG = 1 / 300  # per host
HOST_PROXY = 1 / 900  # per host
HOST_ADD = 1 / 240
HOST_REMOVE = 1 / 240
HOST_DEPLOY = 1 / 600
SYSTEM_LOG = 0.4
DISK_SPACE = 1 / 60
JOB_START = 1 / 45
CACHE_ITEM = 1 / 60
PROXY_EVENT = 1 / 30
AUTH_EVENT = 1 / 60

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

#: a power request through the REST API (``PUT .../machines/{id}/{operation}``): the action it takes from
#: each state it is allowed in; ``restart`` is a reset as far as the states go
REQUESTS: dict[str, dict[str, str]] = {
    "start": {STOPPED: "start", SUSPENDED: "resume", PAUSED: "resume"},
    "stop": {RUNNING: "stop", PAUSED: "stop", SUSPENDED: "stop"},
    "restart": {RUNNING: "reset"},
    "reset": {RUNNING: "reset"},
    "suspend": {RUNNING: "suspend"},
    "resume": {SUSPENDED: "resume", PAUSED: "resume"},
    "pause": {RUNNING: "pause"},
}

# ----------------------------------------------------------------------------- hosts

#: kind -> (weight, ((architecture, cpu model, physical cores, logical cpus, memory MB), ...))
HOST_KINDS: dict[str, tuple[int, tuple[tuple[str, str, int, int, int], ...]]] = {
    "mac-mini": (5, (
        ("arm64", "Apple M2 Pro", 12, 12, 32768),
        ("arm64", "Apple M4 Pro", 14, 14, 65536),
        ("arm64", "Apple M1", 8, 8, 16384),
        ("x86_64", "Intel(R) Core(TM) i7-8700B CPU @ 3.20GHz", 6, 12, 65536),
    )),
    "mac-studio": (2, (
        ("arm64", "Apple M2 Max", 12, 12, 65536),
        ("arm64", "Apple M2 Ultra", 24, 24, 196608),
        ("arm64", "Apple M4 Max", 16, 16, 131072),
    )),
    "macbook-pro": (2, (
        ("arm64", "Apple M3 Pro", 12, 12, 36864),
        ("arm64", "Apple M1 Max", 10, 10, 65536),
        ("x86_64", "Intel(R) Core(TM) i9-9980HK CPU @ 2.40GHz", 8, 16, 32768),
    )),
    "mac-pro": (1, (
        ("x86_64", "Intel(R) Xeon(R) W-3245 CPU @ 3.20GHz", 16, 32, 196608),
        ("arm64", "Apple M2 Ultra", 24, 24, 196608),
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
ENABLED_MODULES = ("api", "host", "catalog")
#: claims and roles a host may require of the users who reach it through the orchestrator
REQUIRED_CLAIMS = ("LIST_VM", "UPDATE_VM", "CREATE_VM")
REQUIRED_ROLES = ("SUPER_USER", "CI_OPERATOR")

# ----------------------------------------------------------------------------- VMs

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
SNAPSHOT_NAMES = ("before-upgrade", "clean-install", "pre-release", "nightly", "baseline")

# ----------------------------------------------------------------------------- the server's own affairs

#: (catalog id, architecture) of what hosts cache; a cached item is ``catalog_id`` at a ``version``
CATALOG_ITEMS = (
    ("ubuntu-24.04", "arm64"), ("ubuntu-22.04", "x86_64"), ("windows-11-ent", "arm64"),
    ("macos-sequoia", "arm64"), ("macos-sonoma", "arm64"), ("debian-12", "arm64"), ("fedora-41", "x86_64"),
)
CACHE_TYPES = ("pvm", "macvm")
#: job type -> (operation, its steps)
JOB_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "catalog": ("pull", ("validate", "download", "decompress", "register")),
    "catalog_push": ("push", ("pack", "upload", "publish")),
    "virtual_machine": ("clone", ("lock_source", "clone_disk", "register")),
    "vm_create": ("create", ("prepare", "create_vm", "configure_hardware")),
}
USER_NAMES = ("alice", "bruno", "chen", "dara", "emeka", "fatima", "goran", "hana", "ivan", "jun")
ROLE_NAMES = ("SUPER_USER", "CI_OPERATOR", "READ_ONLY", "RELEASE_MANAGER")
CLAIM_NAMES = ("LIST_VM", "UPDATE_VM", "CREATE_VM", "DELETE_VM", "LIST_CATALOG", "PULL_CATALOG")
PROXY_ROUTES = ("jenkins.ci.internal", "grafana.ci.internal", "artifacts.ci.internal", "sonar.ci.internal")
PROXY_PATHS = ("/", "/api/health", "/artifacts/latest", "/job/nightly/build", "/login")

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
