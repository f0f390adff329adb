"""Servers that say little or nothing: :class:`RawHub`, a ``websockets`` server for frame-level scripts that
answers the two snapshot listings itself (so a HubClient works against it unchanged); :class:`SilentServer`,
which accepts TCP connections and never answers; and :func:`free_port`, where nothing listens at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

from kit.wire import confirmation


def free_port() -> int:
    """A port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


RawScript = Callable[[ServerConnection], Awaitable[Any]]


class RawHub:
    """A ``websockets`` server for frame-level control, plus the two snapshot listings.

    Every WebSocket connection gets the confirmation (for the channels in its query) and then runs
    ``script(connection)``; when the script returns, the connection is left open until the client goes.
    ``GET /api/v1/orchestrator/hosts`` and ``.../machines`` are answered with ``hosts`` / ``machines``
    (counted in ``snapshots``). Records ``paths`` (request paths of upgrades) and ``active`` / ``max_active``.
    """

    def __init__(self, script: RawScript | None = None, **serve_options: Any) -> None:
        self.script = script
        #: extra options for ``websockets.serve`` (e.g. ``ping_interval``/``ping_timeout`` for protocol pings)
        self.serve_options = serve_options
        self.hosts: list[Any] = []
        self.machines: list[Any] = []
        self.snapshots = 0
        self.paths: list[str] = []
        self.connections: list[ServerConnection] = []
        self.active = 0
        self.max_active = 0
        self.port = 0
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        path = request.path.split("?")[0]
        if path.endswith("/v1/orchestrator/hosts"):
            self.snapshots += 1
            return connection.respond(HTTPStatus.OK, json.dumps(self.hosts))
        if path.endswith("/v1/orchestrator/machines"):
            return connection.respond(HTTPStatus.OK, json.dumps(self.machines))
        if not path.endswith("/v1/ws/subscribe"):
            return connection.respond(HTTPStatus.NOT_FOUND, "not found")
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        self.paths.append(connection.request.path)
        self.connections.append(connection)
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            query = connection.request.path.partition("?")[2]
            asked = []
            for part in query.split("&"):
                key, _, value = part.partition("=")
                if key == "event_types":
                    asked = [c for c in value.lower().split(",") if c]
            subs = [c for c in dict.fromkeys(asked) if c != "global"] + ["global"]
            await connection.send(confirmation(str(uuid.uuid4()), subs))
            if self.script is not None:
                await self.script(connection)
            await connection.wait_closed()
        finally:
            self.active -= 1

    async def __aenter__(self) -> RawHub:
        self._server = await serve(self._handler, "127.0.0.1", 0, process_request=self._process_request,
                                   **{"compression": None, "max_size": None, **self.serve_options})
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close(close_connections=False)
        for conn in self.connections:
            conn.transport.abort()
        await self._server.wait_closed()


class SilentServer:
    """Accepts TCP connections and never says a word (for timeouts). Counts ``accepted``."""

    def __init__(self) -> None:
        self.accepted = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.append(writer)
        with contextlib.suppress(Exception):
            while await reader.read(65536):
                pass

    async def __aenter__(self) -> SilentServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for w in self._writers:
            w.transport.abort()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
