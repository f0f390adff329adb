"""Non-TUI output: the ``status`` table and JSON, and the words for times. Every string from the server goes
through :func:`~tui.protocol.text.clean` on its way to a terminal."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from ..model.cluster import Cluster
from ..model.describe import ago, iso, vm_summary
from ..model.journal import Journal
from ..model.verdict import Level, Reason, Verdict, verdict
from ..protocol.text import clean

OK, WARNING, CRITICAL, UNKNOWN = Level.OK, Level.WARNING, Level.CRITICAL, Level.UNKNOWN
LEVEL_NAMES = {level: level.name for level in Level}


def exit_code(cluster: Cluster, extra: list[Reason] | None = None) -> int:
    """Monitoring-plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""
    return verdict(cluster, extra).code


def summary_line(cluster: Cluster, result: Verdict | int) -> str:
    """``HUBTOP CRITICAL - 12 hosts, 96 VMs; unhealthy: a, b; ...``: one line, safe to print."""
    if not isinstance(result, Verdict):
        result = verdict(cluster)
    parts = [f"{len(cluster.hosts)} hosts", f"{sum(len(h.vms) for h in cluster.hosts.values())} VMs"]
    by_what: dict[str, list[str]] = {}
    for reason in result.reasons:
        if reason.host:
            by_what.setdefault(reason.what, []).append(reason.host)
        else:
            parts.append(clean(reason.what, 200))
    for what, names in by_what.items():
        parts.append(f"{what}: {_names(names)}")
    if result.level == OK:
        parts.append("all hosts healthy")
    return f"HUBTOP {result.level.name} - " + "; ".join(parts)


def reason_lines(result: Verdict, now: float | None = None) -> list[str]:
    """The reasons under the summary line: ``  CRITICAL mac-mini-01.local: unhealthy (since 10:02:11, 5m ago)``."""
    lines = []
    for reason in result.reasons:
        where = f"{clean(reason.host, 80)}: " if reason.host else ""
        since = f" (since {datetime.fromtimestamp(reason.since).strftime('%H:%M:%S')}, {ago(reason.since, now)})" \
            if reason.since else ""
        lines.append(f"  {reason.level.name:<8} {where}{clean(reason.what, 200)}{since}")
    return lines


def _names(names: list[str], most: int = 3) -> str:
    names = sorted(clean(n, 80) for n in names)
    text = ", ".join(names[:most])
    return text + (f" (+{len(names) - most} more)" if len(names) > most else "")


def status_table(cluster: Cluster, now: float | None = None) -> str:
    rows = [("HOST", "STATE", "LINK", "VMS", "LAST HEARD")]
    for host in cluster.sorted_hosts():
        label = host.label + (f" ({host.description})" if host.description and host.hostname else "")
        rows.append((clean(label, 80), clean(host.health, 40), clean(host.link, 40), vm_summary(host),
                     ago(host.last_heard, now, never="not yet (listed)")))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines)


def verdict_json(result: Verdict) -> dict[str, Any]:
    return {
        "code": result.code,
        "level": result.level.name,
        "reasons": [
            {"level": r.level.name, "host_id": r.host_id or None, "host": r.host or None, "what": r.what,
             "since": iso(r.since)}
            for r in result.reasons
        ],
    }


def status_json(
    cluster: Cluster,
    journal: Journal,
    *,
    url: str,
    client_id: str | None,
    subscriptions: list[str] | tuple[str, ...],
    now: float | None = None,
    result: Verdict | None = None,
) -> dict[str, Any]:
    """The document of ``status --json`` (the caller dumps it with ``ensure_ascii=True``: no raw control or
    format character from the server reaches a terminal that shows it)."""
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
                "problems": list(host.problems),
                "vms": [
                    {"id": vm.id, "name": vm.name, "state": vm.state, "os": vm.os, "unsure": vm.unsure}
                    for vm in sorted(host.vms.values(), key=lambda v: (v.name.lower(), v.id))
                ],
            }
        )
    counters = journal.counters()
    return {
        "url": url,
        "client_id": client_id,
        "subscriptions": list(subscriptions),
        "generated_at": iso(time.time() if now is None else now),
        "verdict": verdict_json(result or verdict(cluster)),
        "hosts": hosts,
        "totals": cluster.totals(),
        "events": {
            "received": counters["received"],
            "malformed": counters["malformed"],
            "duplicates": counters["duplicates"],
            "late": counters["late"],
            "gaps": counters["gaps"],
            "suspected_losses": counters["suspected_losses"],
            "by_channel": counters["by_channel"],
        },
    }
