"""Non-TUI output: the ``status`` table and JSON, ``tail``'s JSON lines, and the status exit code."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from . import clock
from .cluster import HEALTHY, LINK_DEGRADED, LINK_DISCONNECTED, UNHEALTHY, Cluster, Host
from .journal import Journal

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
LEVEL_NAMES = {OK: "OK", WARNING: "WARNING", CRITICAL: "CRITICAL", UNKNOWN: "UNKNOWN"}


def ago(ts: float | None, now: float | None = None, suffix: str = " ago", never: str = "never") -> str:
    """``3s ago``, ``4m ago``, ``2h ago``, ``never`` (``suffix`` and ``never`` for tighter places)."""
    if ts is None:
        return never
    delta = max(0.0, (clock.now() if now is None else now) - ts)
    if delta < 60:
        return f"{delta:.0f}s{suffix}"
    if delta < 3600:
        return f"{delta // 60:.0f}m{suffix}"
    if delta < 86400:
        return f"{delta // 3600:.0f}h{suffix}"
    return f"{delta // 86400:.0f}d{suffix}"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def vm_summary(host: Host) -> str:
    counts = host.vm_counts()
    if not counts:
        return "no VMs"
    return ", ".join(f"{n} {state}" for state, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _health_unknown(host: Host) -> bool:
    # the server hubtop is connected to, known from its pdfm events only (no host record): the protocol never
    # reports its health, and it is answering, so its unknown health is no warning
    return host.health not in (HEALTHY, UNHEALTHY) and not (host.local and host.record is None)


def host_level(host: Host) -> int:
    if host.health == UNHEALTHY:
        return CRITICAL
    if _health_unknown(host) or host.link in (LINK_DISCONNECTED, LINK_DEGRADED):
        return WARNING
    return OK


def exit_code(cluster: Cluster) -> int:
    """Monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL."""
    return max((host_level(h) for h in cluster.hosts.values()), default=OK)


def summary_line(cluster: Cluster, code: int) -> str:
    totals = cluster.totals()
    hosts = cluster.hosts.values()
    bad = [h.label for h in hosts if h.health == UNHEALTHY]
    unknown = [h.label for h in hosts if _health_unknown(h)]
    link = [h.label for h in hosts if h.link in (LINK_DISCONNECTED, LINK_DEGRADED)]
    parts = [f"{totals['hosts']} hosts", f"{totals['vms']} VMs"]
    if bad:
        parts.append(f"unhealthy: {_names(bad)}")
    if unknown:
        parts.append(f"health unknown: {_names(unknown)}")
    if link:
        parts.append(f"link down or degraded: {_names(link)}")
    if code == OK:
        parts.append("all hosts healthy")
    return f"HUBTOP {LEVEL_NAMES[code]} - " + "; ".join(parts)


def _names(names: list[str], most: int = 3) -> str:
    names = sorted(names)
    text = ", ".join(names[:most])
    return text + (f" (+{len(names) - most} more)" if len(names) > most else "")


def status_table(cluster: Cluster, now: float | None = None) -> str:
    rows = [("HOST", "STATE", "LINK", "VMS", "LAST HEARD")]
    for host in cluster.sorted_hosts():
        label = host.label + (f" ({host.description})" if host.description and host.hostname else "")
        rows.append((label, host.health, host.link, vm_summary(host), ago(host.last_heard, now)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines)


def status_json(
    cluster: Cluster,
    journal: Journal,
    *,
    url: str,
    client_id: str | None,
    subscriptions: list[str] | tuple[str, ...],
    now: float | None = None,
) -> dict[str, Any]:
    hosts = []
    for host in cluster.sorted_hosts():
        hosts.append(
            {
                "id": host.id,
                "name": host.label,
                "host": host.url,
                "description": host.description,
                "state": host.health,
                "link": host.link,
                "last_heard": iso(host.last_heard),
                "vms": [
                    {"id": vm.id, "name": vm.name, "state": vm.state, "os": vm.os}
                    for vm in sorted(host.vms.values(), key=lambda v: (v.name.lower(), v.id))
                ],
            }
        )
    counters = journal.counters()
    return {
        "url": url,
        "client_id": client_id,
        "subscriptions": list(subscriptions),
        "generated_at": iso(clock.now() if now is None else now),
        "hosts": hosts,
        "totals": cluster.totals(),
        "events": {
            "received": counters["received"],
            "malformed": counters["malformed"],
            "duplicates": counters["duplicates"],
            "by_channel": counters["by_channel"],
        },
    }


def json_line(raw: str) -> str:
    """A frame as one compact JSON line (the server's own text when it already is one)."""
    if "\n" not in raw and "\r" not in raw:
        return raw
    return json.dumps(json.loads(raw), separators=(",", ":"), ensure_ascii=False)
