"""Order by the server's timestamps, not by arrival.

The real server handles each frame from a host in its own goroutine and often broadcasts from another, so
two events built in order can reach a client in either order. Each frame's ``timestamp`` is set when it is
built, so it orders events better than arrival does. :func:`order_key` turns Go's RFC 3339 text (fractional
seconds of any length, ``Z``) into a string that sorts as the instant does, cheaply: it runs for every
state-bearing event.
"""

from __future__ import annotations

from datetime import UTC, datetime

#: the key of an event with no usable timestamp: it orders before everything (applied in arrival order)
NO_TIME = ""


def order_key(ts: str) -> str:
    """``2026-11-26T12:00:00.5Z`` -> ``2026-11-26T12:00:00.500000000``: keys compare as the instants do. A
    timestamp with an offset is converted to UTC; one that is not a timestamp gives :data:`NO_TIME`."""
    if len(ts) >= 20 and ts[-1] == "Z" and ts[10] == "T":
        if len(ts) == 20:  # no fraction
            return ts[:19] + ".000000000"
        if ts[19] == ".":
            fraction = ts[20:-1]
            if fraction.isdigit():
                return ts[:20] + (fraction + "000000000")[:9]
    return _slow_key(ts)


def _slow_key(ts: str) -> str:
    text = ts.strip()
    if not text:
        return NO_TIME
    whole, _, rest = text.partition(".")
    digits = ""
    tail = rest
    while tail and tail[0].isdigit():
        digits, tail = digits + tail[0], tail[1:]
    if tail in ("Z", "z"):
        tail = "+00:00"
    try:
        moment = datetime.fromisoformat(whole + tail)
    except ValueError:
        return NO_TIME
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    base = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{(digits + '000000000')[:9]}"
