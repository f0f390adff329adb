"""The simulated world: deterministic for a seed, consistent with its own events, at the real server's cadence
(stats every 5 s, health every 30 s), with every message the reference lists in the reference's shapes, a frozen
mode, and VM power requests."""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest
from kit.simwire import GO_TIME, HEX64

from tui.sim import World
from tui.sim.entities import RequestError
from tui.sim.frames import rfc3339_nano
from tui.sim.wire import Stamp

LEGAL_TRANSITIONS = {
    ("stopped", "starting"), ("starting", "running"),
    ("running", "stopping"), ("stopping", "stopped"),
    ("running", "suspending"), ("suspending", "suspended"),
    ("suspended", "resuming"), ("resuming", "running"),
    ("running", "paused"), ("paused", "resuming"), ("paused", "stopping"),
    ("running", "resetting"), ("resetting", "running"),
}
SYSTEM_STATS = {"cpu_percent", "memory_bytes", "memory_alloc_bytes", "goroutines", "goroutines_smoothed",
                "cpu_user_seconds", "cpu_system_seconds"}
DISK_SPACE = {"cache_folder_size", "parallels_home_size", "given_path_size", "prl_home_path"}
#: the fields of a VM record that are the orchestrator's word on its host (listings only)
HOST_FIELDS = {"host", "host_url", "host_id", "host_name", "host_state", "host_external_ip_address"}


@pytest.fixture(scope="module")
def long_run() -> list[tuple[str, str, Any]]:
    """Two simulated hours of a small fleet."""
    world = World(hosts=6, vms=4, seed=11)
    return [event for _ in range(7200) for event in world.step(1.0)]


def test_world_is_deterministic_for_a_seed() -> None:
    first, second = World(hosts=5, vms=6, seed=42), World(hosts=5, vms=6, seed=42)
    assert first.hosts_json() == second.hosts_json()
    assert first.machines_json() == second.machines_json()
    in_seconds = [event for _ in range(120) for event in first.step(1.0)]
    in_ticks = [event for _ in range(1200) for event in second.step(0.1)]
    assert in_seconds == in_ticks
    assert first.machines_json() == second.machines_json()
    assert World(hosts=5, vms=6, seed=43).hosts_json() != World(hosts=5, vms=6, seed=42).hosts_json()


def test_each_reachable_host_sends_its_service_stats_every_5_s() -> None:
    world = World(hosts=6, vms=2, seed=1)
    events = world.step(60.0)
    dropped = {body["host_id"] for _, message, body in events if message == "HOST_WEBSOCKET_DISCONNECTED"}
    stats = collections.Counter(body["host_id"] for _, message, body in events
                                if message == "HOST_STATS_UPDATE" and set(body["stats"]) == SYSTEM_STATS)
    assert set(stats) - dropped
    for host_id in {host["id"] for host in world.hosts_json()} - dropped:
        assert stats[host_id] == 12
    own = [body for channel, message, body in events if (channel, message) == ("stats", "System Stats")]
    assert len(own) == 12 and all(set(body) == SYSTEM_STATS for body in own)


def test_health_is_re_sent_unchanged_on_every_30_s_check() -> None:
    world = World(hosts=5, vms=2, seed=2)
    state = {host["id"]: host["state"] for host in world.hosts_json()}
    updates, repeats = collections.Counter(), collections.Counter()
    for _ in range(90):
        for _, message, body in world.step(1.0):
            if message == "HOST_HEALTH_UPDATE" and body["host_id"] in state:
                updates[body["host_id"]] += 1
                repeats[body["host_id"]] += body["state"] == state[body["host_id"]]  # no news
                state[body["host_id"]] = body["state"]
    still_here = state.keys() & world.host_links().keys()
    assert still_here and all(updates[host_id] >= 3 for host_id in still_here)
    assert sum(repeats.values()) >= 3 * len(still_here) - 2


def _projection(world: World) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    hosts = {host["id"]: {"host": host["host"], "description": host.get("description", ""), "state": host["state"],
                          "mac_vms_running": host["resources"].get("mac_vms_running", [])}
             for host in world.hosts_json()}
    vms = {vm["ID"]: {key: value for key, value in vm.items() if key not in HOST_FIELDS}
           for vm in world.machines_json()}
    return hosts, vms


