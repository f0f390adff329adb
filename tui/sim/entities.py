"""The simulated world's state: hosts, their VMs, and the figures a host's DevOps service reports of itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .catalogue import HEALTHY, LINK_CONNECTED, MAC_OS


@dataclass(slots=True)
class ServiceStats:
    """The DevOps service process's own figures (its "System Stats"), which drift smoothly."""

    cpu_percent: float
    cpu_base: float
    memory_bytes: float
    memory_base: float
    alloc_ratio: float
    goroutines: float
    goroutines_smoothed: float
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
    cores: int
    cpus: int
    memory_mb: int
    disk_mb: int
    free_disk_mb: int
    os_version: str
    devops_version: str
    parallels_version: str
    ip: str
    tags: list[str]
    #: the tick (within the stats period) this host's stats go out on, so hosts do not all report at once
    phase: int
    #: the tick (within the health period) of its health check
    health_phase: int
    stats: ServiceStats
    vm_target: int
    reverse_proxy: bool = False
    required_claims: list[str] = field(default_factory=list)
    required_roles: list[str] = field(default_factory=list)
    cache_items: list[dict[str, Any]] = field(default_factory=list)
    state: str = HEALTHY
    link: str = LINK_CONNECTED
    local: bool = False
    vms: dict[str, SimVM] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.hostname}:80/api"

    @property
    def name(self) -> str:
        """What the orchestrator calls the host in VM listings: its description, else its URL."""
        return self.description or self.url

    def vm_limits(self) -> tuple[int, int]:
        spread = max(1, self.vm_target // 2)
        return max(0, self.vm_target - spread), self.vm_target + spread


class RequestError(Exception):
    """A request the world refuses: ``code`` is the HTTP status the server would answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
