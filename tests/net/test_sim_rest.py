"""The simulator's REST side as the real server answers: log in, API keys as base64(KEY:SECRET), the unversioned
aliases, unsubscribe, the orchestrator's listings (full records, 202 for machines), VM power requests with their
events, the hub's stats and clients, and the real error shapes. Over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from kit.simwire import (
    API_KEY,
    BEARER,
    ENCODED_KEY,
    HEX64,
    PASSWORD,
    TOKEN,
    UUID,
    assert_api_error,
    assert_oauth_error,
    diagnostics_sentence,
    frames_until,
    rest,
    served,
    subscribed,
)

from tui.sim import Simulator, serve


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with served(frozen=True, reorder=False) as simulator:
        yield simulator


# ----------------------------------------------------------------------------- log in and API keys


@pytest.mark.parametrize("credentials", [
    {"email": "admin@example.com", "password": PASSWORD},
    {"username": "admin", "password": PASSWORD},
    {"api_key": ENCODED_KEY},
])
@pytest.mark.parametrize("path", ["/v1/auth/token", "/auth/token"])
async def test_login_returns_a_token(sim: Simulator, credentials: dict[str, str], path: str) -> None:
    async with rest(sim, headers={}) as client:
        response = await client.post(path, json=credentials)
    assert response.status_code == 200
    assert response.json() == {"email": "admin@example.com", "token": TOKEN, "expires_at": response.json()["expires_at"]}
    assert isinstance(response.json()["expires_at"], int)


@pytest.mark.parametrize(("credentials", "status"), [
    ({"email": "admin@example.com", "password": "wrong"}, 401),
    ({"email": "someone@example.com", "password": PASSWORD}, 401),
    ({"api_key": base64.b64encode(b"sim-test-key:wrong").decode()}, 401),
    ({"api_key": API_KEY}, 400),  # KEY:SECRET as it is: not base64
    ({"api_key": "d3Jvbmc="}, 400),  # base64 of something that is no KEY:SECRET pair
])
async def test_login_with_wrong_credentials(sim: Simulator, credentials: dict[str, str], status: int) -> None:
    async with rest(sim, headers={}) as client:
        response = await client.post("/v1/auth/token", json=credentials)
    assert response.status_code == status
    assert_api_error(response.json(), status)
    if status == 400:
        assert response.json()["message"] == "API key must be in format base64(key:secret)"


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'{"email": "admin@example.com"}', b""])
async def test_login_with_a_bad_body_is_400(sim: Simulator, content: bytes) -> None:
    async with rest(sim, headers={}) as client:
        response = await client.post("/v1/auth/token", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert_api_error(response.json(), 400)


@pytest.mark.parametrize(("key", "refusal"), [
    (ENCODED_KEY, None),
    (API_KEY, "API key must be in format base64(key:secret)"),
    ("not base64 at all!", "API key must be in format base64(key:secret)"),
    (base64.b64encode(b"sim-test-key:other-secret").decode(), "Invalid API key"),
])
async def test_the_api_key_header_is_base64_of_key_and_secret(sim: Simulator, key: str, refusal: str | None) -> None:
    async with rest(sim, headers={"X-Api-Key": key}) as client:
        response = await client.get("/v1/orchestrator/hosts")
    assert response.status_code == (200 if refusal is None else 401)
    if refusal is not None:
        assert_oauth_error(response.json(), refusal)


async def test_the_api_key_option_may_be_given_encoded() -> None:
    async with served(api_key=ENCODED_KEY, frozen=True) as simulator, rest(simulator, {"X-Api-Key": ENCODED_KEY}) as c:
        assert (await c.get("/orchestrator/hosts")).status_code == 200


@pytest.mark.parametrize("path", ["/v1/orchestrator/hosts", "/orchestrator/machines", "/ws/stats", "/v1/ws/clients"])
async def test_without_auth_every_endpoint_is_401(sim: Simulator, path: str) -> None:
    async with rest(sim, headers={}) as client:
        response = await client.get(path)
    assert response.status_code == 401
    assert_oauth_error(response.json())


# ----------------------------------------------------------------------------- the orchestrator's listings


@pytest.mark.parametrize("version", ["/v1", ""])
async def test_hosts_and_machines_and_their_statuses(sim: Simulator, version: str) -> None:
    async with rest(sim) as client:
        hosts = await client.get(f"{version}/orchestrator/hosts")
        machines = await client.get(f"{version}/orchestrator/machines")
    assert (hosts.status_code, machines.status_code) == (200, 202)
    assert hosts.text.endswith("]\n") and machines.text.endswith("]\n")  # Go's json.Encoder
    assert len(hosts.json()) == 3 and len(machines.json()) == 12
    host_ids = {host["id"] for host in hosts.json()}
    for host in hosts.json():
        assert HEX64.match(host["id"])
        assert re.match(r"^http://(mac-mini|mac-studio|macbook-pro|mac-pro)-\d\d\.local:80/api$", host["host"])
        assert {"enabled", "architecture", "cpu_model", "has_websocket_events", "is_reverse_proxy_enabled",
                "is_log_streaming_enabled", "resources", "detailed_resources"} <= set(host)
        assert isinstance(host["resources"].get("mac_vms_running", []), list)
    for vm in machines.json():
        assert UUID.match(vm["ID"]) and vm["host_id"] in host_ids
        assert {"ID", "Name", "State", "OS", "Uptime", "Description", "Home", "Hardware", "host_id", "host_name",
                "host_state", "internal_ip_address"} <= set(vm)


async def test_a_running_macos_vm_puts_its_id_in_mac_vms_running() -> None:
    async with served(hosts=8, vms=5, seed=3, frozen=True) as simulator, rest(simulator) as client:
        hosts = (await client.get("/v1/orchestrator/hosts")).json()
        machines = (await client.get("/v1/orchestrator/machines")).json()
    for host in hosts:
        expected = [vm["ID"] for vm in machines if vm["host_id"] == host["id"] and vm["OS"] == "macosx"
                    and vm["State"] == "running"]
        assert host["resources"].get("mac_vms_running", []) == expected
    assert any(host["resources"].get("mac_vms_running") for host in hosts)


async def test_has_websocket_events_is_the_live_link_right_now(sim: Simulator) -> None:
    host = sim.world.find_host(sim.world.hosts_json()[0]["id"])
    async with rest(sim) as client:
        before = {h["id"]: h["has_websocket_events"] for h in (await client.get("/v1/orchestrator/hosts")).json()}
        host.link = "disconnected"
        after = {h["id"]: h["has_websocket_events"] for h in (await client.get("/v1/orchestrator/hosts")).json()}
    assert before[host.id] is True and after[host.id] is False


async def test_one_host_and_one_vm(sim: Simulator) -> None:
    vm = sim.world.machines_json()[0]
    async with rest(sim) as client:
        host = await client.get(f"/v1/orchestrator/hosts/{vm['host_id']}")
        its_vms = await client.get(f"/v1/orchestrator/hosts/{vm['host_id']}/machines")
        one = await client.get(f"/v1/orchestrator/machines/{vm['ID']}")
        missing = await client.get("/v1/orchestrator/hosts/no-such-host")
    assert (host.status_code, its_vms.status_code, one.status_code) == (200, 202, 202)
    assert host.json()["id"] == vm["host_id"] and one.json() == vm
    assert vm in its_vms.json()
    assert missing.status_code == 404
    assert_api_error(missing.json(), 404)


# ----------------------------------------------------------------------------- VM power


async def test_starting_a_vm_goes_through_starting_to_running_with_the_usual_events(sim: Simulator) -> None:
    vm = next(vm for vm in sim.world.machines_json() if vm["State"] == "stopped" and vm["host_state"] == "healthy")
    async with subscribed(sim, "orchestrator") as (ws, _), rest(sim) as client:
        response = await client.put(f"/v1/orchestrator/machines/{vm['Name']}/start")
        changes = await frames_until(ws, lambda f: f["body"].get("event", {}).get("current_state") == "running",
                                     timeout=12)
        again = await client.put(f"/v1/orchestrator/machines/{vm['ID']}/start")
    assert response.status_code == 200
    assert response.json() == {"id": vm["ID"], "operation": "Start", "status": "Success"}
    states = [(f["body"]["event"]["previous_state"], f["body"]["event"]["current_state"])
              for f in changes if f["message"] == "HOST_VM_STATE_CHANGED"]
    assert states == [("stopped", "starting"), ("starting", "running")]
    assert {f["body"]["host_id"] for f in changes} == {vm["host_id"]}
    assert next(v for v in sim.world.machines_json() if v["ID"] == vm["ID"])["State"] == "running"
    assert again.status_code == 400 and "running" in again.json()["message"]


async def test_set_with_a_state_operation(sim: Simulator) -> None:
    vm = next(vm for vm in sim.world.machines_json() if vm["State"] == "running" and vm["host_state"] == "healthy")
    async with rest(sim) as client:
        stop = await client.put(f"/v1/orchestrator/machines/{vm['ID']}/set",
                                json={"operations": [{"group": "state", "operation": "stop"}]})
        busy = await client.put(f"/orchestrator/hosts/{vm['host_id']}/machines/{vm['ID']}/set",
                                json={"operations": [{"group": "state", "operation": "start"}]})
        no_body = await client.put(f"/v1/orchestrator/machines/{vm['ID']}/set")
        other = await client.put(f"/v1/orchestrator/machines/{vm['ID']}/set",
                                 json={"operations": [{"group": "cpu", "operation": "set", "value": "4"}]})
    assert stop.json() == {"operations": [{"group": "state", "operation": "stop", "status": "Success"}]}
    [result] = busy.json()["operations"]
    assert result["status"] == "Error" and "busy" in result["error"]
    for response in (no_body, other):
        assert response.status_code == 400
        assert_api_error(response.json(), 400)


async def test_power_requests_the_server_refuses(sim: Simulator) -> None:
    vm = sim.world.machines_json()[0]
    host = sim.world.find_host(vm["host_id"])
    async with rest(sim) as client:
        unknown = await client.put("/v1/orchestrator/machines/no-such-vm/start")
        wrong_host = await client.put(f"/v1/orchestrator/hosts/{'0' * 64}/machines/{vm['ID']}/stop")
        host.state = "unhealthy"
        sick = await client.put(f"/v1/orchestrator/machines/{vm['ID']}/stop")
    for response, status in ((unknown, 404), (wrong_host, 404), (sick, 400)):
        assert response.status_code == status
        assert_api_error(response.json(), status)
    assert sick.json()["message"] == f"Host {host.id} is not healthy"


# ----------------------------------------------------------------------------- the hub


async def test_hub_stats_and_clients(sim: Simulator) -> None:
    async with subscribed(sim, "orchestrator,health") as (_, confirmation), rest(sim) as client:
        sim.emit("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h", "state": "healthy"})
        await asyncio.sleep(0.25)
        stats = (await client.get("/v1/ws/stats")).json()
        sim.hold = True
        sim.emit("health", "QUEUED")
        clients = (await client.get("/ws/clients")).json()
    assert stats["total_clients"] == 1 and stats["total_subscriptions"] == 3
    assert stats["type_stats"] == {"orchestrator": 1, "health": 1, "global": 1}
    assert stats["messages_sent"] == 0  # never counted by the server
    [info] = clients
    assert set(info) == {"id", "user_id", "username", "connected_at", "last_ping_at", "last_pong_at",
                         "event_subscriptions", "is_alive", "queue_depth"}
    assert info["id"] == confirmation["body"]["client_id"]
    assert info["event_subscriptions"] == ["orchestrator", "health", "global"]
    assert info["queue_depth"] == 1 and info["is_alive"] is True


async def test_unsubscribe_answers(sim: Simulator) -> None:
    async with subscribed(sim, "orchestrator,health,pdfm") as (ws, confirmation):
        client_id = confirmation["body"]["client_id"]
        async with rest(sim) as client:
            calls = {name: await client.post("/v1/ws/unsubscribe", json={"client_id": cid, "event_types": types})
                     for name, cid, types in [("pdfm", client_id, ["pdfm"]), ("part", client_id, ["orchestrator", "pdfm"]),
                                              ("unknown", "no-such-client", ["health"]),
                                              ("global", client_id, ["global"]), ("bogus", client_id, ["bogus"]),
                                              ("none", client_id, [])]}
            no_body = await client.post("/ws/unsubscribe")
        async with rest(sim, headers={}) as anonymous:
            no_auth = await anonymous.post("/v1/ws/unsubscribe", json={"client_id": client_id, "event_types": ["health"]})
        assert sim.clients[client_id].subscriptions == ["health", "global"]
        hidden = sim.emit("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "x", "state": "healthy"})
        marker = sim.emit("health", "MARKER")
        frames = await frames_until(ws, lambda f: f["id"] == marker)
    assert (calls["pdfm"].status_code, calls["pdfm"].content) == (200, b"")
    assert (calls["part"].status_code, calls["part"].json()) == (
        200, {"message": "not subscribed to event type pdfm unsubscribed from: orchestrator", "code": 200})
    sentences = {name: diagnostics_sentence(calls[name].json(), 400) for name in ("unknown", "global", "bogus", "none")}
    assert sentences["unknown"] == "client no-such-client does not exist"
    assert sentences["global"] == "cannot unsubscribe from global event type"
    assert sentences["bogus"].startswith("No valid event types to unsubscribe: invalid event type(s): bogus")
    assert sentences["none"] == "Invalid event_types body parameter"
    assert diagnostics_sentence(no_body.json(), 400) == "Invalid request body: EOF"  # it needs a JSON body
    assert no_auth.status_code == 401
    assert hidden not in {f["id"] for f in frames}
    assert sim.unsubscribe_calls[:2] == [(client_id, ["pdfm"]), (client_id, ["orchestrator", "pdfm"])]


async def test_not_subscribed_is_checked_across_all_clients(sim: Simulator) -> None:
    """The hub keeps one set of subscribers per channel: removing a channel this client never had still
    answers 200 when another client has it."""
    async with subscribed(sim, "orchestrator") as (_, mine), subscribed(sim, "pdfm"), rest(sim) as client:
        someone_has_it = await client.post("/v1/ws/unsubscribe", json={"client_id": mine["body"]["client_id"],
                                                                       "event_types": ["pdfm"]})
        nobody_has_it = await client.post("/v1/ws/unsubscribe", json={"client_id": mine["body"]["client_id"],
                                                                       "event_types": ["auth"]})
    assert (someone_has_it.status_code, someone_has_it.content) == (200, b"")
    assert nobody_has_it.status_code == 400
    assert diagnostics_sentence(nobody_has_it.json(), 400) == "not subscribed to event type auth"


async def test_serve_prints_where_and_stops_on_cancel() -> None:
    lines: list[str] = []
    task = asyncio.create_task(serve(port=0, token=TOKEN, hosts=2, vms=2, seed=3, print=lines.append))
    try:
        async with asyncio.timeout(1.5):
            while len(lines) < 5:
                await asyncio.sleep(0.01)
        match = re.match(r"^hubtop simulator on (http://127\.0\.0\.1:\d+)  \(2 hosts, 4 VMs, seed 3\)$", lines[0])
        assert match, lines[0]
        assert lines[1] == f"token: {TOKEN}"
        assert f"--url {match.group(1)}" in lines[3]
        assert f"{match.group(1)}/api/v1/orchestrator/machines/NAME/start" in lines[4]
        async with httpx.AsyncClient(base_url=match.group(1) + "/api", headers=BEARER) as client:
            assert len((await client.get("/v1/orchestrator/hosts")).json()) == 2
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
