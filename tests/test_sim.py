"""The embedded simulator: its world (deterministic, consistent with its own events) and its server
(the Events Hub protocol over real sockets on 127.0.0.1, driven as a client would)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tui.hub.models import Envelope, HostRecord, VMRecord
from tui.sim import Simulator, World, serve, start
from tui.sim.frames import rfc3339_nano

TOKEN = "sim-test-token"
API_KEY = "sim-test-api-key"
PASSWORD = "sim-test-password"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

HEX64 = re.compile(r"^[0-9a-f]{64}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
GO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")

LEGAL_TRANSITIONS = {
    ("stopped", "starting"), ("starting", "running"),
    ("running", "stopping"), ("stopping", "stopped"),
    ("running", "suspending"), ("suspending", "suspended"),
    ("suspended", "resuming"), ("resuming", "running"),
    ("running", "paused"), ("paused", "resuming"), ("paused", "stopping"),
    ("running", "resetting"), ("resetting", "running"),
}


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(token=TOKEN, api_key=API_KEY, password=PASSWORD, hosts=3, vms=4, seed=7)
    runner, _ = await start(simulator=simulator)
    try:
        yield simulator
    finally:
        await runner.cleanup()


def ws_url(sim: Simulator, channels: str = "orchestrator,health", **query: str) -> str:
    assert sim.url
    params = "&".join([f"event_types={channels}", *(f"{key}={value}" for key, value in query.items())])
    return sim.url.replace("http://", "ws://") + f"/api/v1/ws/subscribe?{params}"


def rest(sim: Simulator, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    assert sim.url
    return httpx.AsyncClient(base_url=sim.url + "/api", headers=BEARER if headers is None else headers)


@contextlib.asynccontextmanager
async def subscribed(
    sim: Simulator, channels: str = "orchestrator,health", headers: dict[str, str] | None = None, **query: str
) -> AsyncIterator[tuple[ClientConnection, dict[str, Any]]]:
    """A live subscription and its confirmation frame."""
    async with connect(ws_url(sim, channels, **query), additional_headers=BEARER if headers is None else headers,
                       open_timeout=2) as ws:
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
    """The HTTP status and error JSON of a subscribe the server refuses before the upgrade."""
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, additional_headers=headers or {}, open_timeout=2):
            pass
    response = info.value.response
    return response.status_code, json.loads(response.body or b"{}")


def assert_error_json(body: dict[str, Any], code: int) -> None:
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["stack"] == []


# ----------------------------------------------------------------------------- login


@pytest.mark.parametrize("credentials", [
    {"email": "admin@example.com", "password": PASSWORD},
    {"username": "admin", "password": PASSWORD},
    {"api_key": API_KEY},
])
async def test_login_returns_a_token(sim: Simulator, credentials: dict[str, str]) -> None:
    async with rest(sim, headers={}) as client:
        response = await client.post("/v1/auth/token", json=credentials)
    assert response.status_code == 200
    body = response.json()
    assert body["token"] == TOKEN
    assert body["email"] == "admin@example.com"
    assert isinstance(body["expires_at"], int)


@pytest.mark.parametrize("credentials", [
    {"email": "admin@example.com", "password": "wrong"},
    {"email": "someone@example.com", "password": PASSWORD},
    {"api_key": "wrong"},
])
async def test_login_with_wrong_credentials_is_401(sim: Simulator, credentials: dict[str, str]) -> None:
    async with rest(sim, headers={}) as client:
        response = await client.post("/v1/auth/token", json=credentials)
    assert response.status_code == 401
    assert_error_json(response.json(), 401)


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'{"email": "admin@example.com"}'])
async def test_login_with_a_bad_body_is_400(sim: Simulator, content: bytes) -> None:
    async with rest(sim, headers={}) as client:
        response = await client.post("/v1/auth/token", content=content,
                                     headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert_error_json(response.json(), 400)


# ----------------------------------------------------------------------------- subscribe


@pytest.mark.parametrize("headers", [None, {"Authorization": "Bearer wrong"}, {"X-Api-Key": "wrong"}])
async def test_subscribe_without_valid_auth_is_401_before_upgrade(sim: Simulator, headers) -> None:
    status, body = await refused(ws_url(sim), headers)
    assert status == 401
    assert_error_json(body, 401)
    assert sim.connections == []


@pytest.mark.parametrize(("headers", "query"), [
    ({"Authorization": f"Bearer {TOKEN}"}, {}),
    ({"X-Api-Key": API_KEY}, {}),
    ({}, {"access_token": TOKEN}),
    ({}, {"authorization": TOKEN}),
])
async def test_subscribe_accepts_every_auth_form(sim: Simulator, headers: dict[str, str],
                                                 query: dict[str, str]) -> None:
    async with subscribed(sim, "orchestrator", headers=headers, **query) as (_, confirmation):
        assert confirmation["body"]["subscriptions"] == ["orchestrator", "global"]


async def test_confirmation_frame_shape_and_unknown_channels_dropped(sim: Simulator) -> None:
    async with subscribed(sim, "Orchestrator,bogus,HEALTH,pdfm") as (_, confirmation):
        assert set(confirmation) == {"id", "event_type", "timestamp", "message", "body"}
        assert HEX64.match(confirmation["id"])
        assert GO_TIME.match(confirmation["timestamp"])
        assert confirmation["event_type"] == "global"
        assert confirmation["message"] == "WebSocket connection established subscribed to global by default"
        body = confirmation["body"]
        assert UUID.match(body["client_id"])
        assert body["subscriptions"] == ["orchestrator", "health", "pdfm", "global"]
        assert body["client_id"] in sim.clients
    assert sim.connections == [(["Orchestrator", "bogus", "HEALTH", "pdfm"], ["orchestrator", "health", "pdfm", "global"])]


async def test_ping_gets_a_pong_with_ref_id(sim: Simulator) -> None:
    async with subscribed(sim) as (ws, confirmation):
        await ws.send(json.dumps({"id": "ping-1", "event_type": "health", "message": "ping"}))
        pong = (await frames_until(ws, lambda f: f["message"] == "pong"))[-1]
        assert set(pong) == {"id", "ref_id", "event_type", "timestamp", "message", "client_id"}
        assert pong["event_type"] == "health"
        assert pong["ref_id"] == "ping-1"
        assert pong["client_id"] == confirmation["body"]["client_id"]
        assert HEX64.match(pong["id"]) and GO_TIME.match(pong["timestamp"])

        await ws.send(json.dumps({"event_type": "health", "message": "ping"}))
        pong = (await frames_until(ws, lambda f: f["message"] == "pong"))[-1]
        assert pong["ref_id"] == ""


async def test_pongs_are_sent_without_the_health_subscription(sim: Simulator) -> None:
    async with subscribed(sim, "pdfm") as (ws, _):
        await ws.send(json.dumps({"event_type": "health", "message": "ping"}))
        assert (await frames_until(ws, lambda f: f["message"] == "pong"))[-1]["event_type"] == "health"


async def test_stalled_pongs_go_unanswered(sim: Simulator) -> None:
    sim.stall_pongs = True
    async with subscribed(sim, "health") as (ws, _):
        await ws.send(json.dumps({"event_type": "health", "message": "ping"}))
        await ws.send(json.dumps({"event_type": "system", "message": "client-id"}))
        frames = await frames_until(ws, lambda f: f["message"] == "client-id")
    assert [f["message"] for f in frames] == ["client-id"]


async def test_client_id_request(sim: Simulator) -> None:
    async with subscribed(sim) as (ws, confirmation):
        await ws.send(json.dumps({"event_type": "system", "message": "client-id"}))
        reply = (await frames_until(ws, lambda f: f["message"] == "client-id"))[-1]
    client_id = confirmation["body"]["client_id"]
    assert reply["event_type"] == "system"
    assert reply["body"] == {"client-id": client_id}
    assert reply["client_id"] == client_id


@pytest.mark.parametrize(("sent", "mentions"), [
    ("this is not json", "JSON"),
    (json.dumps({"event_type": "nonsense", "message": "hello"}), "nonsense"),
    (json.dumps(["a", "list"]), "object"),
])
async def test_garbage_gets_an_error_frame(sim: Simulator, sent: str, mentions: str) -> None:
    async with subscribed(sim, "health") as (ws, confirmation):
        await ws.send(sent)
        error = (await frames_until(ws, lambda f: f["message"] == "error"))[-1]
    assert error["event_type"] == "global"
    assert mentions in error["body"]["error"]
    assert error["client_id"] == confirmation["body"]["client_id"]


async def test_conflict_when_one_connection_per_ip() -> None:
    simulator = Simulator(token=TOKEN, hosts=1, vms=1, seed=1, one_connection_per_ip=True)
    runner, _ = await start(simulator=simulator)
    try:
        async with subscribed(simulator, "health"):
            status, body = await refused(ws_url(simulator, "health"), BEARER)
            assert status == 409
            assert_error_json(body, 409)
        async with asyncio.timeout(1.5):
            while simulator.clients:
                await asyncio.sleep(0.01)
        async with subscribed(simulator, "health") as (_, confirmation):
            assert confirmation["message"].startswith("WebSocket connection established")
    finally:
        await runner.cleanup()


async def test_hub_not_running_is_503(sim: Simulator) -> None:
    sim.hub_running = False
    status, body = await refused(ws_url(sim), BEARER)
    assert status == 503
    assert_error_json(body, 503)


# ----------------------------------------------------------------------------- routing


async def test_events_arrive_only_for_subscribed_channels(sim: Simulator) -> None:
    async with subscribed(sim, "health,stats") as (ws, _):
        hidden = [sim.emit(channel, "SOMETHING", {"n": 1}) for channel in ("orchestrator", "pdfm", "auth")]
        marker = sim.emit("health", "MARKER")
        frames = await frames_until(ws, lambda f: f["id"] == marker)
    assert {f["event_type"] for f in frames} <= {"global", "health", "stats"}
    assert not {f["id"] for f in frames} & set(hidden)
    assert "body" not in frames[-1]


async def test_the_world_streams_orchestrator_events(sim: Simulator) -> None:
    host_ids = {host["id"] for host in sim.world.hosts_json()}
    async with subscribed(sim, "orchestrator") as (ws, _):
        frames = await frames_until(ws, lambda f: f["message"] == "HOST_STATS_UPDATE")
    assert {f["event_type"] for f in frames} <= {"orchestrator", "global"}
    stats = frames[-1]
    Envelope.model_validate(stats)
    assert stats["body"]["host_id"] in host_ids
    assert {"cpu_percent", "memory_bytes", "memory_alloc_bytes", "goroutines", "cpu_user_seconds",
            "cpu_system_seconds"} <= set(stats["body"]["stats"])


async def test_queue_keeps_the_newest_2048_frames(sim: Simulator) -> None:
    async with subscribed(sim, "health") as (ws, confirmation):
        ids = [sim.emit("health", "FILLER", {"n": n}) for n in range(3000)]
        frames = await frames_until(ws, lambda f: f["id"] == ids[-1])
    assert [f["id"] for f in frames] == ids[-2048:]
    assert sim.sent_counts[confirmation["body"]["client_id"]] >= 2049


async def test_broadcast_raw_reaches_every_client_verbatim(sim: Simulator) -> None:
    async with subscribed(sim, "health") as (first, _), subscribed(sim, "pdfm") as (second, _):
        sim.broadcast_raw("{not json")
        sim.broadcast_raw(b"\x00\x01binary")
        for ws in (first, second):
            async with asyncio.timeout(1.5):
                assert await ws.recv() == "{not json"
                assert await ws.recv() == b"\x00\x01binary"


@pytest.mark.parametrize("code", [None, 1012])
async def test_drop_all(sim: Simulator, code: int | None) -> None:
    async with subscribed(sim, "health") as (ws, _):
        await sim.drop_all(code)
        with pytest.raises(ConnectionClosed) as info:
            async with asyncio.timeout(1.5):
                while True:
                    await ws.recv()
    received = info.value.rcvd
    if code is None:
        assert received is None  # no close frame: the TCP connection was cut
    else:
        assert received is not None and received.code == code


# ----------------------------------------------------------------------------- unsubscribe


async def test_unsubscribe_answers(sim: Simulator) -> None:
    async with subscribed(sim, "orchestrator,health,pdfm") as (ws, confirmation):
        client_id = confirmation["body"]["client_id"]
        async with rest(sim) as client:
            all_removed = await client.post("/v1/ws/unsubscribe", json={"client_id": client_id,
                                                                        "event_types": ["pdfm"]})
            part_removed = await client.post("/v1/ws/unsubscribe", json={"client_id": client_id,
                                                                         "event_types": ["orchestrator", "pdfm"]})
            unknown = await client.post("/v1/ws/unsubscribe", json={"client_id": "no-such-client",
                                                                    "event_types": ["health"]})
            only_global = await client.post("/v1/ws/unsubscribe", json={"client_id": client_id,
                                                                        "event_types": ["global"]})
        async with rest(sim, headers={}) as anonymous:
            no_auth = await anonymous.post("/v1/ws/unsubscribe", json={"client_id": client_id,
                                                                       "event_types": ["health"]})
        assert sim.clients[client_id].subscriptions == ["health", "global"]
        hidden = sim.emit("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "x", "state": "healthy"})
        marker = sim.emit("health", "MARKER")
        frames = await frames_until(ws, lambda f: f["id"] == marker)

    assert (all_removed.status_code, all_removed.content) == (200, b"")
    assert part_removed.status_code == 200
    assert part_removed.json() == {"code": 200,
                                   "message": "not subscribed to event type pdfm unsubscribed from: orchestrator"}
    for response in (unknown, only_global):
        assert response.status_code == 400
        assert_error_json(response.json(), 400)
    assert no_auth.status_code == 401
    assert hidden not in {f["id"] for f in frames}
    assert sim.unsubscribe_calls == [
        (client_id, ["pdfm"]),
        (client_id, ["orchestrator", "pdfm"]),
        ("no-such-client", ["health"]),
        (client_id, ["global"]),
    ]


# ----------------------------------------------------------------------------- REST truth


async def test_hosts_and_machines_shapes(sim: Simulator) -> None:
    async with rest(sim) as client:
        hosts = (await client.get("/v1/orchestrator/hosts")).json()
        machines = (await client.get("/v1/orchestrator/machines")).json()
    async with rest(sim, headers={}) as anonymous:
        assert (await anonymous.get("/v1/orchestrator/hosts")).status_code == 401
        assert (await anonymous.get("/v1/orchestrator/machines")).status_code == 401

    assert len(hosts) == 3
    for host in hosts:
        record = HostRecord.model_validate(host)
        assert HEX64.match(record.id)
        assert re.match(r"^http://(mac-mini|mac-studio|macbook-pro|mac-pro)-\d\d\.local:80/api$", record.host)
        assert record.state in ("healthy", "unhealthy")
        assert record.os_name == "macOS"
        assert record.architecture in ("arm64", "x86_64")
        assert set(host["resources"]) == {"logical_cpu_count", "memory_size", "disk_size", "free_disk_size",
                                          "total_apple_vms", "mac_vms_running"}
    host_ids = {host["id"] for host in hosts}
    assert len(machines) == 12
    for machine in machines:
        assert {"ID", "Name", "State", "OS", "Uptime", "Description", "Home", "host_id", "host_name",
                "host_state"} <= set(machine)
        record = VMRecord.model_validate(machine)
        assert UUID.match(record.id)
        assert record.host_id in host_ids
        assert record.state in ("running", "stopped", "suspended", "paused")


async def test_hub_stats_and_clients(sim: Simulator) -> None:
    async with subscribed(sim, "orchestrator,health") as (_, confirmation), rest(sim) as client:
        stats = (await client.get("/v1/ws/stats")).json()
        clients = (await client.get("/v1/ws/clients")).json()
    assert stats["total_clients"] == 1
    assert stats["type_stats"] == {"orchestrator": 1, "health": 1, "global": 1}
    assert stats["total_subscriptions"] == 3
    [info] = clients
    assert info["id"] == confirmation["body"]["client_id"]
    assert info["event_subscriptions"] == ["orchestrator", "health", "global"]
    assert isinstance(info["queue_depth"], int)


async def test_serve_prints_where_and_stops_on_cancel() -> None:
    lines: list[str] = []
    task = asyncio.create_task(serve(port=0, token=TOKEN, hosts=2, vms=2, seed=3, print=lines.append))
    try:
        async with asyncio.timeout(1.5):
            while len(lines) < 4:
                await asyncio.sleep(0.01)
        match = re.match(r"^hubtop simulator on (http://127\.0\.0\.1:\d+)  \(2 hosts, 4 VMs, seed 3\)$", lines[0])
        assert match, lines[0]
        assert lines[1] == f"token: {TOKEN}"
        assert f"--url {match.group(1)}" in lines[3]
        async with httpx.AsyncClient(base_url=match.group(1) + "/api", headers=BEARER) as client:
            assert len((await client.get("/v1/orchestrator/hosts")).json()) == 2
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


# ----------------------------------------------------------------------------- the world


def test_world_is_deterministic_for_a_seed() -> None:
    first, second = World(hosts=5, vms=6, seed=42), World(hosts=5, vms=6, seed=42)
    assert first.hosts_json() == second.hosts_json()
    assert first.machines_json() == second.machines_json()
    in_seconds = [event for _ in range(120) for event in first.step(1.0)]
    in_ticks = [event for _ in range(1200) for event in second.step(0.1)]
    assert in_seconds == in_ticks
    assert first.machines_json() == second.machines_json()
    assert World(hosts=5, vms=6, seed=43).hosts_json() != World(hosts=5, vms=6, seed=42).hosts_json()


def test_world_sends_stats_once_a_second_per_reachable_host() -> None:
    world = World(hosts=4, vms=2, seed=1)
    events = world.step(10.0)
    dropped = {body["host_id"] for _, message, body in events if message == "HOST_WEBSOCKET_DISCONNECTED"}
    stats = collections.Counter(body["host_id"] for _, message, body in events if message == "HOST_STATS_UPDATE")
    for host in world.hosts_json():
        if host["id"] not in dropped:
            assert stats[host["id"]] == 10


def _projection(world: World) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    hosts = {
        host["id"]: {"host": host["host"], "description": host["description"], "state": host["state"],
                     "mac_vms_running": host["resources"]["mac_vms_running"]}
        for host in world.hosts_json()
    }
    return hosts, {vm["ID"]: vm for vm in world.machines_json()}


def test_world_state_matches_its_events() -> None:
    """A client that applies every orchestrator event ends where hosts_json()/machines_json() are."""
    world = World(hosts=12, vms=8, seed=11)
    hosts, vms = _projection(world)
    links = dict.fromkeys(hosts, "connected")
    link_of = {"HOST_WEBSOCKET_CONNECTED": "connected", "HOST_WEBSOCKET_DISCONNECTED": "disconnected",
               "HOST_WEBSOCKET_DEGRADED": "degraded"}
    seen: collections.Counter[str] = collections.Counter()
    for _ in range(1800):
        for channel, message, body in world.step(1.0):
            if channel != "orchestrator":
                continue
            seen[message] += 1
            host_id = body["host_id"]
            if message == "HOST_ADDED":
                hosts[host_id] = {"host": body["host"], "description": body["description"], "state": "",
                                  "mac_vms_running": 0}
            elif message == "HOST_REMOVED":
                del hosts[host_id], links[host_id]
                vms = {vm_id: vm for vm_id, vm in vms.items() if vm["host_id"] != host_id}
            elif message == "HOST_HEALTH_UPDATE":
                hosts[host_id]["state"] = body["state"]
                for vm in vms.values():
                    if vm["host_id"] == host_id:
                        vm["host_state"] = body["state"]
            elif message in link_of:
                links[host_id] = link_of[message]
            elif message == "HOST_MAC_VMS_RUNNING_NOW":
                hosts[host_id]["mac_vms_running"] = len(body["event"]["mac_vms_running"])
            elif message in ("HOST_VM_ADDED", "HOST_VM_UPDATED"):
                vms[body["event"]["vm_id"]] = body["event"]["new_vm"]
            elif message == "HOST_VM_REMOVED":
                del vms[body["event"]["vm_id"]]
            elif message == "HOST_VM_STATE_CHANGED":
                event = body["event"]
                vm = vms[event["vm_id"]]
                assert vm["State"] == event["previous_state"]
                assert (event["previous_state"], event["current_state"]) in LEGAL_TRANSITIONS
                vm["State"] = event["current_state"]
            elif message == "HOST_VM_UPTIME_CHANGED":
                vms[body["event"]["vm_id"]]["Uptime"] = body["event"]["uptime"]
    assert (hosts, vms) == _projection(world)
    assert links == world.host_links()
    assert set(seen) >= {
        "HOST_STATS_UPDATE", "HOST_VM_STATE_CHANGED", "HOST_VM_UPTIME_CHANGED", "HOST_VM_ADDED",
        "HOST_VM_REMOVED", "HOST_VM_UPDATED", "HOST_HEALTH_UPDATE", "HOST_WEBSOCKET_DISCONNECTED",
        "HOST_WEBSOCKET_CONNECTED", "HOST_WEBSOCKET_DEGRADED", "HOST_ADDED", "HOST_REMOVED", "HOST_LOGS_UPDATE",
        "HOST_MAC_VMS_RUNNING_NOW",
    }


def test_world_feeds_the_other_channels() -> None:
    channels = {channel for channel, _, _ in World(hosts=3, vms=3, seed=5).step(600.0)}
    assert channels == {"orchestrator", "pdfm", "stats", "system_logs", "job_manager", "catalog_cache",
                        "reverse_proxy", "auth"}


def test_flood_frames_are_a_realistic_mix_that_leaves_the_world_alone() -> None:
    world, twin = World(hosts=6, vms=5, seed=9), World(hosts=6, vms=5, seed=9)
    states = {vm["ID"]: vm["State"] for vm in world.machines_json()}
    frames = [json.loads(text) for text in world.flood_frames(2000)]
    assert len(frames) == 2000
    assert len({frame["id"] for frame in frames}) == 2000
    assert all(HEX64.match(frame["id"]) and GO_TIME.match(frame["timestamp"]) for frame in frames)
    messages = collections.Counter(frame["message"] for frame in frames)
    assert messages["HOST_STATS_UPDATE"] > 1000
    assert messages["HOST_VM_STATE_CHANGED"] > 100
    for frame in frames:  # the state changes, applied in order, take every VM round to where it was
        if frame["message"] == "HOST_VM_STATE_CHANGED":
            event = frame["body"]["event"]
            assert states[event["vm_id"]] == event["previous_state"]
            states[event["vm_id"]] = event["current_state"]
    assert states == {vm["ID"]: vm["State"] for vm in world.machines_json()}
    assert world.step(30.0) == twin.step(30.0)


@pytest.mark.parametrize(("unix_ns", "text"), [
    (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456789Z"),
    (1_700_000_000_120_000_000, "2023-11-14T22:13:20.12Z"),
    (1_700_000_000_000_000_000, "2023-11-14T22:13:20Z"),
])
def test_timestamps_look_like_go(unix_ns: int, text: str) -> None:
    assert rfc3339_nano(unix_ns) == text
