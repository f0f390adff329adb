"""Details of the selected host or VM: identity, health, link, resources, sparklines, recent logs/events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ... import clock
from ...cluster import Cluster, Host
from ...describe import LINK_SYMBOL, health_badge, human_bytes, human_duration, human_mib, vm_badge
from ...hub.models import drawable_stats
from ...render import ago, vm_summary

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Iterable[float], width: int = 40) -> str:
    data = list(values)[-width:]
    if not data:
        return "no data yet"
    lo, hi = min(data), max(data)
    span = (hi - lo) or 1.0
    return "".join(SPARK[min(7, int((v - lo) / span * 7.999))] for v in data)


def _fields(rows: list[tuple[str, str | Text]]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    return table


def _clock(ts: float | None) -> str:
    if ts is None:
        return "-"
    return f"{datetime.fromtimestamp(ts).strftime('%H:%M:%S')} ({ago(ts)})"


def host_renderable(host: Host, now: float) -> Group:
    """Live state first (health, link, VMs, last heard, sparklines), then the host's facts, then its log."""
    rec = host.record
    res = rec.resources if rec is not None else None
    link = host.link
    live: list[tuple[str, str | Text]] = [
        ("health", health_badge(host.health)),
        ("link", f"{LINK_SYMBOL.get(link, '?')} {link}"),
        ("VMs", vm_summary(host)),
        ("last heard", _clock(host.last_heard)),
    ]
    stats = drawable_stats(host.stats)  # as sent: JSON allows inf, NaN and integers past a float's range
    if host.cpu_history or host.mem_history:
        cpu = stats.get("cpu_percent")
        mem = stats.get("memory_bytes")
        cpu_now = f"{cpu:.0f}%" if isinstance(cpu, int | float) else "-"
        mem_now = human_bytes(mem) if isinstance(mem, int | float) else "-"
        live += [
            ("cpu", f"{sparkline(host.cpu_history)} {cpu_now}"),
            ("mem", f"{sparkline(host.mem_history)} {mem_now}"),
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
    if res is not None:
        cpus = f"{res.logical_cpu_count:.0f}" if res.logical_cpu_count is not None else "-"
        facts += [
            ("cpus", f"{cpus} logical"),
            ("memory", human_mib(res.memory_size)),
            ("disk", f"{human_mib(res.free_disk_size)} free of {human_mib(res.disk_size)}"),
        ]
    if host.mac_vms_running is not None:
        facts.append(("macOS VMs", f"{host.mac_vms_running} running"))
    if host.placeholder:
        facts.append(("note", "known only from events so far"))
    parts: list = [Text(host.label, style="bold underline"), _fields(live + facts)]
    extra = [f"{k} {v}" for k, v in stats.items() if k not in ("cpu_percent", "memory_bytes")][:4]
    if extra:
        parts.append(Text("  ".join(extra), style="dim"))
    if host.logs:
        parts.append(Text("\nrecent log", style="bold"))
        for ts, level, message in list(host.logs)[-8:]:
            line = Text(datetime.fromtimestamp(ts).strftime("%H:%M:%S "), style="dim")
            line.append(f"{level:<5} ", style="bold" if level in ("error", "warn", "warning") else "")
            line.append(message)
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
        ("state", vm_badge(vm.state)),
        ("previous", vm.previous_state or "-"),
        ("uptime", human_duration(vm.uptime)),
        ("changed", _clock(vm.last_change)),
    ]
    if vm.snapshots is not None:
        rows.append(("snapshots", str(vm.snapshots)))
    if vm.description:
        rows.append(("description", vm.description))
    parts: list = [Text(vm.label, style="bold underline"), _fields(rows)]
    if vm.events:
        parts.append(Text("\nrecent events", style="bold"))
        for ts, what in list(vm.events)[-10:]:
            line = Text(datetime.fromtimestamp(ts).strftime("%H:%M:%S "), style="dim")
            line.append(what)
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

    def show_key(self, cluster: Cluster, key: tuple[str, str, str] | None, now: float | None = None) -> None:
        """Render the details of ``key`` from the model. Call with the feed lock held."""
        now = clock.now() if now is None else now
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
