"""The simulator's own definition of the wire format: channels, error bodies, the clock frames are stamped by.

Written from the real server (Parallels DevOps Service), never imported from hubtop's client, so a misreading
in the client cannot hide behind the simulator agreeing with it.
"""

from __future__ import annotations

import functools
import json
import time
from typing import Any

from .frames import rfc3339_nano

#: every channel (Go ``constants.EventType``) the server knows
CHANNELS: tuple[str, ...] = (
    "global", "orchestrator", "health", "pdfm", "system", "stats", "system_logs", "reverse_proxy",
    "catalog_cache", "job_manager", "auth",
)
#: channels whose client frames the hub routes to a handler; any other valid channel gets an error frame
HANDLED: frozenset[str] = frozenset({"health", "system"})

CONFIRMATION = "WebSocket connection established subscribed to global by default"
API_KEY_FORMAT = "API key must be in format base64(key:secret)"

#: compact JSON, as ``json.Marshal`` writes it
dumps = functools.partial(json.dumps, separators=(",", ":"), ensure_ascii=False)


def go_json(value: Any) -> str:
    """A REST body as Go's ``json.NewEncoder(w).Encode`` writes it: compact, newline-terminated."""
    return dumps(value) + "\n"


def parse_channels(names: list[str]) -> tuple[list[str], list[str]]:
    """(valid channels lower-cased in the order given, duplicates kept; the names that are not channels)."""
    valid: list[str] = []
    invalid: list[str] = []
    for name in names:
        channel = name.strip().lower()
        (valid if channel in CHANNELS else invalid).append(channel if channel in CHANNELS else name.strip())
    return valid, invalid


def invalid_types_error(invalid: list[str]) -> str:
    """Go's sentence for event type names it does not know."""
    return f"invalid event type(s): {', '.join(invalid)}. Valid types are: {', '.join(CHANNELS)}"


class Stamp:
    """Build times for frames: RFC 3339 with nanoseconds, strictly increasing (two frames never share one, so a
    client can order every pair by it)."""

    def __init__(self) -> None:
        self._last = 0

    def ns(self) -> int:
        now = max(time.time_ns(), self._last + 1)
        self._last = now
        return now

    def __call__(self) -> str:
        return rfc3339_nano(self.ns())


def go_duration(seconds: float) -> str:
    """Roughly Go's ``time.Duration.String``: ``1h2m3.5s``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    fraction = f"{seconds - whole:.6f}".rstrip("0").rstrip(".")[1:]
    if hours:
        return f"{hours}h{minutes}m{secs}{fraction}s"
    if minutes:
        return f"{minutes}m{secs}{fraction}s"
    return f"{secs}{fraction}s"


def event_message(event_id: str, channel: str, message: str, body: Any, timestamp: str) -> dict[str, Any]:
    """A whole event message as a dict (Go ``EventMessage``), for bodies that carry one inside."""
    event: dict[str, Any] = {"id": event_id, "event_type": channel, "timestamp": timestamp, "message": message}
    if body is not None:
        event["body"] = body
    return event


# ----------------------------------------------------------------------------- error bodies


def api_error(code: int, message: str, *, description: str = "", path: str = "") -> dict[str, Any]:
    """Go ``ApiErrorResponse``: ``{"code", "message", "stack": [{"error", "description"?, "path"?, "code"?}]}``."""
    item: dict[str, Any] = {"error": message}
    if description:
        item["description"] = description
    if path:
        item["path"] = path
    item["code"] = code
    return {"code": code, "message": message, "stack": [item]}


def oauth_error(description: str) -> dict[str, Any]:
    """What the auth middleware answers with a 401: Go ``OAuthErrorResponse``."""
    return {"error": "unauthorized_client", "error_description": description}


def diagnostics_error(code: int, message: str, operation: str, started_ns: int | None = None) -> dict[str, Any]:
    """Go ``ApiErrorDiagnosticsResponse`` as the ``/ws/*`` endpoints answer a 400 or 503: ``message`` is the
    multi-line summary the diagnostics print of themselves, the sentence sits in ``diagnostics.errors``."""
    end = time.time_ns()
    start = end - 150_000 if started_ns is None else started_ns
    duration = f"{(end - start) / 1000:.3f}µs"
    summary = (f"Operation: api error response\nDuration: {duration}\nErrors: 1\nWarnings: 0\n\n"
               f"Errors:\n  1. [{code}] {message}\n")
    when = rfc3339_nano(end)
    return {
        "message": summary,
        "diagnostics": {
            "operation": "api error response",
            "start_time": rfc3339_nano(start),
            "end_time": when,
            "path": [
                {"operation": "api error response", "component": "diagnostics", "timestamp": rfc3339_nano(start)},
                {"operation": operation, "component": "diagnostics", "timestamp": rfc3339_nano(start)},
            ],
            "errors": [{"code": str(code), "message": message, "timestamp": when, "component": operation}],
            "warnings": [],
            "metadata": {},
        },
        "code": code,
    }


# ----------------------------------------------------------------------------- client frames


def json_error(text: str) -> str:
    """Roughly what Go's ``json.Unmarshal`` says of text that is not JSON."""
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        return "unexpected end of JSON input"
    first = stripped[0]
    literal = {"t": "true", "f": "false", "n": "null"}.get(first)
    if literal is not None:
        for got, want in zip(stripped, literal, strict=False):
            if got != want:
                return f"invalid character {got!r} in literal {literal} (expecting {want!r})"
        return "invalid character after top-level value"
    if first not in '{["-0123456789':
        return f"invalid character {first!r} looking for beginning of value"
    return "unexpected end of JSON input"


def header_error(value: Any) -> str:
    """What Go says when a client frame is JSON but not an object with a string ``event_type`` and ``id``."""
    kinds = {list: "array", str: "string", bool: "bool", int: "number", float: "number", type(None): "null"}
    if not isinstance(value, dict):
        return f"json: cannot unmarshal {kinds.get(type(value), 'value')} into Go value of type eventemitter.routingHeader"
    name, kind = ("event_type", "constants.EventType") if not isinstance(value.get("event_type", ""), str) \
        else ("id", "string")
    return (f"json: cannot unmarshal {kinds.get(type(value.get(name)), 'value')} into Go struct field "
            f"routingHeader.{name} of type {kind}")
