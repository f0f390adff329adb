"""Words and symbols for states and events, shared by the TUI and the CLI. Plain Python.

Colour is never the only carrier of meaning: every state has a symbol and a word.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..protocol import bodies as b
from ..protocol import models as m
from ..protocol.parse import Event, body_model

if TYPE_CHECKING:
    from .entities import Host
from ..protocol.text import clean

HEALTH_SYMBOL = {"healthy": "✔", "unhealthy": "✖"}
LINK_SYMBOL = {"connected": "⇄", "disconnected": "⨯", "degraded": "≈"}
VM_SYMBOL = {
    "running": "▶",
    "stopped": "■",
    "suspended": "◌",
    "paused": "‖",
    "starting": "↗",
    "stopping": "↘",
    "resuming": "↗",
    "suspending": "↘",
    "resetting": "↻",
}
#: a VM state -> the class of colour it gets: ok | off | busy | warn
VM_TONE = {
    "running": "ok",
    "stopped": "off",
    "suspended": "off",
    "paused": "warn",
    "starting": "busy",
    "stopping": "busy",
    "resuming": "busy",
    "suspending": "busy",
    "resetting": "busy",
}


def health_badge(health: str) -> str:
    return f"{HEALTH_SYMBOL.get(health, '?')} {health or 'unknown'}"


def vm_badge(state: str) -> str:
    return f"{VM_SYMBOL.get(state, '?')} {state or 'unknown'}"


def human_bytes(value: float | None) -> str:
    if value is None:
        return "-"
    n = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def human_duration(value: str | float | None) -> str:
    """``"1261635"`` (seconds, as Parallels reports uptime) -> ``14d 14h 27m``; other text stays as it is."""
    if value in (None, ""):
        return "-"
    try:
        seconds = int(float(value))
    except (TypeError, ValueError, OverflowError):  # "inf" from a JSON 1e999
        return str(value)
    if seconds < 0:
        return str(value)
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days}d {hours}h {minutes}m"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def human_mib(value: float | None) -> str:
    """Resource sizes in host records are MiB (as Parallels reports them)."""
    return "-" if value is None else human_bytes(float(value) * 1024 * 1024)


def _short(value: Any, n: int = 60) -> str:
    text = " ".join(str(value)[: n * 8].split())  # cut first: a 10 MB field is not split to show 60 characters
    return text if len(text) <= n else text[: n - 1] + "…"


def _service_figures(st: dict[str, Any]) -> str:
    """The DevOps service's own process figures (HOST_STATS_UPDATE, "System Stats"): not the Mac's."""
    parts = []
    if isinstance(st.get("cpu_percent"), int | float):
        parts.append(f"cpu {st['cpu_percent']:.0f}%")
    if isinstance(st.get("memory_bytes"), int | float):
        parts.append(f"mem {human_bytes(st['memory_bytes'])}")
    if isinstance(st.get("goroutines"), int | float):
        parts.append(f"{st['goroutines']:.0f} goroutines")
    return ("service " + "  ".join(parts)) if parts else f"{len(st)} stats"


def _disk(st: dict[str, Any]) -> str:
    """Disk-space figures: MB, as the service reports them."""
    sizes = [f"{name.removesuffix('_size').replace('_', ' ')} {human_mib(st[name])}"
             for name in ("cache_folder_size", "parallels_home_size", "given_path_size")
             if isinstance(st.get(name), int | float)]
    return "disk: " + ("  ".join(sizes) or "no sizes")


def _job(job: dict[str, Any]) -> str:
    """``vm clone 45% running: cloning disk (alice)`` or ``failed: <error>``."""
    kind = " ".join(x for x in (job.get("job_type"), job.get("job_operation")) if x) or "job"
    progress = job.get("progress")
    pct = f" {progress:.0f}%" if isinstance(progress, int | float) else ""
    state = job.get("state") or "?"
    said = job.get("error") if state == "failed" and job.get("error") else job.get("message")
    owner = job.get("owner_name") or job.get("owner") or ""
    return _short(f"{kind}{pct} {state}" + (f": {said}" if said else "") + (f" ({owner})" if owner else ""), 90)


def _nested(event: Any) -> str:
    """A host's whole event message, forwarded inside an orchestrator one: ``CACHE_ITEM_ADDED macos-sequoia v4``."""
    if not isinstance(event, dict):
        return ""
    message = event.get("message") if isinstance(event.get("message"), str) else "?"
    body = event.get("body")
    detail = ""
    if isinstance(body, dict):
        picked = [str(body[k]) for k in ("catalog_id", "version", "architecture", "state", "reverse_proxy_host_id",
                                          "enabled", "error_message") if isinstance(body.get(k), str | int | float)]
        detail = " ".join(picked) or ", ".join(list(body)[:4])
    return _short(f"{message} {detail}".strip(), 80)


