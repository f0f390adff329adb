"""The simulated hub's REST side: log in, the auth check, the orchestrator's listings, VM power requests, the
hub's stats, clients and unsubscribe. Answers and error bodies have the real server's shapes (see
:mod:`.wire`). A part of :class:`~tui.sim.server.Simulator`, which it is mixed into."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .catalogue import REQUESTS
from .entities import RequestError
from .frames import rfc3339_nano
from .records import host_record, vm_record
from .wire import (
    API_KEY_FORMAT,
    api_error,
    diagnostics_error,
    go_duration,
    go_json,
    invalid_types_error,
    json_error,
    oauth_error,
    parse_channels,
)

if TYPE_CHECKING:
    from .server import Simulator as _Base
else:
    _Base = object

API_PREFIX = "/api"
LOGIN_PATHS = frozenset({f"{API_PREFIX}/v1/auth/token", f"{API_PREFIX}/auth/token"})
TOKEN_LIFETIME = 24 * 3600


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=go_json(body), status=status, content_type="application/json")


def error_response(code: int, message: str) -> web.Response:
    return json_response(api_error(code, message), code)


def diagnostics_response(code: int, message: str, operation: str) -> web.Response:
    return json_response(diagnostics_error(code, message, operation), code)


def decode_api_key(value: str) -> str | None:
    """``KEY:SECRET`` out of base64("KEY:SECRET"), or None for anything else (the server refuses it)."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if decoded.count(":") == 1 else None


async def _json_body(request: web.Request) -> tuple[Any, str]:
    """The request's JSON, and Go's complaint when it is not JSON ("" when it is)."""
    text = await request.text()
    if not text.strip():
        return None, "EOF"
    try:
        return json.loads(text), ""
    except ValueError:
        return None, json_error(text)


