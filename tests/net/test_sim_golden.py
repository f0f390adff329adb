"""The simulator's output has the golden shapes (``tests/golden/``, written by hand from the real server's reference
and Go structs): the same keys and JSON types, recursively, for host and VM records, every message type it
emits, and its REST answers and error bodies. Against a real simulator on 127.0.0.1, over real sockets."""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from kit.simwire import API_KEY, BEARER, served
from websockets.asyncio.client import connect

GOLDEN = Path(__file__).parents[1] / "golden"
ALL_CHANNELS = "orchestrator,health,pdfm,system,stats,system_logs,reverse_proxy,catalog_cache,job_manager,auth"

#: fields the reference marks optional (``?``) or Go writes with ``omitempty``: they may be absent
HOST_OPTIONAL = [
    "os_name", "os_version", "external_ip_address", "devops_version", "description", "tags", "state",
    "parallels_desktop_version", "parallels_desktop_licensed", "is_local", "enabled_modules", "reverse_proxy",
    "reverse_proxy_hosts", "detailed_resources", "cache_config", "cache_items", "required_claims", "required_roles",
    "reverse_proxy.*", "*hosts[].name", "*hosts[].http_routes", "*http_routes[].*", "cache_config.*",
    "cache_items[].architecture", "cache_items[].cached_date", "detailed_resources.*",
    *(f"*{key}" for key in ("total_apple_vms", "physical_cpu_count", "disk_size", "free_disk_size", "mac_vms_running",
                            "prl_home_size", "prl_home_free_size")),
]
VM_OPTIONAL = ["host", "host_url", "host_id", "host_name", "host_state", "host_external_ip_address",
               "internal_ip_address", "GuestTools.version", "Hardware.cdrom0.state", "SmartMount.*"]
BODY_OPTIONAL: dict[str, list[str]] = {
    "HOST_ADDED": ["description"], "HOST_REMOVED": ["host"], "HOST_DEPLOYED": ["host", "message"],
    "HOST_STATS_UPDATE.disk_space": ["stats.*"], "DISK_SPACE_CHANGED": ["*"],
    "HOST_VM_SNAPSHOTS_UPDATED": ["event.snapshots[].id"], "VM_SNAPSHOTS_UPDATED": ["snapshots[].id"],
    "CACHE_ITEM_ADDED": ["architecture", "cached_date"], "CACHE_ITEM_REMOVED": ["architecture"],
    "REVERSE_PROXY_HOST_STATE_CHANGED": ["reverse_proxy_host_id", "old_ip", "new_ip", "error_message"],
    "Reverse Proxy Route Updated": ["*"], "Reverse Proxy Route Failed": ["*"],
    "HTTP Traffic Forwarded": ["reverse_proxy_host_id", "target_vm_id", "target_host", "target_port", "path",
                               "internal_ip_address", "method", "source_ip"],
    "TCP Traffic Forwarded": ["reverse_proxy_host_id", "target_vm_id", "target_host", "target_port", "path",
                              "internal_ip_address", "method", "source_ip"],
    "job": ["owner_name", "owner_email", "message", "is_orchestrator_job", "steps", "result", "result_record_*",
            "error", "steps[].display_name"],
}
#: messages whose body is the host's own whole event message, and the channel that message is on
NESTED = {"HOST_CATALOG_CACHE_EVENT": "catalog_cache", "HOST_REVERSE_PROXY_UPDATED": "reverse_proxy"}


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}[type(value)]


def assert_shape(actual: Any, expected: Any, optional: list[str] = (), path: str = "") -> None:
    """``actual`` has ``expected``'s JSON types and keys, recursively: no key ``expected`` lacks, and every key it
    has unless its path matches one of ``optional`` (``*`` any text, ``[]`` any list item)."""
    where = path or "(top)"
    assert json_type(actual) == json_type(expected), f"{where}: {json_type(actual)}, golden {json_type(expected)}"
    if isinstance(expected, dict):
        extra = set(actual) - set(expected)
        assert not extra, f"{where}: keys not in the golden file: {sorted(extra)}"
        for key, value in expected.items():
            sub = f"{path}.{key}" if path else key
            if key in actual:
                assert_shape(actual[key], value, optional, sub)
            else:
                assert any(fnmatch.fnmatchcase(sub, pattern) for pattern in optional), f"{sub}: missing"
    elif isinstance(expected, list) and expected:
        shape = expected[0]
        if all(isinstance(item, dict) for item in expected):  # the items' shape: every key any of them shows
            shape = {key: value for item in expected for key, value in item.items()}
        for item in actual:
            assert_shape(item, shape, optional, f"{path}[]")


