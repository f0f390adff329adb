"""What hosts do, as the orchestrator forwards it: health and link changes, logs, free disk space, catalog cache
and reverse proxy events (each carrying the host's own whole event message), deployments, hosts coming and
going. A part of :class:`~tui.sim.world.World`, which it is mixed into."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .catalogue import (
    CACHE_TYPES,
    CATALOG_ITEMS,
    HEALTH_FLAP,
    HEALTHY,
    HOST_ADD,
    HOST_CATALOG,
    HOST_DEPLOY,
    HOST_DISK,
    HOST_LOG,
    HOST_LOG_LINES,
    HOST_PROXY,
    HOST_REMOVE,
    LINK_CONNECTED,
    LINK_DEGRADED,
    LINK_DISCONNECTED,
    LINK_DROP,
    LOG_LEVELS,
    UNHEALTHY,
)
from .entities import SimHost
from .records import running_macs, vm_record
from .wire import event_message

if TYPE_CHECKING:
    from .world import World as _Base
else:
    _Base = object


class FleetActivity(_Base):
    def _fleet_activity(self, hosts: int) -> None:
        self._repeat(HEALTH_FLAP * hosts, self._flap_health)
        self._repeat(LINK_DROP * hosts, self._drop_link)
        self._repeat(HOST_LOG * hosts, self._host_log)
        self._repeat(HOST_DISK * hosts, self._host_disk)
        self._repeat(HOST_CATALOG * hosts, self._host_catalog)
        self._repeat(HOST_PROXY * hosts, self._host_proxy)
        self._repeat(HOST_ADD, self._add_host)
        self._repeat(HOST_REMOVE, self._remove_host)
        self._repeat(HOST_DEPLOY, self._deploy_host)

    def _random_host(self, reachable: bool = False) -> SimHost | None:
        hosts = self._reachable_hosts() if reachable else list(self._hosts.values())
        return self._rng.choice(hosts) if hosts else None

    def _nested(self, channel: str, message: str, body: Any) -> dict[str, Any]:
        """The host's own event message, as the orchestrator wraps it whole into its ``event``."""
        return event_message(self._hex64(), channel, message, body, self._time())

    # ------------------------------------------------------------------ health and link

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

    # ------------------------------------------------------------------ what a host tells

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

    def _host_disk(self) -> None:
        """The host's free disk space moved: its stats channel says so, and the orchestrator forwards that too
        as a HOST_STATS_UPDATE (a disk-space body, told apart from "System Stats" by its keys)."""
        host = self._random_host(reachable=True)
        if host is None:
            return
        host.free_disk_mb = min(host.disk_mb, max(10_000, host.free_disk_mb + self._rng.randint(-8_000, 6_000)))
        self._host_event("HOST_STATS_UPDATE", host, stats=self._disk_body(host))

    @staticmethod
    def _disk_body(host: SimHost) -> dict[str, Any]:
        """``DISK_SPACE_CHANGED``: free MB where the catalog cache and Parallels' VMs live."""
        return {"cache_folder_size": host.free_disk_mb, "parallels_home_size": host.free_disk_mb,
                "prl_home_path": "/Users/ci/Parallels"}

    def _cache_entry(self) -> dict[str, Any]:
        catalog_id, architecture = self._rng.choice(CATALOG_ITEMS)
        return {"catalog_id": catalog_id, "version": f"v{self._rng.randint(1, 9)}", "architecture": architecture,
                "cache_size": self._rng.randint(2_000, 60_000), "cache_type": self._rng.choice(CACHE_TYPES),
                "cached_date": self._time()}

    def _host_catalog(self) -> None:
        host = self._random_host(reachable=True)
        if host is None:
            return
        if host.cache_items and (len(host.cache_items) >= 4 or self._rng.random() < 0.35):
            item = host.cache_items.pop(self._rng.randrange(len(host.cache_items)))
            body = {key: item[key] for key in ("catalog_id", "version", "architecture")}
            event = self._nested("catalog_cache", "CACHE_ITEM_REMOVED", body)
        else:
            item = self._cache_entry()
            host.cache_items.append(item)
            event = self._nested("catalog_cache", "CACHE_ITEM_ADDED", dict(item))
        self._host_event("HOST_CATALOG_CACHE_EVENT", host, event=event)

    def _host_proxy(self) -> None:
        host = self._random_host(reachable=True)
        if host is None:
            return
        host.reverse_proxy = not host.reverse_proxy
        body = {"enabled": host.reverse_proxy, "state": "started" if host.reverse_proxy else "stopped"}
        self._host_event("HOST_REVERSE_PROXY_UPDATED", host,
                         event=self._nested("reverse_proxy", "REVERSE_PROXY_STATE_CHANGED", body))

    # ------------------------------------------------------------------ hosts coming and going

    def _deploy_host(self) -> None:
        host = self._random_host(reachable=True)
        if host is None:
            return
        self._host_event("HOST_DEPLOYED", host, host=host.url,
                         message=f"DevOps service {host.devops_version} deployed to {host.hostname}")

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
            self._vm_event(host, "ADDED", {"vm_id": vm.id, "new_vm": vm_record(host, vm, listing=False)})
        if running_macs(host):
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
