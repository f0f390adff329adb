"""The words of the event log's rows: short channel and message names (the same everywhere, never cut), and the
padding of a column."""

from __future__ import annotations

from rich.cells import cell_len

from ...model.journal import Entry
from ...protocol.parse import Event
from ...protocol.text import clean

SHORT_CHANNEL = {
    "orchestrator": "orch",
    "health": "health",
    "global": "global",
    "system": "system",
    "system_logs": "syslog",
    "reverse_proxy": "rproxy",
    "catalog_cache": "cache",
    "job_manager": "jobs",
    "stats": "stats",
    "pdfm": "pdfm",
    "auth": "auth",
}


def entry_host_vm(entry: Entry) -> tuple[str | None, str | None]:
    if entry.__class__ is not Event:
        return None, None
    return entry.host_id, entry.vm_id


#: short names for the messages, the same everywhere; none is cut (an unknown name is shown whole)
SHORT_MESSAGE = {
    "HOST_VM_STATE_CHANGED": "VM_STATE", "VM_STATE_CHANGED": "VM_STATE",
    "HOST_VM_ADDED": "VM_ADDED", "HOST_VM_REMOVED": "VM_REMOVED", "HOST_VM_UPDATED": "VM_UPDATED",
    "HOST_VM_UPTIME_CHANGED": "VM_UPTIME", "VM_UPTIME_CHANGED": "VM_UPTIME",
    "HOST_VM_SNAPSHOTS_UPDATED": "VM_SNAPSHOTS", "VM_SNAPSHOTS_UPDATED": "VM_SNAPSHOTS",
    "HOST_MAC_VMS_RUNNING_NOW": "MAC_VMS_RUNNING", "MAC_VMS_RUNNING_NOW": "MAC_VMS_RUNNING",
    "HOST_HEALTH_UPDATE": "HEALTH", "HOST_WEBSOCKET_CONNECTED": "LINK_UP", "HOST_WEBSOCKET_DISCONNECTED": "LINK_DOWN",
    "HOST_WEBSOCKET_DEGRADED": "LINK_DEGRADED", "HOST_STATS_UPDATE": "STATS", "HOST_LOGS_UPDATE": "HOST_LOG",
    "HOST_CATALOG_CACHE_EVENT": "CACHE_EVENT", "HOST_REVERSE_PROXY_UPDATED": "PROXY_UPDATED",
    "System Stats": "SYSTEM_STATS", "System Log": "SYSTEM_LOG",
}
MESSAGE_WIDTH = 15


def short_message(channel: str, message: str) -> str:
    if channel == "global" and message.startswith("WebSocket connection established"):
        return "CONNECTED"
    return SHORT_MESSAGE.get(message, clean(message, 80))


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` cells, and a space (a longer one keeps its length: names are never cut)."""
    return text + " " * max(1, width - cell_len(text) + 1)