def golden_frame_name(frame: dict[str, Any]) -> str:
    """The golden file a frame of the simulator's compares with."""
    channel, message, body = frame["event_type"], frame["message"], frame.get("body")
    if channel == "global":
        return "global.confirmation" if message.startswith("WebSocket connection") else "global.error.no_handler" \
            if "client_id" in frame else "global.error.bad_json"
    variant = ""
    if message == "HOST_STATS_UPDATE" and "cache_folder_size" in body["stats"]:
        variant = ".disk_space"
    if channel == "job_manager":
        return "job_manager.JOB_UPDATED.host" if "host_id" in body else \
            "job_manager.JOB_UPDATED.failed" if body["state"] == "failed" else f"job_manager.{message}"
    if channel == "health":
        return "health.pong"
    return f"{channel}.{message.replace(' ', '_')}{variant}"


def assert_frame_shape(frame: dict[str, Any]) -> str:
    """Check one frame against its golden file (VM records against the VM golden, a nested event message against
    its own channel's golden frame); returns the golden name."""
    name = golden_frame_name(frame)
    expected = golden(f"frames/{name}.json")
    body = frame.get("body")
    key = name.split(".", 1)[1]
    optional = BODY_OPTIONAL.get(key) or BODY_OPTIONAL.get(frame["message"]) or []
    if frame["event_type"] == "job_manager":
        optional = ["is_orchestrator_job"] if "host_id" in body else BODY_OPTIONAL["job"]
    if isinstance(body, dict) and isinstance(body.get("event"), dict) and "new_vm" in body["event"]:
        assert_shape(body["event"].pop("new_vm"), golden("vm_record_server.json"), VM_OPTIONAL)
        expected = json.loads(json.dumps(expected))
        expected["body"]["event"].pop("new_vm")
    elif isinstance(body, dict) and "new_vm" in body:
        assert_shape(body.pop("new_vm"), golden("vm_record_server.json"), VM_OPTIONAL)
        expected = json.loads(json.dumps(expected))
        expected["body"].pop("new_vm")
    if frame["message"] in NESTED:
        event = body["event"]
        assert event["event_type"] == NESTED[frame["message"]]
        inner = {"id": event["id"], "event_type": event["event_type"], "timestamp": event["timestamp"],
                 "message": event["message"], "body": event["body"]}
        assert_frame_shape(inner)
        body["event"] = dict(event, body=expected["body"]["event"]["body"])  # the wrapper around it
    if frame["event_type"] == "job_manager" and "host_id" in body:
        inner = dict(frame, body=body["event"])
        assert_frame_shape(inner)
        body["event"] = expected["body"]["event"]
    assert_shape(frame, expected, [f"body.{pattern}" for pattern in optional])
    return name


# ----------------------------------------------------------------------------- the live simulator


def every_golden_frame() -> set[str]:
    return {path.name.removesuffix(".json") for path in (GOLDEN / "frames").glob("*.json")} - {
        "orchestrator.HOST_VM_ADDED.docs"}  # the vendor docs' form: the real server never sends it


async def test_every_message_the_simulator_emits_has_the_golden_shape() -> None:
    """A fast world (the real cadence, sped up) on every channel, plus the frames a client's own frames get back,
    until every golden message has been seen."""
    async with served(hosts=6, vms=4, seed=11, speed=2000) as sim:
        url = sim.url.replace("http://", "ws://") + f"/api/v1/ws/subscribe?event_types={ALL_CHANNELS}"
        seen: dict[str, int] = {}
        wanted = every_golden_frame()
        async with connect(url, additional_headers=BEARER, max_size=None, close_timeout=0.5) as ws:
            for sent in ('{"id": "ping-1", "event_type": "health", "message": "ping"}', "this is not json",
                         '{"event_type": "system", "message": "client-id"}', '{"event_type": "pdfm", "message": "x"}'):
                await ws.send(sent)
            async with asyncio.timeout(60):
                while not wanted <= set(seen):
                    text = await ws.recv()
                    assert text.endswith("\n"), text[-40:]
                    frame = json.loads(text)
                    name = golden_frame_name(frame)
                    if seen.get(name, 0) < 20:  # enough of each kind, and the reader keeps up with the stream
                        assert assert_frame_shape(frame) == name
                    seen[name] = seen.get(name, 0) + 1
    assert wanted <= set(seen)


