"""Hostile HTTP for the tests under tests/hostile: a :class:`~kit.hub.HubServer` whose endpoints can be
replaced one by one, and handlers that answer as a hostile server would (a redirect, an error body, a body
that never ends, a body that drips)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from kit.hub import HubServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HostileHub(HubServer):
    """A :class:`HubServer` whose endpoints can each be replaced by any aiohttp handler: ``handlers[path]``
    (the full path, ``/api/v1/orchestrator/hosts``). Replaced requests are recorded in ``requests`` too."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.handlers: dict[str, Handler] = {}

    async def _take(self, request: web.Request, normal: Handler) -> web.StreamResponse:
        handler = self.handlers.get(request.path)
        if handler is None:
            return await normal(request)
        self._record(request)
        return await handler(request)

    async def _login(self, request: web.Request) -> web.Response:
        return await self._take(request, super()._login)  # type: ignore[return-value]

    async def _hosts(self, request: web.Request) -> web.Response:
        return await self._take(request, super()._hosts)  # type: ignore[return-value]

    async def _machines(self, request: web.Request) -> web.Response:
        return await self._take(request, super()._machines)  # type: ignore[return-value]

    async def _subscribe(self, request: web.Request) -> web.StreamResponse:
        return await self._take(request, super()._subscribe)


def redirect_to(location: str, status: int = 301) -> Handler:
    """A handler answering a redirect to ``location``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": location}, text="moved")

    return handler


def answer(status: int, body: Any) -> Handler:
    """A handler answering ``status`` with ``body`` as JSON."""

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response(body, status=status)

    return handler


def endless_list(chunk: int = 64 * 1024, length: int | None = None, stop_after: int = 1 << 30) -> Handler:
    """A handler whose JSON list does not end (chunked; it gives up after ``stop_after`` bytes so that a
    client without a cap cannot eat the test machine), or that declares ``length`` bytes up front."""
    record = json.dumps({"id": "x" * 40, "state": "healthy"}) + ","
    piece = (record * (chunk // len(record) + 1)).encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        if length is not None:
            resp.content_length = length
        await resp.prepare(request)
        await resp.write(b"[")
        with contextlib.suppress(ConnectionError, RuntimeError):
            for _ in range(stop_after // len(piece)):
                await resp.write(piece)
        return resp

    return handler


def dripping(every: float, text: bytes = b'[{"id": "a", "state": "healthy"}' + b" " * 10_000) -> Handler:
    """A handler that answers at once, then sends its body one byte every ``every`` seconds."""

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError, RuntimeError):
            for byte in text:
                await resp.write(bytes([byte]))
                await asyncio.sleep(every)
        return resp

    return handler