def test_world_state_matches_its_events() -> None:
    """A client that applies every orchestrator event ends where hosts_json()/machines_json() are."""
    world = World(hosts=12, vms=8, seed=11)
    hosts, vms = _projection(world)
    vm_host = {vm["ID"]: vm["host_id"] for vm in world.machines_json()}
    links = {host["id"]: "connected" if host["has_websocket_events"] else "disconnected" for host in world.hosts_json()}
    link_of = {"HOST_WEBSOCKET_CONNECTED": "connected", "HOST_WEBSOCKET_DISCONNECTED": "disconnected",
               "HOST_WEBSOCKET_DEGRADED": "degraded"}
    for _ in range(1800):
        for channel, message, body in world.step(1.0):
            if channel != "orchestrator":
                continue
            host_id, event = body["host_id"], body.get("event", {})
            if message == "HOST_ADDED":
                hosts[host_id] = {"host": body["host"], "description": body["description"], "state": "",
                                  "mac_vms_running": []}
            elif message == "HOST_REMOVED":
                del hosts[host_id], links[host_id]
                vms = {vm_id: vm for vm_id, vm in vms.items() if vm_host[vm_id] != host_id}
            elif message == "HOST_HEALTH_UPDATE":
                hosts[host_id]["state"] = body["state"]
            elif message in link_of:
                links[host_id] = link_of[message]
            elif message == "HOST_MAC_VMS_RUNNING_NOW":
                hosts[host_id]["mac_vms_running"] = event["mac_vms_running"]
            elif message in ("HOST_VM_ADDED", "HOST_VM_UPDATED"):
                assert not HOST_FIELDS & set(event["new_vm"])  # the host's own record of its VM
                vms[event["vm_id"]] = event["new_vm"]
                vm_host[event["vm_id"]] = host_id
            elif message == "HOST_VM_REMOVED":
                del vms[event["vm_id"]]
            elif message == "HOST_VM_STATE_CHANGED":
                vm = vms[event["vm_id"]]
                assert vm["State"] == event["previous_state"]
                assert (event["previous_state"], event["current_state"]) in LEGAL_TRANSITIONS
                vm["State"] = event["current_state"]
            elif message == "HOST_VM_UPTIME_CHANGED":
                vms[event["vm_id"]]["Uptime"] = event["uptime"]
    assert (hosts, vms) == _projection(world)
    assert links == world.host_links()
    for host in world.hosts_json():
        assert host["has_websocket_events"] == (world.host_links()[host["id"]] != "disconnected")


def test_every_message_the_reference_lists_happens(long_run) -> None:
    seen = {(channel, message) for channel, message, _ in long_run}
    orchestrator = {"HOST_HEALTH_UPDATE", "HOST_WEBSOCKET_CONNECTED", "HOST_WEBSOCKET_DISCONNECTED",
                    "HOST_WEBSOCKET_DEGRADED", "HOST_ADDED", "HOST_REMOVED", "HOST_DEPLOYED", "HOST_STATS_UPDATE",
                    "HOST_LOGS_UPDATE", "HOST_CATALOG_CACHE_EVENT", "HOST_REVERSE_PROXY_UPDATED",
                    "HOST_VM_STATE_CHANGED", "HOST_VM_ADDED", "HOST_VM_REMOVED", "HOST_VM_UPDATED",
                    "HOST_VM_UPTIME_CHANGED", "HOST_VM_SNAPSHOTS_UPDATED", "HOST_MAC_VMS_RUNNING_NOW"}
    pdfm = {"VM_STATE_CHANGED", "VM_ADDED", "VM_UPDATED", "VM_REMOVED", "VM_UPTIME_CHANGED", "VM_SNAPSHOTS_UPDATED",
            "MAC_VMS_RUNNING_NOW"}
    others = {("stats", "System Stats"), ("stats", "DISK_SPACE_CHANGED"), ("system_logs", "System Log"),
              *(("job_manager", f"JOB_{verb}") for verb in ("CREATED", "UPDATED", "COMPLETED", "DELETED")),
              *(("reverse_proxy", name) for name in ("REVERSE_PROXY_STATE_CHANGED", "REVERSE_PROXY_HOST_STATE_CHANGED",
                                                     "Reverse Proxy Route Updated", "HTTP Traffic Forwarded")),
              ("catalog_cache", "CACHE_ITEM_ADDED"), ("catalog_cache", "CACHE_ITEM_REMOVED"),
              *(("auth", f"{kind}_{verb}") for kind in ("USER", "ROLE", "CLAIM", "ROLE_CLAIM", "USER_ROLE", "USER_CLAIM")
                for verb in ("ADDED", "REMOVED"))}
    assert {("orchestrator", m) for m in orchestrator} | {("pdfm", m) for m in pdfm} | others <= seen
    assert "JOB_FAILED" not in {message for _, message, _ in long_run}  # a failure is a JOB_UPDATED


