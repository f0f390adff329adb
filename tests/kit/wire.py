"""What goes over the wire, as the tests write it: server frames (the Go ``EventMessage``) and the records of the
orchestrator's listings, as JSON.

- :func:`frame` / :func:`envelope`: a frame with a fresh id and the current time, as the server sends it.
- :func:`wire`: a frame with exactly the fields given (the reference's example id and timestamp unless told), for
  parser tests that control every byte; :func:`event` and :func:`malformed` parse one and check its kind.
- :func:`sized_frame`: a valid frame of an exact size in bytes.
- :func:`host_record` / :func:`vm_record`: listing records in the server's form.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tui.protocol.parse import Event, Malformed, parse_frame

ALL_CHANNELS = (
    "global", "orchestrator", "health", "pdfm", "system", "stats", "system_logs", "reverse_proxy",
    "catalog_cache", "job_manager", "auth",
)

HOST_A = "a16c7dfc2e8e79b927f0d8e786c7ac5fce172d800be06c15cb789eabae1550de"
HOST_B = "b27d8e9f00112233445566778899aa4f5e6d7c8b9a0b1c2d3e4f5061728394a"

MiB = 1024 * 1024

_ids = itertools.count(1)


def frame_id() -> str:
    """A fresh 64-hex-digit id, like the server's."""
    return f"{next(_ids):064x}"


def go_timestamp(ts: float | None = None) -> str:
    """RFC 3339 UTC with nanoseconds, as Go writes it."""
    ts = time.time() if ts is None else ts
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{base}.{int((ts % 1) * 1e9):09d}Z"


def envelope(channel: str, message: str, body: Any = None, *, id: str | None = None, **extra: Any) -> dict:
    msg: dict[str, Any] = {"id": id or frame_id(), "event_type": channel, "timestamp": go_timestamp(),
                           "message": message}
    if body is not None:
        msg["body"] = body
    msg.update(extra)
    return msg


def frame(channel: str, message: str, body: Any = None, *, id: str | None = None, **extra: Any) -> str:
    """A server frame as JSON text."""
    return json.dumps(envelope(channel, message, body, id=id, **extra))


def confirmation(client_id: str, subscriptions: list[str]) -> str:
    return frame("global", "WebSocket connection established subscribed to global by default",
                 {"client_id": client_id, "subscriptions": subscriptions})


def sized_frame(size: int, event_id: str | None = None, host_id: str = "h") -> str:
    """A valid ``HOST_LOGS_UPDATE`` frame of exactly ``size`` bytes (id ``big-<size>`` unless given)."""
    event_id = f"big-{size}" if event_id is None else event_id
    head = (f'{{"id":"{event_id}","event_type":"orchestrator","message":"HOST_LOGS_UPDATE","body":'
            f'{{"host_id":"{host_id}","log":{{"level":"info","message":"')
    tail = '"}}}'
    text = head + "x" * (size - len(head) - len(tail)) + tail
    assert len(text.encode()) == size
    return text


# ------------------------------------------------------------------------------------------------ exact envelopes

#: the protocol reference's example id and timestamp
REF_ID = "7cbc843fd99e2965fd4039410a0e20c2984b8b9c8889991954751d66b90cabb1"
REF_TS = "2025-12-12T12:12:14.164146Z"


def wire(channel: Any, message: Any, body: Any = None, *, id: Any = REF_ID, timestamp: Any = REF_TS,
         **extra: Any) -> str:
    """A frame with exactly these fields, in the server's order (any value, of any type): for the parser."""
    msg: dict[str, Any] = {"id": id, "event_type": channel, "timestamp": timestamp, "message": message}
    if body is not None:
        msg["body"] = body
    msg.update(extra)
    return json.dumps(msg)


def event(text: str | bytes) -> Event:
    """``text`` parsed: an event, or the test fails."""
    item = parse_frame(text)
    assert isinstance(item, Event), item
    return item


def malformed(text: str | bytes) -> Malformed:
    """``text`` parsed: a malformed frame, or the test fails."""
    item = parse_frame(text)
    assert isinstance(item, Malformed), item
    return item


# ------------------------------------------------------------------------------------------------ records


def host_record(host_id: str, hostname: str, state: str = "healthy", description: str = "", **extra: Any) -> dict:
    rec = {"id": host_id, "enabled": True, "host": f"http://{hostname}:80/api", "architecture": "arm64",
           "description": description, "tags": None, "state": state, "devops_version": "0.9.12",
           "resources": {"logical_cpu_count": 8, "memory_size": 17179869184, "total_apple_vms": 2},
           "has_websocket_events": True,
           "detailed_resources": {"total": {"logical_cpu_count": 8, "memory_size": 17179869184}}}
    rec.update(extra)
    return rec


def vm_record(vm_id: str, host_id: str, name: str, state: str = "running", os: str = "macosx") -> dict:
    """A VM record in the server's capitalised form."""
    return {"ID": vm_id, "Name": name, "State": state, "OS": os, "Type": "VM", "Uptime": "0",
            "Description": "", "Home": f"/Users/x/{name}.macvm", "Hardware": {"cpu": {"cpus": 4}},
            "host_id": host_id, "host_name": "", "host_state": "healthy", "internal_ip_address": "10.0.0.2"}
