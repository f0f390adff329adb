"""The wall clock for what the screen shows ("3s ago", highlights), in one place so that snapshot tests and
screenshots can freeze it."""

from __future__ import annotations

import time

_frozen: float | None = None


def now() -> float:
    return time.time() if _frozen is None else _frozen


def freeze(ts: float | None) -> None:
    """Make :func:`now` return ``ts`` (``None`` lets time run again)."""
    global _frozen
    _frozen = ts