def test_bodies_have_the_reference_shapes(long_run) -> None:
    for channel, message, body in long_run:
        if message == "HOST_STATS_UPDATE":
            assert set(body["stats"]) == SYSTEM_STATS or set(body["stats"]) <= DISK_SPACE, body
        elif message == "DISK_SPACE_CHANGED":
            assert set(body) <= DISK_SPACE and isinstance(body["cache_folder_size"], int)
        elif message in ("HOST_CATALOG_CACHE_EVENT", "HOST_REVERSE_PROXY_UPDATED"):
            event = body["event"]
            assert set(event) == {"id", "event_type", "timestamp", "message", "body"} and HEX64.match(event["id"])
            assert event["event_type"] == ("catalog_cache" if "CATALOG" in message else "reverse_proxy")
        elif channel == "job_manager":
            job = body["event"] if "host_id" in body else body
            assert {"id", "owner", "state", "progress", "job_type", "job_operation", "created_at", "updated_at"} <= set(job)
            assert job["state"] in ("init", "pending", "running", "completed", "failed", "skipped")
            assert "type" not in job and (message != "JOB_COMPLETED" or job["state"] == "completed")
        elif channel == "auth":
            assert set(body) <= {"user_id", "role_id", "claim_id"} and body
        elif message == "CACHE_ITEM_ADDED":
            assert set(body) == {"catalog_id", "version", "architecture", "cache_size", "cache_type", "cached_date"}
    failures = [body for channel, message, body in long_run if channel == "job_manager" and message == "JOB_UPDATED"
                and (body.get("event") or body)["state"] == "failed"]
    assert failures and all((job.get("event") or job)["error"] for job in failures)


def test_a_host_now_and_then_re_announces_every_vm_it_has(long_run) -> None:
    runs: list[tuple[str, list[str]]] = []
    for _, message, body in long_run:
        if message == "HOST_VM_UPDATED":
            if runs and runs[-1][0] == body["host_id"]:
                runs[-1][1].append(body["event"]["vm_id"])
                continue
            runs.append((body["host_id"], [body["event"]["vm_id"]]))
        elif runs and message != "HOST_VM_UPDATED":
            runs.append(("", []))
    assert max(len(vm_ids) for _, vm_ids in runs) >= 3  # a burst: many VMs of one host back to back


def test_a_frozen_world_makes_no_events_until_asked() -> None:
    world = World(hosts=4, vms=3, seed=5, frozen=True)
    before = (world.hosts_json(), world.machines_json())
    assert world.step(600.0) == []
    assert (world.hosts_json(), world.machines_json()) == before
    vm = next(vm for vm in world.machines_json() if vm["State"] == "stopped" and vm["host_state"] == "healthy")
    world.request_power(vm["Name"], "start")
    events = world.step(10.0)
    changes = [(b["event"]["previous_state"], b["event"]["current_state"]) for _, m, b in events
               if m == "HOST_VM_STATE_CHANGED"]
    assert changes == [("stopped", "starting"), ("starting", "running")]
    assert {message for _, message, _ in events} <= {"HOST_VM_STATE_CHANGED", "HOST_MAC_VMS_RUNNING_NOW"}


@pytest.mark.parametrize(("operation", "ref", "code", "says"), [
    ("start", "no-such-vm", 404, "Virtual machine no-such-vm not found"),
    ("start", "running", 400, "the VM is running"),
    ("explode", "stopped", 400, "not supported"),
])
def test_power_requests_the_world_refuses(operation: str, ref: str, code: int, says: str) -> None:
    world = World(hosts=4, vms=4, seed=5, frozen=True)
    by_state = {vm["State"]: vm["ID"] for vm in world.machines_json() if vm["host_state"] == "healthy"}
    with pytest.raises(RequestError) as info:
        world.request_power(by_state.get(ref, ref), operation)
    assert info.value.code == code and says in info.value.message


def test_flood_frames_are_a_realistic_mix_that_leaves_the_world_alone() -> None:
    world, twin = World(hosts=6, vms=5, seed=9), World(hosts=6, vms=5, seed=9)
    states = {vm["ID"]: vm["State"] for vm in world.machines_json()}
    texts = world.flood_frames(2000)
    assert all(text.endswith("}\n") for text in texts)
    frames = [json.loads(text) for text in texts]
    assert len({frame["id"] for frame in frames}) == 2000
    assert all(HEX64.match(frame["id"]) and GO_TIME.match(frame["timestamp"]) for frame in frames)
    messages = collections.Counter(frame["message"] for frame in frames)
    assert messages["HOST_STATS_UPDATE"] > 1000 and messages["HOST_VM_STATE_CHANGED"] > 100
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


def test_build_stamps_never_repeat() -> None:
    stamp = Stamp()
    values = [stamp.ns() for _ in range(10_000)]
    assert values == sorted(set(values))
