"""Details of the selected host or VM: identity, health, link, resources, sparklines, recent logs/events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...model.cluster import Cluster
from ...model.describe import (
    LINK_SYMBOL,
    ago,
    health_badge,
    human_bytes,
    human_duration,
    human_mib,
    vm_badge,
    vm_summary,
)
from ...model.entities import Host
from ...protocol.models import drawable_stats
from ...protocol.text import clean
from ..safe import plain

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Iterable[float], width: int = 40) -> str:
    data = list(values)[-width:]
    if not data:
        return "no data yet"
    lo, hi = min(data), max(data)
    span = (hi - lo) or 1.0
    return "".join(SPARK[min(7, int((v - lo) / span * 7.999))] for v in data)


def _fields(rows: list[tuple[str, str | Text]]) -> Table:
    """Name/value rows. A ``str`` cell would be parsed as markup by Rich: every value goes in as plain text."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(Text(name), value if isinstance(value, Text) else plain(value))
    return table


def _clock(ts: float | None, now: float) -> str:
    if ts is None:
        return "-"
    return f"{datetime.fromtimestamp(ts).strftime('%H:%M:%S')} ({ago(ts, now)})"


def _number(value: object, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, int | float) else "-"


def host_renderable(host: Host, now: float) -> Group:
    """Live state first (health, link, VMs, last heard, the service's figures), then the host's facts, then
    its log."""
    rec = host.record
    res = rec.resources if rec is not None else None
    link = host.link
    unsure = [vm.label for vm in host.vms.values() if vm.unsure]
    live: list[tuple[str, str | Text]] = [
        ("health", health_badge(host.health) + ("  (its record's state could not be read)"
                                                if host.health_unreadable else "")),
        ("link", f"{LINK_SYMBOL.get(link, '?')} {link}"),
        ("VMs", vm_summary(host)),
        ("last heard", _clock(host.last_heard, now)),
    ]
    if unsure:
        live.append(("unsure", f"{', '.join(unsure[:4])}{' …' if len(unsure) > 4 else ''}: resyncing"))
    stats = drawable_stats(host.stats)  # as sent: JSON allows inf, NaN and integers past a float's range
    if host.cpu_history or host.mem_history:
        cpu = stats.get("cpu_percent")
        mem = stats.get("memory_bytes")
        cpu_now = f"{cpu:.0f}%" if isinstance(cpu, int | float) else "-"
        mem_now = human_bytes(mem) if isinstance(mem, int | float) else "-"
        # HOST_STATS_UPDATE carries the DevOps service process's own figures, not the Mac's
        live += [
            ("service cpu", f"{sparkline(host.cpu_history)} {cpu_now}"),
            ("service mem", f"{sparkline(host.mem_history)} {mem_now}"),
        ]
    facts: list[tuple[str, str | Text]] = [
        ("hostname", host.hostname or "-"),
        ("description", host.description or "-"),
        ("id", host.id),
    ]
    if rec is not None:
        facts += [
            ("devops", rec.devops_version or "-"),
            ("parallels", rec.parallels_desktop_version or "-"),
            ("os", f"{rec.os_name} {rec.os_version}".strip() or "-"),
            ("arch", f"{rec.architecture or '-'}  {rec.cpu_model}".rstrip()),
        ]
        if rec.tags:
            facts.append(("tags", ", ".join(rec.tags)))
    if res is not None:
        facts += [
            ("cpus", f"{_number(res.logical_cpu_count, '.0f')} logical"),
            ("memory", human_mib(res.memory_size)),
            ("disk", f"{human_mib(res.free_disk_size)} free of {human_mib(res.disk_size)}"),
        ]
    disk = drawable_stats(host.disk)
    if disk:
        sizes = [f"{name.removesuffix('_size').replace('_', ' ')} {human_mib(disk[name])}"
                 for name in ("cache_folder_size", "parallels_home_size", "given_path_size")
                 if isinstance(disk.get(name), int | float)]
        facts.append(("disk use", "  ".join(sizes) or "-"))
    if host.mac_vms_running is not None:
        names = [host.vms[v].label if v in host.vms else v[:8] for v in host.mac_vms_running]
        facts.append(("macOS VMs", f"{len(names)} running" + (f": {', '.join(names[:4])}" if names else "")))
    if host.problems:
        facts.append(("unreadable", ", ".join(host.problems) + " (left out)"))
    if host.placeholder:
        facts.append(("note", "known only from its VMs in the listing"))
    parts: list = [plain(host.label, "bold underline"), _fields(live + facts)]
    extra = [f"{k} {v}" for k, v in stats.items() if k not in ("cpu_percent", "memory_bytes")][:4]
    if extra:
        parts.append(plain("service: " + "  ".join(extra), "dim"))
    if host.logs:
        parts.append(Text("\nrecent log", style="bold"))
        for ts, level, message in list(host.logs)[-8:]:
            line = Text(datetime.fromtimestamp(ts).strftime("%H:%M:%S "), style="dim")
            line.append(f"{clean(level, 12):<5} ", style="bold" if level in ("error", "warn", "warning") else "")
            line.append(clean(message))
            parts.append(line)
    return Group(*parts)


def vm_renderable(cluster: Cluster, host_id: str, vm_id: str, now: float) -> Group:
    host = cluster.hosts.get(host_id)
    vm = host.vms.get(vm_id) if host is not None else None
    if host is None or vm is None:
        return Group(Text("this VM is gone", style="italic"))
    rows: list[tuple[str, str | Text]] = [
        ("name", vm.name or "-"),
        ("id", vm.id),
        ("host", host.label),
        ("os", vm.os or "-"),
        ("state", vm_badge(vm.state) + ("  (unsure: events missing; resyncing)" if vm.unsure else "")),
        ("previous", vm.previous_state or "-"),
        ("uptime", human_duration(vm.uptime)),
        # when hubtop learned the state: for a state from the first listing, that is not when it began
        ("changed", _clock(vm.last_change, now) if vm.last_change is not None else "before hubtop started"),
    ]
    if vm.ip:
        rows.append(("ip", vm.ip))
    if vm.snapshots is not None:
        rows.append(("snapshots", str(vm.snapshots)))
    if vm.description:
        rows.append(("description", vm.description))
    parts: list = [plain(vm.label, "bold underline"), _fields(rows)]
    if vm.events:
        parts.append(Text("\nrecent events", style="bold"))
        for ts, what in list(vm.events)[-10:]:
            line = Text(datetime.fromtimestamp(ts).strftime("%H:%M:%S "), style="dim")
            line.append(clean(what))
            parts.append(line)
    return Group(*parts)


class HostDetails(VerticalScroll):
    """Scrollable details pane. The app calls :meth:`show_key` under the feed lock."""

    DEFAULT_CLASSES = "details"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key: tuple[str, str, str] | None = None
        self._body = Static("Select a host or VM", markup=False)

    def compose(self):
        yield self._body

    def show_key(self, cluster: Cluster, key: tuple[str, str, str] | None, now: float) -> None:
        """Render the details of ``key`` from the model (the renderables are copies). Inside ``Monitor.read``."""
        self.key = key
        if key is None:
            self._body.update(Text("Select a host or VM", style="italic"))
            return
        kind, hid, vid = key
        if kind == "h":
            host = cluster.hosts.get(hid)
            self._body.update(host_renderable(host, now) if host else Text("this host is gone", style="italic"))
        else:
            self._body.update(vm_renderable(cluster, hid, vid, now))
