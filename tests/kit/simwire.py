"""The simulator's own tests: its secrets, a small served world (:data:`served`), raw WebSocket subscriptions and
REST calls to it, the shapes of ids and times the real server uses, and of its error bodies."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from kit.sim import simulator
from tui.sim import Simulator

TOKEN = "sim-test-token"
API_KEY = "sim-test-key:sim-test-secret"
#: the API key as clients send it (and as the server hands it out): base64 of KEY:SECRET
ENCODED_KEY = base64.b64encode(API_KEY.encode()).decode()
PASSWORD = "sim-test-password"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

HEX64 = re.compile(r"^[0-9a-f]{64}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
GO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


#: a simulator for its own tests: a small world and the secrets above (any option can still be given)
served = functools.partial(simulator, token=TOKEN, api_key=API_KEY, password=PASSWORD, hosts=3, vms=4, seed=7)


def ws_url(sim: Simulator, channels: str = "orchestrator,health", path: str = "/api/v1/ws/subscribe",
           **query: str) -> str:
    assert sim.url
    params = "&".join([f"event_types={channels}", *(f"{key}={value}" for key, value in query.items())])
    return sim.url.replace("http://", "ws://") + f"{path}?{params}"


def rest(sim: Simulator, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    assert sim.url
    return httpx.AsyncClient(base_url=sim.url + "/api", headers=BEARER if headers is None else headers)


@contextlib.asynccontextmanager
async def subscribed(
    sim: Simulator, channels: str = "orchestrator,health", headers: dict[str, str] | None = None, **query: str
) -> AsyncIterator[tuple[ClientConnection, dict[str, Any]]]:
    """A live subscription and its confirmation frame."""
    async with connect(ws_url(sim, channels, **query), additional_headers=BEARER if headers is None else headers,
                       open_timeout=2, close_timeout=0.5) as ws:
        confirmation = json.loads(await asyncio.wait_for(ws.recv(), 1.5))
        yield ws, confirmation


async def frames_until(ws: ClientConnection, done: Callable[[dict[str, Any]], bool],
                       timeout: float = 1.5) -> list[dict[str, Any]]:
    """Frames received up to and including the first one ``done`` accepts."""
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            seen.append(frame)
            if done(frame):
                return seen


async def refused(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of a subscribe the server refuses before the upgrade."""
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, additional_headers=headers or {}, open_timeout=2):
            pass
    response = info.value.response
    return response.status_code, json.loads(response.body or b"{}")


def assert_api_error(body: dict[str, Any], code: int) -> None:
    """Go ``ApiErrorResponse``: ``{"code", "message", "stack": [{"error", ...}]}``."""
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert [item["error"] for item in body["stack"]] == [body["message"]]


def assert_oauth_error(body: dict[str, Any], description: str | None = None) -> None:
    """What the auth middleware answers with a 401."""
    assert set(body) == {"error", "error_description"} and body["error"] == "unauthorized_client"
    if description is not None:
        assert body["error_description"] == description


def diagnostics_sentence(body: dict[str, Any], code: int) -> str:
    """A ``/ws/*`` error: the multi-line dump in ``message``, the sentence in ``diagnostics.errors``."""
    assert body["code"] == code
    assert body["message"].startswith("Operation: ") and "\n" in body["message"]
    [error] = body["diagnostics"]["errors"]
    assert error["code"] == str(code)
    return error["message"]