def summary(event: Event) -> str:
    """A one-line summary of an event for the log."""
    body = event.typed_body()
    msg = event.message
    kind = body_model(event.event_type, msg)  # which schema a known message's body (a dict) follows
    if kind is not None and not isinstance(body, dict):
        return ""  # a body that is no longer at hand (a frame too large to keep whole)
    if kind is m.HostVMBody:
        return _vm_summary(msg.removeprefix("HOST_"), body["event"])
    if kind is m.VMEvent:
        return _vm_summary(msg, body)
    if kind is m.HostStateBody:
        return body["state"] or "?"
    if kind is m.HostStatsBody:
        st = m.drawable_stats(body["stats"])
        if "cpu_percent" not in st and any(k in st for k in ("cache_folder_size", "parallels_home_size")):
            return _disk(st)
        return _service_figures(st)
    if kind is m.HostLogsBody:
        return f"[{body['log']['level'] or 'info'}] {_short(body['log']['message'])}"
    if kind is m.HostAddedBody:
        return _short(f"{body['host']} {body['description']}".strip())
    if kind is m.HostRemovedBody:
        return _short(body["host"])
    if kind is m.HostDeployedBody:
        return _short(" ".join(x for x in (body["host"], body["message"]) if x) or "deployed")
    if kind is m.HostMacVMsBody:
        return f"{len(body['event']['mac_vms_running'])} macOS VMs running"
    if kind is m.MacVMsRunning:
        return f"{len(body['mac_vms_running'])} macOS VMs running"
    if kind is m.Confirmation:
        return f"client {body['client_id'][:8]}; subscribed: {', '.join(body['subscriptions'])}"
    if kind is m.ClientIdBody:
        return f"client id {body['client_id']}"
    if kind is m.ErrorBody:
        return _short(body["error"] or "error")
    if kind is b.JobBody:
        return _job(b.job_of(body))
    if kind is b.AuthBody:
        return " ".join(f"{k.removesuffix('_id')} {v[:8]}" for k, v in body.items() if v) or "?"
    if kind is b.CacheItemBody:
        size = f" ({human_mib(body['cache_size'])})" if isinstance(body.get("cache_size"), int | float) else ""
        return _short(" ".join(x for x in (body.get("catalog_id"), body.get("version"), body.get("architecture"))
                               if x) + size)
    if kind is b.ProxyBody:
        fields = ("state", "reverse_proxy_host_id", "old_ip", "new_ip", "error_message", "method", "path",
                  "target_host", "target_port", "source_ip")
        parts = [("enabled" if body["enabled"] else "disabled")] if body.get("enabled") is not None else []
        return _short(" ".join(parts + [str(body[k]) for k in fields if body.get(k)]) or msg)
    if kind is b.DiskSpaceBody:
        return _disk(body)
    if kind is b.SystemLogBody:
        return f"[{body['level'] or 'info'}] {_short(body['message'])}"
    if kind is m.HostGenericBody:  # the schema keeps the host only: the rest is in the frame as sent
        body = event.as_json().get("body")
        if isinstance(body, dict) and "event" in body:
            return _nested(body["event"])
    if event.event_type == "stats" and isinstance(body, dict) and "cpu_percent" in body:
        return _service_figures(m.drawable_stats(body))
    if body is None:
        return ""
    if isinstance(body, dict):
        for key in ("message", "state", "name", "status", "error"):
            if isinstance(body.get(key), str | int | float):
                return _short(f"{key}: {body[key]}")
        return _short(", ".join(list(body)[:6]))
    return _short(body)


def _vm_summary(kind: str, ev: m.VMEvent) -> str:
    if kind == "VM_STATE_CHANGED":
        return f"{ev['previous_state'] or '?'} → {ev['current_state'] or '?'}"
    if kind in ("VM_ADDED", "VM_UPDATED"):
        vm = ev["new_vm"]
        if vm is None:
            return kind.lower().removeprefix("vm_")
        return _short(f"{vm.os or '?'}, {vm.state or '?'}")  # the row names the VM itself
    if kind == "VM_REMOVED":
        return "removed"
    if kind == "VM_UPTIME_CHANGED":
        return f"uptime {human_duration(ev['uptime'])}"
    if kind == "VM_SNAPSHOTS_UPDATED":
        return f"{len(ev['snapshots'] or ())} snapshots"
    return ""


def ago(ts: float | None, now: float | None = None, suffix: str = " ago", never: str = "never") -> str:
    """``3s ago``, ``4m ago``, ``2h ago``, ``never`` (``suffix`` and ``never`` for tighter places)."""
    if ts is None:
        return never
    delta = max(0.0, (time.time() if now is None else now) - ts)
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
    return ", ".join(f"{n} {clean(state, 40)}" for state, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
