"""Details of the selected host or VM: identity, health, link, resources, sparklines, recent logs/events.

What the pane shows is first gathered as plain data (:class:`Shown`), so the pane is redrawn only when that
changed (an age that reads the same, a figure that did not move: nothing is sent to the terminal)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.console import Group
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...model.cluster import Cluster
from ...model.describe import human_bytes, human_duration, human_mib, vm_summary
from ...model.entities import Host
from ...protocol.models import drawable_stats
from ...protocol.text import clean
from ..glyphs import UNICODE, Glyphs
from ..safe import plain


@dataclass(frozen=True, slots=True)
class Shown:
    """What the pane shows: a title, name/value rows, a dim line, and a titled list of timed lines."""

    title: str
    rows: tuple[tuple[str, str], ...]
    extra: str = ""
    lines_title: str = ""
    lines: tuple[tuple[str, str, str], ...] = ()


def sparkline(values: Iterable[float], width: int = 40, bars: str = UNICODE.spark) -> str:
    data = list(values)[-width:]
    if not data:
        return "no data yet"
    lo, hi = min(data), max(data)
    span = (hi - lo) or 1.0
    top = len(bars) - 1
    return "".join(bars[min(top, int((v - lo) / span * (top + 0.999)))] for v in data)


def _fields(rows: list[tuple[str, str | Text]]) -> Table:
    """Name/value rows. A ``str`` cell would be parsed as markup by Rich: every value goes in as plain text."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        table.add_row(Text(name), value if isinstance(value, Text) else plain(value))
    return table


def _time(ts: float, utc: bool) -> str:
    return (datetime.fromtimestamp(ts, UTC) if utc else datetime.fromtimestamp(ts)).strftime("%H:%M:%S")


def _clock(ts: float | None, now: float, utc: bool = False) -> str:
    """A time of day, not an age: the pane is not redrawn every second for a number that only counts up (the
    tree shows the ages)."""
    if ts is None:
        return "-"
    return f"{_time(ts, utc)} {'UTC' if utc else ''}".rstrip()


def _number(value: object, fmt: str) -> str:
    return format(value, fmt) if isinstance(value, int | float) else "-"


def host_renderable(host: Host, now: float, g: Glyphs = UNICODE, utc: bool = False) -> Group:
    return render(host_shown(host, now, g, utc))


