"""The model against the real server's delivery: events out of order, repeats, gaps, unknown ids, floods, nested events."""

from __future__ import annotations

import itertools
import json

from kit.wire import HOST_A, HOST_B, frame, go_timestamp, host_record, vm_record

from tui.model.cluster import Cluster
from tui.model.events import LATE, NOTHING
from tui.protocol.models import HostRecord, VMRecord
from tui.protocol.parse import Event, parse_frame

_ids = itertools.count(1)


def at(second: float) -> str:
    """A server timestamp ``second`` seconds into a fixed minute, with nanoseconds as Go writes them."""
    whole = int(second)
    nanos = round((second - whole) * 1e9)
    frac = f".{nanos:09d}".rstrip("0").rstrip(".")
    return f"2026-12-02T10:00:{whole:02d}{frac}Z"


def ev(message: str, body: dict, ts: str, arrived: float = 1000.0) -> Event:
    text = json.dumps({"id": f"o{next(_ids)}", "event_type": "orchestrator", "timestamp": ts, "message": message,
                       "body": body})
    item = parse_frame(text, received_at=arrived)
    assert isinstance(item, Event), item
    return item


def step(vm_id: str, before: str, after: str, ts: str, host: str = HOST_A) -> Event:
    return ev("HOST_VM_STATE_CHANGED", {"host_id": host, "event": {"vm_id": vm_id, "previous_state": before,
                                                                  "current_state": after}}, ts)


def model() -> Cluster:
    c = Cluster()
    c.load_snapshot([HostRecord.model_validate(host_record(HOST_A, "a.local")),
                     HostRecord.model_validate(host_record(HOST_B, "b.local"))],
                    [VMRecord.model_validate(vm_record("v1", HOST_A, "one", "stopped"))], now=100.0)
    return c


def test_two_steps_reversed_end_on_the_newer_state_without_a_resync():
    c = model()
    second, first = step("v1", "starting", "running", at(1.2)), step("v1", "stopped", "starting", at(1.1))
    c.apply(second)
    vm = c.vm(HOST_A, "v1")
    assert vm.state == "running" and vm.unsure  # starting -> running does not follow stopped
    assert c.apply(first) == LATE and first.late
    assert vm.state == "running" and not vm.unsure and vm.gap is None
    # the late step filled the gap: the resync it had asked for is not asked for once due
    assert c.resync_pending and c.take_resync(now=10**9) is None


def test_four_steps_with_the_last_first_end_on_the_last():
    c = model()
    steps = [step("v1", "stopped", "starting", at(1)), step("v1", "starting", "running", at(2)),
             step("v1", "running", "stopping", at(3)), step("v1", "stopping", "stopped", at(4))]
    for e in (steps[3], steps[0], steps[1], steps[2]):
        c.apply(e)
    vm = c.vm(HOST_A, "v1")
    assert vm.state == "stopped" and vm.previous_state == "stopping"
    assert [e.late for e in steps] == [True, True, True, False]
    assert not vm.unsure  # the three late steps joined stopped (the snapshot) to stopping


def test_a_contradiction_nothing_explains_stays_unsure_until_a_resync_settles_it():
    c = model()
    c.settle_s = 0.0
    c.apply(step("v1", "suspended", "resuming", at(5)))
    vm = c.vm(HOST_A, "v1")
    assert vm.unsure and vm.state == "resuming"
    assert c.take_resync() and not c.resync_pending
    c.load_snapshot([HostRecord.model_validate(host_record(HOST_A, "a.local")),
                     HostRecord.model_validate(host_record(HOST_B, "b.local"))],
                    [VMRecord.model_validate(vm_record("v1", HOST_A, "one", "running"))], now=2000.0, since=1500.0)
    assert not vm.unsure and vm.state == "running"


def test_a_resync_keeps_what_an_event_changed_after_it_was_asked_for():
    c = model()
    c.apply(ev("HOST_VM_STATE_CHANGED", {"host_id": HOST_A, "event": {"vm_id": "v1", "previous_state": "stopped",
                                                                      "current_state": "starting"}}, at(1), 300.0))
    c.load_snapshot([HostRecord.model_validate(host_record(HOST_A, "a.local"))],
                    [VMRecord.model_validate(vm_record("v1", HOST_A, "one", "stopped"))], now=301.0, since=250.0)
    assert c.vm(HOST_A, "v1").state == "starting"


