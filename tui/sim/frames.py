"""Frames as the Go Events Hub writes them: compact JSON, 64-hex ids, RFC 3339 UTC timestamps, and the newline
Go's JSON encoder ends each text frame with.

Pure Python, no asyncio. :class:`FramePool` serves the load generator: frames are encoded once and
stamped with a fresh id and timestamp by string templating each time one is taken, which is cheap
enough for tens of thousands of frames a second.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

#: one event of the world: (channel, message, body)
Event = tuple[str, str, Any]

_GOLDEN = 0x9E3779B97F4A7C15  # odd, so multiplying by it is a bijection on 64-bit integers
_MASK64 = (1 << 64) - 1


def rfc3339_nano(unix_ns: int) -> str:
    """``2026-11-26T12:00:00.123456789Z``: Go's RFC 3339 with nanoseconds, trailing zeros trimmed as Go does."""
    seconds, nanos = divmod(unix_ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if not nanos:
        return base + "Z"
    return f"{base}.{nanos:09d}".rstrip("0") + "Z"


def now_rfc3339() -> str:
    """The current time as the server stamps a frame."""
    return rfc3339_nano(time.time_ns())


class IdSource:
    """Unique 64-hex frame ids: a scrambled counter (so short prefixes differ) plus a per-source suffix."""

    def __init__(self, rng: random.Random | None = None) -> None:
        rng = rng or random.SystemRandom()
        self._suffix = f"{rng.getrandbits(192):048x}"
        self._count = rng.getrandbits(64)  # a random start, so first ids differ from run to run

    def __call__(self) -> str:
        self._count += 1
        return f"{(self._count * _GOLDEN) & _MASK64:016x}{self._suffix}"


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encode_frame(
    event_id: str,
    channel: str,
    message: str,
    body: Any = None,
    *,
    timestamp: str,
    ref_id: str | None = None,
    client_id: str | None = None,
    newline: bool = False,
) -> str:
    """One frame in the key order of the Go ``EventMessage``; ``body`` and ``ref_id`` are omitted when ``None``,
    ``client_id`` when empty. ``newline``: end it as the server does."""
    frame: dict[str, Any] = {"id": event_id}
    if ref_id is not None:
        frame["ref_id"] = ref_id
    frame["event_type"] = channel
    frame["timestamp"] = timestamp
    frame["message"] = message
    if body is not None:
        frame["body"] = body
    if client_id:
        frame["client_id"] = client_id
    return _json(frame) + "\n" if newline else _json(frame)


class FramePool:
    """Events encoded once, handed out in order (cycling) with a fresh id and timestamp on each take; each frame
    ends with a newline, as the server's do."""

    def __init__(self, events: Sequence[Event]) -> None:
        if not events:
            raise ValueError("a frame pool needs at least one event")
        self._parts = [
            (
                channel,
                f'","event_type":{_json(channel)},"timestamp":"',
                f'","message":{_json(message)}' + (f',"body":{_json(body)}}}\n' if body is not None else "}\n"),
            )
            for channel, message, body in events
        ]
        self._next = 0

    def __len__(self) -> int:
        return len(self._parts)

    def take(self, count: int, ids: Callable[[], str], timestamp: str) -> list[tuple[str, str]]:
        """The next ``count`` frames as (channel, frame text), all stamped with ``timestamp``."""
        parts = self._parts
        size = len(parts)
        index = self._next
        out: list[tuple[str, str]] = []
        append = out.append
        for _ in range(count):
            channel, middle, tail = parts[index]
            append((channel, '{"id":"' + ids() + middle + timestamp + tail))
            index += 1
            if index == size:
                index = 0
        self._next = index
        return out
