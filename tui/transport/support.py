"""Small pieces of the client: backoff with full jitter, websockets' logger without secrets, closing a socket
that may not answer, and the words for why a connection ended."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from ..protocol.errors import HubError
from .connection import FrameConnection

CLOSE_REASONS = {
    1000: "closed by the server",
    1001: "server going away",
    1006: "connection lost without a close frame",
    1008: "closed by the server for a policy violation",
    1009: "a frame was too large",
    1011: "server error",
    1012: "server restarting",
}


#: close codes the client itself sends when the server breaks the protocol, and what they mean to a person
CLIENT_FAILED = {
    1002: "the server broke the WebSocket protocol",
    1007: "the server sent a text frame that is not valid UTF-8",
}


class RedactingLogger(logging.LoggerAdapter):
    """websockets' logger with every secret in play blanked out: at DEBUG it logs the handshake's request
    headers, ``Authorization: Bearer <token>`` and ``X-Api-Key`` included."""

    def __init__(self, logger: logging.Logger, secrets: Callable[[], tuple[str, ...]]) -> None:
        super().__init__(logger, {})
        self._secrets = secrets

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        secrets = [s for s in self._secrets() if s]
        if secrets:
            try:
                text = str(msg) % args if args else str(msg)
            except (TypeError, ValueError):
                text = " ".join(str(part) for part in (msg, *args))
            for secret in secrets:
                text = text.replace(secret, "***")
            msg, args = text, ()
        kwargs.setdefault("stacklevel", 2)
        self.logger.log(level, msg, *args, **kwargs)


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 30.0, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]; attempt 1 is the first retry."""
    # the exponent is clamped: after hours of retries 2**attempt would overflow a float
    ceiling = min(cap, base * (2 ** min(max(0, attempt - 1), 64)))
    return (rng or random).uniform(0, ceiling)


async def close_socket(ws: FrameConnection, timeout: float = 2.0) -> None:
    """Close with a close frame; when the server does not answer in time (dead, or its loop is stuck), drop
    the TCP connection, so that the reader sees the end and a stop or a planned reconnect never hangs."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(), timeout)
    if ws.state is not State.CLOSED:
        ws.transport.abort()


class Fatal(Exception):
    """A failure of a live session that ends it (and, for the first connection with ``fail_fast``, the run)."""

    def __init__(self, error: HubError) -> None:
        self.error = error


def close_reason(exc: ConnectionClosed, drop_note: str | None, max_frame: int) -> tuple[str, str | None]:
    """Why a connection ended, in a person's words, and the note to log about it (if any)."""
    if drop_note:
        return drop_note.split(";")[0], drop_note
    if exc.sent is not None and exc.sent.code == 1009:
        return "frame too large", f"a frame larger than {max_frame // (1024 * 1024)} MiB was refused; reconnected"
    rcvd = exc.rcvd
    if exc.sent is not None and exc.sent.code in CLIENT_FAILED and not exc.rcvd_then_sent:
        # the client failed the connection because the server broke the protocol (RFC 6455 demands it)
        return f"{CLIENT_FAILED[exc.sent.code]} ({exc.sent.code})", f"{CLIENT_FAILED[exc.sent.code]}; reconnected"
    if rcvd is None:
        # the real server's way to end every connection, on a shutdown as on a drop: nothing is known
        return "the connection ended without a close frame (a server restart or a network drop)", None
    text = CLOSE_REASONS.get(rcvd.code, f"closed by the server (code {rcvd.code})")
    if rcvd.reason:
        text += f": {rcvd.reason[:80]}"
    return (f"{text} ({rcvd.code})" if rcvd.code in CLOSE_REASONS else text), None