def test_a_late_health_update_does_not_roll_the_host_back():
    c = model()
    c.apply(ev("HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "unhealthy"}, at(9)))
    late = ev("HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}, at(8))
    assert c.apply(late) == LATE
    assert c.hosts[HOST_A].health == "unhealthy"


def test_a_late_link_event_does_not_roll_the_link_back():
    c = model()
    c.apply(ev("HOST_WEBSOCKET_DISCONNECTED", {"host_id": HOST_A, "state": "websocket_disconnected"}, at(9)))
    assert c.apply(ev("HOST_WEBSOCKET_CONNECTED", {"host_id": HOST_A, "state": "websocket_connected"}, at(8))) == LATE
    assert c.hosts[HOST_A].link == "disconnected"


def test_a_removed_vm_is_not_brought_back_by_a_late_update():
    c = model()
    c.apply(ev("HOST_VM_REMOVED", {"host_id": HOST_A, "event": {"vm_id": "v1"}}, at(10)))
    late = ev("HOST_VM_UPDATED", {"host_id": HOST_A, "event": {"vm_id": "v1", "new_vm": vm_record("v1", HOST_A, "one")}},
              at(9))
    assert c.apply(late) == LATE and c.vm(HOST_A, "v1") is None
    assert not c.resync_pending


def test_a_flood_of_new_ids_costs_a_counter_not_memory():
    c = model()
    c.max_hosts = 10
    for i in range(100):
        c.apply(ev("HOST_ADDED", {"host_id": f"flood-{i}"}, at(1)))
    assert len(c.hosts) == 10 and c.refused == 92
    for i in range(5_000):  # events for ids nobody listed: asked about up to a bound, then counted
        c.apply(ev("HOST_STATS_UPDATE", {"host_id": f"ghost-{i}", "stats": {}}, at(1)))
    assert len(c.unknown) <= 1_000 and c.refused >= 92 + 4_000


def test_a_disk_space_stats_body_updates_the_disk_figures_and_keeps_cpu():
    c = model()
    c.apply(ev("HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {"cpu_percent": 12.0, "memory_bytes": 5}}, at(1)))
    disk = {"cache_folder_size": 1024, "parallels_home_size": 2048, "prl_home_path": "/Users/ci/Parallels"}
    e = ev("HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": disk}, at(2))
    c.apply(e)
    host = c.hosts[HOST_A]
    assert host.disk == disk and host.stats == {"cpu_percent": 12.0, "memory_bytes": 5}
    assert list(host.cpu_history) == [12.0]


def test_an_unknown_host_message_belongs_to_that_hosts_history():
    c = model()
    e = ev("HOST_TELEPORTED", {"host_id": HOST_B, "to": "mars"}, at(1), arrived=555.0)
    assert e.generic and e.host_id == HOST_B
    assert c.apply(e) != NOTHING and c.hosts[HOST_B].last_heard == 555.0


async def test_nested_host_events_say_what_happened():
    from tui.model.describe import summary
    from tui.protocol.parse import parse_frame

    inner = {"id": "i1", "event_type": "catalog_cache", "timestamp": go_timestamp(), "message": "CACHE_ITEM_ADDED",
             "body": {"catalog_id": "macos-sequoia", "version": "v4", "architecture": "arm64"}}
    item = parse_frame(frame("orchestrator", "HOST_CATALOG_CACHE_EVENT", {"host_id": HOST_A, "event": inner}))
    assert isinstance(item, Event) and summary(item) == "CACHE_ITEM_ADDED macos-sequoia v4 arm64"
    job = parse_frame(json.dumps({"id": "j", "event_type": "job_manager", "message": "JOB_UPDATED", "body": {
        "id": "j1", "state": "failed", "progress": 40, "job_type": "vm", "job_operation": "clone",
        "error": "disk full", "owner": "alice"}}))
    assert summary(job) == "vm clone 40% failed: disk full (alice)"