def host_shown(host: Host, now: float, g: Glyphs = UNICODE, utc: bool = False) -> Shown:
    """Live state first (health, link, VMs, last heard, the service's figures), then the host's facts, then
    its log."""
    rec = host.record
    res = rec.resources if rec is not None else None
    link = host.link
    unsure = [vm.label for vm in host.vms.values() if vm.unsure]
    heard = _clock(host.last_heard, now, utc) if host.last_heard is not None else "not yet (known from the listing)"
    live: list[tuple[str, str]] = [
        ("health", f"{g.health.get(host.health, g.unknown)} {host.health}" + (
            "  (its record's state could not be read)" if host.health_unreadable else "")),
        ("link", f"{g.link.get(link, g.unknown)} {link}"),
        ("VMs", vm_summary(host)),
        ("last heard", heard),
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
            ("service cpu", f"{sparkline(host.cpu_history, bars=g.spark)} {cpu_now}"),
            ("service mem", f"{sparkline(host.mem_history, bars=g.spark)} {mem_now}"),
        ]
    facts: list[tuple[str, str]] = [
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
    extra = [f"{k} {v}" for k, v in stats.items() if k not in ("cpu_percent", "memory_bytes")][:4]
    lines = tuple((_time(ts, utc), clean(level, 12), clean(message)) for ts, level, message in list(host.logs)[-8:])
    return Shown(host.label, tuple(live + facts), "service: " + "  ".join(extra) if extra else "",
                 "recent log" if lines else "", lines)


def render(shown: Shown) -> Group:
    """The pane's renderable (every value as plain text, never markup)."""
    parts: list = [plain(shown.title, "bold underline"), _fields(list(shown.rows))]
    if shown.extra:
        parts.append(plain(shown.extra, "dim"))
    if shown.lines:
        parts.append(Text("\n" + shown.lines_title, style="bold"))
        for at, level, message in shown.lines:
            line = Text(f"{at} ", style="dim")
            if level:
                line.append(f"{level:<5} ", style="bold" if level in ("error", "warn", "warning") else "")
            line.append(message)
            parts.append(line)
    return Group(*parts)


def vm_renderable(cluster: Cluster, host_id: str, vm_id: str, now: float, g: Glyphs = UNICODE,
                  utc: bool = False) -> Group:
    return render(vm_shown(cluster, host_id, vm_id, now, g, utc))


def vm_shown(cluster: Cluster, host_id: str, vm_id: str, now: float, g: Glyphs = UNICODE, utc: bool = False) -> Shown:
    host = cluster.hosts.get(host_id)
    vm = host.vms.get(vm_id) if host is not None else None
    if host is None or vm is None:
        return Shown("this VM is gone", ())
    rows: list[tuple[str, str]] = [
        ("name", vm.name or "-"),
        ("id", vm.id),
        ("host", host.label),
        ("os", vm.os or "-"),
        ("state", f"{g.vm.get(vm.state, g.unknown)} {vm.state or 'unknown'}" + (
            "  (unsure: events missing; resyncing)" if vm.unsure else "")),
        ("previous", vm.previous_state or "-"),
        ("uptime", human_duration(vm.uptime)),
        # when hubtop learned the state: for a state from the first listing, that is not when it began
        ("changed", _clock(vm.last_change, now, utc) if vm.last_change is not None else "before hubtop started"),
    ]
    if vm.ip:
        rows.append(("ip", vm.ip))
    if vm.snapshots is not None:
        rows.append(("snapshots", str(vm.snapshots)))
    if vm.description:
        rows.append(("description", vm.description))
    lines = tuple((_time(ts, utc), "", g.text(clean(what))) for ts, what in list(vm.events or ())[-10:])
    return Shown(vm.label, tuple(rows), "", "recent events" if lines else "", lines)


class HostDetails(ScrollView, can_focus=True):
    """Scrollable details pane. The app calls :meth:`show_key` under the feed lock.

    What it shows is laid out into lines (Rich, at the pane's width) and painted with the Line API: a new
    :class:`Shown` repaints only the lines that read differently (a host heard again changes one line, not the
    pane), and nothing when it is the same."""

    DEFAULT_CLASSES = "details"
    DEFAULT_CSS = """
    HostDetails { overflow-x: hidden; overflow-y: auto; }
    """
    BINDINGS = [
        Binding("up,k", "scroll_up", "Up", show=False),
        Binding("down,j", "scroll_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key: tuple[str, str, str] | None = None
        self._shown: Shown | None = Shown("Select a host or VM", ())
        self._lines: list[Strip] = []
        self._width = 0

    @property
    def renderable(self) -> Group:
        """What the pane shows, as a Rich renderable (every value plain text): to lay out at another width."""
        return render(self._shown or Shown("", ()))

    @property
    def text(self) -> str:
        """What the pane shows, as plain text."""
        return "\n".join(line.text.rstrip() for line in self._lines)

    def show_key(self, cluster: Cluster, key: tuple[str, str, str] | None, now: float) -> None:
        """Gather what the details of ``key`` show (copies); redraw only if that changed. Inside ``Monitor.read``."""
        self.key = key
        g = getattr(self.app, "glyphs", UNICODE)
        utc = getattr(self.app, "utc", False)
        if key is None:
            shown = Shown("Select a host or VM", ())
        elif key[0] == "h":
            host = cluster.hosts.get(key[1])
            shown = host_shown(host, now, g, utc) if host else Shown("this host is gone", ())
        else:
            shown = vm_shown(cluster, key[1], key[2], now, g, utc)
        if shown != self._shown or not self._lines:
            self._shown = shown
            self._lay_out(repaint_all=False)

    def _lay_out(self, repaint_all: bool) -> None:
        width = self.scrollable_content_region.width
        if width <= 0 or self._shown is None:
            return
        self._width = width
        console = self.app.console
        options = console.options.update_width(width)
        style = self.rich_style
        lines = [Strip(Segment.apply_style(line, style)).crop_extend(0, width, style).simplify()
                 for line in console.render_lines(render(self._shown), options, pad=False)]
        old = self._lines
        self._lines = lines
        if len(lines) != len(old) or repaint_all:
            self.virtual_size = Size(0, len(lines))
            self.refresh()
            return
        top = self.scroll_offset.y
        for y, (a, b) in enumerate(zip(old, lines, strict=True)):
            if a != b and 0 <= y - top < self.size.height:  # only the lines that read differently
                self.refresh(Region(0, y - top, self.size.width, 1))

    def on_resize(self, event: events.Resize) -> None:
        if self.scrollable_content_region.width != self._width:
            self._lay_out(repaint_all=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self._lines:
            self.call_after_refresh(self._lay_out, True)  # a theme's colours: drawn again

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if 0 <= index < len(self._lines):
            return self._lines[index].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)

    def action_scroll_up(self) -> None:
        self.scroll_relative(y=-1, animate=False)

    def action_scroll_down(self) -> None:
        self.scroll_relative(y=1, animate=False)