async def test_host_and_vm_records_have_the_golden_shapes() -> None:
    async with served(hosts=8, vms=5, seed=3) as sim, httpx.AsyncClient(base_url=sim.url, headers=BEARER) as client:
        hosts = await client.get("/api/v1/orchestrator/hosts")
        machines = await client.get("/api/v1/orchestrator/machines")
        one_host = await client.get(f"/api/v1/orchestrator/hosts/{hosts.json()[0]['id']}/machines")
        one_vm = await client.get(f"/api/v1/orchestrator/machines/{machines.json()[0]['ID']}")
    assert (hosts.status_code, machines.status_code, one_host.status_code, one_vm.status_code) == (200, 202, 202, 202)
    for host in hosts.json():
        assert_shape(host, golden("host_record_full.json"), HOST_OPTIONAL)
    for vm in [*machines.json(), *one_host.json(), one_vm.json()]:
        assert_shape(vm, golden("vm_record_server.json"), VM_OPTIONAL)
    by_id = {vm["ID"]: vm for vm in machines.json()}
    running_macs = [host for host in hosts.json() if host["resources"].get("mac_vms_running")]
    assert running_macs, "the seed should give a host with a running macOS VM"
    for host in running_macs:  # a list of the ids of its running macOS VMs
        for vm_id in host["resources"]["mac_vms_running"]:
            assert by_id[vm_id]["OS"] == "macosx" and by_id[vm_id]["State"] == "running"
            assert by_id[vm_id]["host_id"] == host["id"]


def test_the_minimal_host_is_the_full_host_without_its_optional_fields() -> None:
    full, minimal = golden("host_record_full.json"), golden("host_record_minimal.json")
    assert set(minimal) == {key for key in full if key not in HOST_OPTIONAL}
    assert set(minimal["resources"]) == {"logical_cpu_count", "memory_size"}
    assert_shape(minimal, full, HOST_OPTIONAL)


async def test_rest_answers_and_error_bodies_have_the_golden_shapes() -> None:
    async with served(hosts=4, vms=4, seed=3, frozen=True) as sim, \
            httpx.AsyncClient(base_url=sim.url, headers=BEARER) as client:
        key = base64.b64encode(API_KEY.encode()).decode()
        login = await client.post("/api/v1/auth/token", json={"api_key": key}, headers={})
        bad_key = await client.get("/api/v1/orchestrator/hosts", headers={"X-Api-Key": API_KEY, "Authorization": ""})
        url = sim.url.replace("http://", "ws://") + "/api/v1/ws/subscribe?event_types=orchestrator,health"
        async with connect(url, additional_headers=BEARER) as ws:
            client_id = json.loads(await ws.recv())["body"]["client_id"]
            stats = await client.get("/api/v1/ws/stats")
            clients = await client.get("/api/v1/ws/clients")
            partial = await client.post("/api/v1/ws/unsubscribe",
                                        json={"client_id": client_id, "event_types": ["orchestrator", "pdfm"]})
        unknown = await client.post("/api/v1/ws/unsubscribe", json={"client_id": "nobody", "event_types": ["pdfm"]})
        stopped = next(vm for vm in sim.world.machines_json() if vm["State"] in ("stopped", "suspended") and vm["host_state"] == "healthy")
        power = await client.put(f"/api/v1/orchestrator/machines/{stopped['ID']}/start")
        set_ops = await client.put(f"/api/v1/orchestrator/machines/{stopped['ID']}/set",
                                   json={"operations": [{"group": "state", "operation": "stop"}]})
        missing = await client.put("/api/v1/orchestrator/machines/no-such-vm/start")
        sim.hub_running = False
        down = await client.get("/api/v1/ws/subscribe")
    cases = [(login, 200, "login"), (bad_key, 401, "error_401_oauth"), (stats, 200, "ws_stats"),
             (clients, 200, "ws_clients"), (partial, 200, "unsubscribe_partial"),
             (unknown, 400, "error_ws_400_diagnostics"), (power, 200, "vm_power"), (set_ops, 200, "vm_set"),
             (missing, 404, "error_api_stack"), (down, 503, "error_ws_503_diagnostics")]
    for response, status, name in cases:
        assert response.status_code == status, (name, response.text)
        assert response.text.endswith("\n"), name  # Go's json.Encoder
        optional = {"error_api_stack": ["stack[].description", "stack[].path", "stack[].code"],
                    "vm_set": ["operations[].error"]}.get(name, [])
        if name.startswith("error_ws"):
            optional = ["diagnostics.*"]
            errors = response.json()["diagnostics"]["errors"]
            assert errors and set(errors[0]) >= {"code", "message"}
        assert_shape(response.json(), golden(f"rest/{name}.json"), optional)
    assert bad_key.json()["error_description"] == "API key must be in format base64(key:secret)"
    assert stats.json()["messages_sent"] == 0
    assert re.match(r"^Operation: .*\n", down.json()["message"])


@pytest.mark.parametrize("name", sorted(path.name for path in GOLDEN.rglob("*.json")))
def test_every_golden_file_is_one_json_document(name: str) -> None:
    [path] = GOLDEN.rglob(name)
    json.loads(path.read_text())
