"""How frames reach a subscriber, as the real hub delivers them.

Every client has a queue of at most :data:`QUEUE_LIMIT` frames that drops the oldest when full (the
confirmation included: it is queued like any frame) and is flushed every :data:`FLUSH_INTERVAL` seconds, so
frames arrive in bursts. Orchestrator frames are built (and stamped) in one goroutine and put on the queues
from another, so with ``reorder`` each one reaches the queues after its own small random delay: frames built
close together can arrive swapped, while their timestamps keep the order they were built in.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

QUEUE_LIMIT = 2048
FLUSH_INTERVAL = 0.1
#: the longest a built frame waits before it reaches the queues when delivery is reordered
REORDER_WINDOW = 0.03


@dataclass(eq=False)
class SimClient:
    """One live WebSocket subscriber."""

    id: str
    ip: str
    username: str
    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    #: the channels it gets, each once, in the order first asked (``global`` included)
    subscriptions: list[str]
    connected_at: float = field(default_factory=time.time)
    last_ping_at: float | None = None
    last_pong_at: float | None = None
    queue: deque[str | bytes] = field(default_factory=lambda: deque(maxlen=QUEUE_LIMIT))
    #: frames that fell off the full queue
    dropped: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def enqueue(self, frame: str | bytes) -> None:
        if len(self.queue) == QUEUE_LIMIT:
            self.dropped += 1
        self.queue.append(frame)

    def enqueue_many(self, frames: list[str]) -> None:
        overflow = len(self.queue) + len(frames) - QUEUE_LIMIT
        if overflow > 0:
            self.dropped += overflow
        self.queue.extend(frames)


class Reorderer:
    """Hands each frame to ``deliver`` after a random delay of up to ``window`` seconds (at once when off)."""

    def __init__(self, deliver: Callable[[str, str], None], *, enabled: bool, window: float = REORDER_WINDOW,
                 seed: int | None = None) -> None:
        self.enabled = enabled
        self.window = window
        self._deliver = deliver
        self._rng = random.Random(seed)
        self._pending: set[asyncio.TimerHandle] = set()

    def __call__(self, channel: str, frame: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if not self.enabled or self.window <= 0 or loop is None:
            self._deliver(channel, frame)
            return
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._pending.discard(handle)
            self._deliver(channel, frame)

        handle = loop.call_later(self._rng.uniform(0.0, self.window), fire)
        self._pending.add(handle)

    def cancel(self) -> None:
        """Forget the frames still on their way (the server is going away)."""
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
