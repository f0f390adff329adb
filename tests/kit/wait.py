"""Waiting for what a test expects to happen: a guard against hangs, never a timing assertion."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any


async def _sleep() -> None:
    await asyncio.sleep(0.01)


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition", *,
                     pause: Callable[[], Awaitable[Any]] = _sleep) -> Any:
    """Poll ``predicate`` until it is truthy and return its value; fail the test (AssertionError) after
    ``timeout`` seconds. Between two looks it awaits ``pause()`` (10 ms of sleep unless told: the app tests pass
    their pilot's pause, see :func:`kit.app.wait_for`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pause()