class RestApi(_Base):
    def rest_routes(self) -> list[tuple[str, str, Callable]]:
        power = [("PUT", f"/orchestrator/machines/{{id}}/{op}", self._power) for op in REQUESTS]
        host_power = [("PUT", f"/orchestrator/hosts/{{host}}/machines/{{id}}/{op}", self._power) for op in REQUESTS]
        return [
            ("POST", "/auth/token", self._login),
            ("POST", "/ws/unsubscribe", self._unsubscribe),
            ("GET", "/ws/stats", self._stats),
            ("GET", "/ws/clients", self._clients),
            ("GET", "/orchestrator/hosts", self._hosts),
            ("GET", "/orchestrator/hosts/{host}", self._host),
            ("GET", "/orchestrator/hosts/{host}/machines", self._host_machines),
            ("GET", "/orchestrator/machines", self._machines),
            ("GET", "/orchestrator/machines/{id}", self._machine),
            ("PUT", "/orchestrator/machines/{id}/set", self._set),
            ("PUT", "/orchestrator/hosts/{host}/machines/{id}/set", self._set),
            *power,
            *host_power,
        ]

    # ------------------------------------------------------------------ auth

    def _api_key_pair(self) -> str | None:
        """The configured key as ``KEY:SECRET`` (it may be given so, or base64-encoded as the server hands it out)."""
        if not self.api_key:
            return None
        return self.api_key if self.api_key.count(":") == 1 else decode_api_key(self.api_key)

    def _key_problem(self, value: str) -> str:
        """Why an API key (base64 of KEY:SECRET) is refused; "" when it is this server's key."""
        pair = decode_api_key(value)
        if pair is None:
            return API_KEY_FORMAT
        expected = self._api_key_pair()
        if expected is None or not hmac.compare_digest(pair.encode(), expected.encode()):
            return "Invalid API key"
        return ""

    def _is_token(self, value: str) -> bool:
        return hmac.compare_digest(value.strip().encode(), self.token.encode())

    def refusal(self, request: web.Request) -> web.Response | None:
        """The auth middleware: a Bearer token, an ``X-Api-Key``, or the ``access_token`` / ``authorization``
        query parameter; None when one is good, else its 401 in the OAuth shape."""
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer " and self._is_token(header[7:]):
            return None
        problem = "no valid token or API key in the request"
        key = request.headers.get("X-Api-Key")
        if key:
            problem = self._key_problem(key)
            if not problem:
                return None
        for name in ("access_token", "authorization"):
            value = request.query.get(name, "")
            if value[:7].lower() == "bearer ":
                value = value[7:]
            if value and self._is_token(value):
                return None
        if header and not key:
            problem = "invalid or expired token"
        return json_response(oauth_error(problem), 401)

    async def _login(self, request: web.Request) -> web.Response:
        body, problem = await _json_body(request)
        if problem or not isinstance(body, dict):
            return error_response(400, f"Invalid request body: {problem or 'expected an object'}")
        if "api_key" in body:
            key = body["api_key"]
            problem = self._key_problem(key) if isinstance(key, str) else API_KEY_FORMAT
            if problem:
                return error_response(400 if problem == API_KEY_FORMAT else 401, problem)
        else:
            name = body.get("email") or body.get("username")
            password = body.get("password")
            if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
                return error_response(400, "Invalid request body: email or username and password are required")
            valid = name in (self.user, self.user.split("@")[0]) and hmac.compare_digest(
                password.encode(), self.password.encode())
            if not valid:
                return error_response(401, "Invalid username or password")
        return json_response({"email": self.user, "token": self.token,
                              "expires_at": int(time.time()) + TOKEN_LIFETIME})

    # ------------------------------------------------------------------ the orchestrator's listings

    async def _hosts(self, request: web.Request) -> web.Response:
        return json_response(self.world.hosts_json())

    async def _host(self, request: web.Request) -> web.Response:
        try:
            return json_response(host_record(self.world.find_host(request.match_info["host"])))
        except RequestError as err:
            return error_response(err.code, err.message)

    async def _machines(self, request: web.Request) -> web.Response:
        return json_response(self.world.machines_json(), 202)  # the real server answers 202 Accepted here

    async def _host_machines(self, request: web.Request) -> web.Response:
        try:
            host = self.world.find_host(request.match_info["host"])
        except RequestError as err:
            return error_response(err.code, err.message)
        return json_response([vm_record(host, vm) for vm in host.vms.values()], 202)

    async def _machine(self, request: web.Request) -> web.Response:
        try:
            host, vm = self.world.find_vm(request.match_info["id"])
        except RequestError as err:
            return error_response(err.code, err.message)
        return json_response(vm_record(host, vm), 202)

    # ------------------------------------------------------------------ VM power

    def _checked_vm(self, request: web.Request) -> str:
        """The VM the path names; with a host in the path, it must be on that host."""
        ref = request.match_info["id"]
        if "host" in request.match_info:
            host = self.world.find_host(request.match_info["host"])
            if ref not in host.vms and not any(vm.name == ref for vm in host.vms.values()):
                raise RequestError(404, f"Virtual machine {ref} not found on host {host.id}")
        return ref

    async def _power(self, request: web.Request) -> web.Response:
        """``PUT .../machines/{id}/{operation}``: as the host answers it, ``{"id", "operation", "status"}``."""
        operation = request.path.rsplit("/", 1)[1]
        try:
            _, vm = self.world.request_power(self._checked_vm(request), operation)
        except RequestError as err:
            return error_response(err.code, err.message)
        return json_response({"id": vm.id, "operation": operation.capitalize(), "status": "Success"})

    async def _set(self, request: web.Request) -> web.Response:
        """``PUT .../machines/{id}/set`` with ``{"operations": [{"group": "state", "operation": "start"}]}``."""
        body, problem = await _json_body(request)
        operations = body.get("operations") if isinstance(body, dict) else None
        if problem or not isinstance(operations, list) or not operations:
            return error_response(400, f"Invalid request body: {problem or 'operations cannot be empty'}")
        try:
            ref = self._checked_vm(request)
            self.world.find_vm(ref)
        except RequestError as err:
            return error_response(err.code, err.message)
        results = []
        for op in operations:
            group = op.get("group", "") if isinstance(op, dict) else ""
            operation = op.get("operation", "") if isinstance(op, dict) else ""
            if group != "state" or operation not in REQUESTS:
                return error_response(400, f"Invalid request body: operation {operation or '(none)'} is not "
                                           f"supported for group {group or '(none)'}")
            result = {"group": group, "operation": operation, "status": "Success"}
            try:
                self.world.request_power(ref, operation)
            except RequestError as err:
                result.update(status="Error", error=err.message)
            results.append(result)
        return json_response({"operations": results})

    # ------------------------------------------------------------------ the hub

    async def _stats(self, request: web.Request) -> web.Response:
        type_stats: dict[str, int] = {}
        for client in self.clients.values():
            for channel in client.subscriptions:
                type_stats[channel] = type_stats.get(channel, 0) + 1
        return json_response({
            "total_clients": len(self.clients),
            "total_subscriptions": sum(type_stats.values()),
            "type_stats": type_stats,
            "messages_sent": 0,  # the server never counts them
            "start_time": rfc3339_nano(int(self.started_at * 1e9)),
            "uptime": go_duration(time.time() - self.started_at),
        })

    async def _clients(self, request: web.Request) -> web.Response:
        def stamp(moment: float | None) -> str:
            return rfc3339_nano(int((moment or self.started_at) * 1e9))

        return json_response([
            {
                "id": client.id,
                "user_id": client.username,
                "username": client.username,
                "connected_at": stamp(client.connected_at),
                "last_ping_at": stamp(client.last_ping_at or client.connected_at),
                "last_pong_at": stamp(client.last_pong_at or client.connected_at),
                "event_subscriptions": list(client.subscriptions),
                "is_alive": not client.ws.closed,
                "queue_depth": len(client.queue),
            }
            for client in self.clients.values()
        ])

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        """As the hub answers it: 200 empty, 200 with a note when only part went, or a 400 with diagnostics."""
        operation = "HandleUnsubscribe"
        body, problem = await _json_body(request)
        if problem or not isinstance(body, dict):
            return diagnostics_response(400, f"Invalid request body: {problem or 'expected an object'}", operation)
        client_id = body.get("client_id")
        names = body.get("event_types")
        names = [str(name) for name in names] if isinstance(names, list) else []
        self.unsubscribe_calls.append((str(client_id or ""), names))
        if not names:
            return diagnostics_response(400, "Invalid event_types body parameter", operation)
        channels, invalid = parse_channels(names)
        if not channels:
            return diagnostics_response(400, "No valid event types to unsubscribe: " + invalid_types_error(invalid),
                                        operation)
        client = self.clients.get(str(client_id or ""))
        if client is None:
            return diagnostics_response(400, f"client {client_id} does not exist", operation)
        removed: list[str] = []
        error = ""
        for channel in channels:
            if channel == "global":
                continue
            # the hub keeps one set of subscribers per channel: "not subscribed" means nobody is
            if any(channel in other.subscriptions for other in self.clients.values()):
                client.subscriptions = [name for name in client.subscriptions if name != channel]
                removed.append(channel)
            else:
                error = f"not subscribed to event type {channel}"
        if "global" in channels:
            error = "cannot unsubscribe from global event type"
        if not removed:
            return diagnostics_response(400, error, operation)
        if error:
            return json_response({"message": f"{error} unsubscribed from: {', '.join(removed)}", "code": 200})
        return web.Response(status=200)
