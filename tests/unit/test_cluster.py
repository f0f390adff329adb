"""The cluster model: a snapshot, then every host-level, VM-level and pdfm message of the protocol reference."""

from __future__ import annotations

import io
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kit.wire import HOST_A, HOST_B, host_record, vm_record
from rich.console import Console

from tui.app.widgets.host_details import host_renderable
from tui.model.cluster import Cluster
from tui.model.describe import summary
from tui.model.entities import LOCAL_HOST_ID, STATS_HISTORY, hostname_of
from tui.model.events import _ORCHESTRATOR, _PDFM, DUPLICATE, NOTHING
from tui.model.events import CHANGED_HOST as HOST
from tui.model.events import CHANGED_STRUCTURE as STRUCTURE
from tui.model.events import CHANGED_VM as VM
from tui.protocol.models import HostRecord, VMRecord, drawable_stats
from tui.protocol.parse import Event, parse_frame

_ids = itertools.count(1)


def ev(channel: str, message: str, body=None, *, id: str | None = None, at: float = 1000.0) -> Event:
    """An event as the parser makes it from a frame."""
    text = json.dumps({"id": id or f"e{next(_ids)}", "event_type": channel, "timestamp": "2025-01-01T00:00:00Z",
                       "message": message, "body": body})
    item = parse_frame(text, received_at=at)
    assert isinstance(item, Event), item
    return item


def hosts(*recs: dict) -> list[HostRecord]:
    return [HostRecord.model_validate(r) for r in recs]


def vms(*recs: dict) -> list[VMRecord]:
    return [VMRecord.model_validate(r) for r in recs]


def vm_ev(host_id: str, message: str, **event) -> Event:
    return ev("orchestrator", message, {"host_id": host_id, "event": event})


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster()
    n = c.load_snapshot(
        hosts(host_record(HOST_A, "mac-mini-01.local", description="build farm"),
              host_record(HOST_B, "mac-studio-02.local", state="unhealthy")),
        vms(vm_record("vm-1", HOST_A, "ci-runner-1", "running", "macosx"),
            vm_record("vm-2", HOST_A, "ci-runner-2", "stopped", "ubuntu"),
            vm_record("vm-3", HOST_B, "win-builder", "suspended", "win-11")),
        now=500.0,
    )
    assert n == 5
    c.take_changes()
    return c


# ------------------------------------------------------------------------------------------------ snapshot


def test_snapshot_seeds_hosts_and_vms(cluster):
    a, b = cluster.hosts[HOST_A], cluster.hosts[HOST_B]
    assert (a.label, a.hostname, a.description, a.health) == ("mac-mini-01.local", "mac-mini-01.local", "build farm",
                                                              "healthy")
    # the live link comes from the record's has_websocket_events, before any HOST_WEBSOCKET_* event
    assert (b.label, b.health, b.link) == ("mac-studio-02.local", "unhealthy", "connected")
    assert a.last_heard == 500.0 and not a.placeholder
    vm = a.vms["vm-1"]
    assert (vm.name, vm.os, vm.state, vm.host_id, vm.previous_state) == ("ci-runner-1", "macosx", "running", HOST_A, "")
    assert a.vm_counts() == {"running": 1, "stopped": 1}
    assert [h.label for h in cluster.sorted_hosts()] == ["mac-mini-01.local", "mac-studio-02.local"]


def test_snapshot_reports_structure_and_dirty_hosts():
    c = Cluster()
    c.load_snapshot(hosts(host_record("h1", "a")), [], now=1.0)
    changes = c.take_changes()
    assert changes.structure and changes.hosts == {"h1"}
    assert not c.take_changes()


def test_same_snapshot_again_changes_nothing(cluster):
    n = cluster.load_snapshot(
        hosts(host_record(HOST_A, "mac-mini-01.local", description="build farm"),
              host_record(HOST_B, "mac-studio-02.local", state="unhealthy")),
        vms(vm_record("vm-1", HOST_A, "ci-runner-1", "running", "macosx"),
            vm_record("vm-2", HOST_A, "ci-runner-2", "stopped", "ubuntu"),
            vm_record("vm-3", HOST_B, "win-builder", "suspended", "win-11")),
        now=600.0,
    )
    assert n == 0


def test_fresh_snapshot_replaces_what_it_covers(cluster):
    cluster.apply(ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {"cpu_percent": 5}}))
    n = cluster.load_snapshot(
        hosts(host_record(HOST_A, "mac-mini-01.local", state="unhealthy"),  # health changed: 1
              host_record("h-new", "new.local")),                            # added: 1 ; HOST_B gone: 1
        vms(vm_record("vm-1", HOST_A, "ci-runner-1", "stopped"),             # state changed: 1 ; vm-2 gone: 1
            vm_record("vm-9", "h-new", "fresh")),                            # added: 1
        now=700.0,
    )
    assert n == 6
    assert set(cluster.hosts) == {HOST_A, "h-new"}
    a = cluster.hosts[HOST_A]
    assert set(a.vms) == {"vm-1"} and a.health == "unhealthy"
    assert (a.vms["vm-1"].state, a.vms["vm-1"].previous_state, a.vms["vm-1"].last_change) == ("stopped", "running", 700.0)
    assert a.stats == {"cpu_percent": 5}  # live data of a host that stays is kept
    assert cluster.find_vm("vm-3") is None and cluster.vm(HOST_B, "vm-3") is None


def test_snapshot_vm_of_an_unlisted_host_gets_a_placeholder():
    c = Cluster()
    c.load_snapshot([], vms(vm_record("v", "deadbeefcafe0001", "orphan")))
    host = c.hosts["deadbeefcafe0001"]
    assert host.placeholder and host.label == "host deadbeef"
    assert host.vms["v"].name == "orphan"


def test_an_event_for_an_unknown_host_asks_for_it_and_the_resync_brings_it(cluster):
    """Fetch, don't invent: the host appears when the listing has it, not from the event."""
    assert cluster.apply(ev("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "feedface0000", "state": "healthy"})) \
        == NOTHING
    assert "feedface0000" not in cluster.hosts and cluster.resync_pending
    assert "feedface0000" in cluster.unknown
    n = cluster.load_snapshot(hosts(host_record(HOST_A, "mac-mini-01.local", description="build farm"),
                                    host_record(HOST_B, "mac-studio-02.local", state="unhealthy"),
                                    host_record("feedface0000", "late.local")),
                              vms(vm_record("vm-1", HOST_A, "ci-runner-1"), vm_record("vm-2", HOST_A, "ci-runner-2",
                                                                                       "stopped", "ubuntu"),
                                  vm_record("vm-3", HOST_B, "win-builder", "suspended", "win-11")))
    assert n == 1
    assert not cluster.hosts["feedface0000"].placeholder and cluster.hosts["feedface0000"].label == "late.local"
    assert not cluster.unknown


def test_an_id_the_resync_did_not_find_is_not_asked_about_again(cluster):
    cluster.apply(ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": "ghost", "stats": {}}))
    assert cluster.take_resync(now=10**9)
    cluster.load_snapshot(hosts(host_record(HOST_A, "mac-mini-01.local")), [])
    cluster.apply(ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": "ghost", "stats": {}}))
    assert not cluster.resync_pending and "ghost" not in cluster.hosts


# ------------------------------------------------------------------------------------------------ host level


def test_health_update(cluster):
    flags = cluster.apply(ev("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "unhealthy"}, at=900.0))
    assert flags & HOST and not flags & STRUCTURE
    a = cluster.hosts[HOST_A]
    assert a.health == "unhealthy" and a.last_heard == 900.0
    assert a.logs[-1][2] == "health healthy → unhealthy" and a.changed_at == 900.0
    changes = cluster.take_changes()
    assert changes.hosts == {HOST_A} and not changes.structure and not changes.vms


@pytest.mark.parametrize(("message", "state", "link"), [
    ("HOST_WEBSOCKET_CONNECTED", "websocket_connected", "connected"),
    ("HOST_WEBSOCKET_DISCONNECTED", "websocket_disconnected", "disconnected"),
    ("HOST_WEBSOCKET_DEGRADED", "unhealthy", "degraded"),
])
def test_link_is_separate_from_health(cluster, message, state, link):
    cluster.apply(ev("orchestrator", message, {"host_id": HOST_A, "state": state}))
    a = cluster.hosts[HOST_A]
    assert a.link == link
    assert a.health == "healthy"


def test_a_repeated_health_update_is_not_a_change(cluster):
    """The server re-sends HOST_HEALTH_UPDATE on every health-check tick: a repeat is heard, not news."""
    a = cluster.hosts[HOST_A]
    cluster.apply(ev("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}, at=901.0))
    assert a.changed_at == 0.0 and a.last_heard == 901.0 and not a.logs


def test_host_added_makes_the_host(cluster):
    hid = "0123456789abcdef0123"
    flags = cluster.apply(ev("orchestrator", "HOST_ADDED", {"host_id": hid, "host": "https://Mac-Pro-9.example:8443/api",
                                                           "description": "lab"}))
    assert flags & STRUCTURE and cluster.take_changes().structure
    h = cluster.hosts[hid]
    assert not h.placeholder and (h.label, h.description, h.health) == ("mac-pro-9.example", "lab", "unknown")


def test_host_added_and_removed(cluster):
    flags = cluster.apply(ev("orchestrator", "HOST_ADDED", {"host_id": "h9", "host": "http://n9.local:80/api"}))
    assert flags & STRUCTURE and cluster.hosts["h9"].label == "n9.local"
    assert cluster.take_changes().structure
    flags = cluster.apply(ev("orchestrator", "HOST_REMOVED", {"host_id": "h9", "host": "http://n9.local:80/api"}))
    assert flags & STRUCTURE and "h9" not in cluster.hosts
    changes = cluster.take_changes()
    assert changes.structure and "h9" not in changes.hosts
    assert cluster.apply(ev("orchestrator", "HOST_REMOVED", {"host_id": "never-seen"})) == NOTHING


def test_host_label_falls_back_to_description():
    c = Cluster()
    c.apply(ev("orchestrator", "HOST_ADDED", {"host_id": "h", "description": "the red one"}))
    assert c.hosts["h"].label == "the red one"


def test_host_deployed(cluster):
    cluster.apply(ev("orchestrator", "HOST_ADDED", {"host_id": "h7"}))
    cluster.apply(ev("orchestrator", "HOST_DEPLOYED", {"host_id": "h7", "host": "http://h7.local/api",
                                                       "message": "deployed 0.9.12"}))
    h = cluster.hosts["h7"]
    assert h.label == "h7.local" and h.logs[-1][2] == "deployed 0.9.12"
    cluster.apply(ev("orchestrator", "HOST_DEPLOYED", {"host_id": HOST_A, "host": "http://elsewhere/api"}))
    assert cluster.hosts[HOST_A].label == "mac-mini-01.local"  # a known URL is kept
    assert cluster.hosts[HOST_A].logs[-1][2] == "host deployed"


def test_stats_and_history(cluster):
    for i in range(STATS_HISTORY + 5):
        cluster.apply(ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {
            "cpu_percent": i, "memory_bytes": 1000 + i, "goroutines": 40}}, at=1000.0 + i))
    a = cluster.hosts[HOST_A]
    assert a.stats == {"cpu_percent": STATS_HISTORY + 4, "memory_bytes": 1000 + STATS_HISTORY + 4, "goroutines": 40}
    assert len(a.cpu_history) == STATS_HISTORY and a.cpu_history[-1] == STATS_HISTORY + 4 and a.cpu_history[0] == 5
    assert list(a.mem_history)[-2:] == [1000 + STATS_HISTORY + 3, 1000 + STATS_HISTORY + 4]
    assert a.last_heard == 1000.0 + STATS_HISTORY + 4
    cluster.apply(ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {"cpu_percent": "n/a"}}))
    assert len(a.cpu_history) == STATS_HISTORY and a.cpu_history[-1] == STATS_HISTORY + 4


def test_stats_keep_only_what_can_be_drawn(cluster):
    """JSON allows 1e999, NaN and integers past a float's range: no sparkline takes them, and neither the
    details pane nor the log line draws them. A nil stats map (null) is no stats."""
    stats = '{"cpu_percent":1e999,"memory_bytes":' + str(10**400) + ',"goroutines":7,"load":NaN}'
    text = ('{"id":"s-inf","event_type":"orchestrator","message":"HOST_STATS_UPDATE","body":{"host_id":"' + HOST_A
            + '","stats":' + stats + "}}")
    item = parse_frame(text, received_at=5.0)
    assert isinstance(item, Event)
    assert cluster.apply(item) == HOST
    a = cluster.hosts[HOST_A]
    assert not a.cpu_history and not a.mem_history  # the sparklines take only what a float can hold
    assert drawable_stats(a.stats) == {"goroutines": 7}  # what the details pane draws
    assert summary(item) == "service 7 goroutines"  # the log's line for it draws only what can be drawn
    a.cpu_history.append(1.0)  # so that the pane draws its cpu and mem lines too
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(host_renderable(a, 10.0))
    pane = console.export_text()
    assert "goroutines 7" in pane and "nan" not in pane and "inf" not in pane and "cpu" in pane
    cluster.apply(ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": None}))
    assert drawable_stats(a.stats) == {"goroutines": 7}  # a nil map is no figures: what was there stays
    cluster.apply(ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {"cpu_percent": 12.5}}))
    assert a.stats == {"cpu_percent": 12.5} and list(a.cpu_history) == [1.0, 12.5]


def test_log_lines_are_kept_and_bounded(cluster):
    for i in range(80):
        cluster.apply(ev("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST_B, "log": {
            "level": "error" if i % 2 else "", "message": f"line {i}", "time": "2025-01-01T00:00:00Z"}}, at=float(i)))
    logs = list(cluster.hosts[HOST_B].logs)
    assert len(logs) == 50
    assert logs[-1] == (79.0, "error", "line 79") and logs[-2] == (78.0, "info", "line 78")


@pytest.mark.parametrize("message", ["HOST_CATALOG_CACHE_EVENT", "HOST_REVERSE_PROXY_UPDATED", "HOST_REVERSE_PROXY_EVENT"])
def test_other_host_events_count_as_heard(cluster, message):
    item = ev("orchestrator", message, {"host_id": HOST_B, "anything": 1, "status": "warming"}, at=4242.0)
    flags = cluster.apply(item)
    assert flags & HOST and cluster.hosts[HOST_B].last_heard == 4242.0
    assert item.host_id == HOST_B and item.vm_id is None
    assert summary(item) == "status: warming"  # the body keeps the host only; the log reads the rest as sent


def test_unknown_orchestrator_message_touches_its_host(cluster):
    e = ev("orchestrator", "HOST_TELEPORTED", {"host_id": HOST_B}, at=777.0)
    assert e.generic
    assert cluster.apply(e) & HOST and cluster.hosts[HOST_B].last_heard == 777.0
    assert cluster.apply(ev("orchestrator", "SOMETHING_ELSE", ["not", "a", "dict"])) == NOTHING


def test_other_channels_do_not_touch_the_model(cluster):
    before = cluster.version
    for e in (ev("health", "pong"), ev("stats", "DISK_SPACE_CHANGED", {"host_id": HOST_A}),
              ev("global", "error", {"error": "x"}), ev("nope", "X", {"host_id": "zzz"})):
        assert cluster.apply(e) == NOTHING
    assert cluster.version == before and "zzz" not in cluster.hosts
    assert not cluster.take_changes()


# ------------------------------------------------------------------------------------------------ VM level


def test_vm_state_changed(cluster):
    flags = cluster.apply(vm_ev(HOST_A, "HOST_VM_STATE_CHANGED", vm_id="vm-2", previous_state="stopped",
                                current_state="starting"))
    assert flags & VM and not flags & STRUCTURE
    vm = cluster.vm(HOST_A, "vm-2")
    assert (vm.state, vm.previous_state, vm.last_change) == ("starting", "stopped", 1000.0)
    changes = cluster.take_changes()
    assert changes.vms == {(HOST_A, "vm-2")} and HOST_A in changes.hosts
    cluster.apply(vm_ev(HOST_A, "HOST_VM_STATE_CHANGED", vm_id="vm-2", previous_state="starting",
                        current_state="levitating"))  # any other string is a state too
    assert (vm.state, vm.previous_state) == ("levitating", "starting")
    assert cluster.hosts[HOST_A].vm_counts() == {"running": 1, "levitating": 1}


def test_vm_added_in_both_record_forms(cluster):
    flags = cluster.apply(vm_ev(HOST_B, "HOST_VM_ADDED", vm_id="ce143894-64e4", new_vm={
        "name": "New Host VM", "os_type": "windows", "state": "stopped"}))
    assert flags & STRUCTURE
    vm = cluster.vm(HOST_B, "ce143894-64e4")
    assert (vm.name, vm.os, vm.state) == ("New Host VM", "windows", "stopped")
    cluster.apply(vm_ev(HOST_B, "HOST_VM_ADDED", vm_id="v-cap", new_vm=vm_record("v-cap", HOST_B, "Cap", "paused", "macosx")))
    vm = cluster.vm(HOST_B, "v-cap")
    assert (vm.name, vm.os, vm.state) == ("Cap", "macosx", "paused")
    # the id can come from the record alone
    cluster.apply(vm_ev(HOST_B, "HOST_VM_ADDED", new_vm={"ID": "only-in-record", "Name": "r", "State": "running"}))
    assert cluster.vm(HOST_B, "only-in-record").name == "r"


def test_vm_updated_replaces_details(cluster):
    cluster.apply(vm_ev(HOST_A, "HOST_VM_UPDATED", vm_id="vm-1", new_vm=vm_record("vm-1", HOST_A, "renamed",
                                                                                  "suspended", "macosx")))
    vm = cluster.vm(HOST_A, "vm-1")
    assert (vm.name, vm.state, vm.previous_state) == ("renamed", "suspended", "running")


def test_vm_removed(cluster):
    flags = cluster.apply(vm_ev(HOST_A, "HOST_VM_REMOVED", vm_id="vm-1"))
    assert flags & STRUCTURE and cluster.vm(HOST_A, "vm-1") is None
    assert not cluster.apply(vm_ev(HOST_A, "HOST_VM_REMOVED", vm_id="vm-1")) & STRUCTURE


def test_vm_uptime_and_snapshots(cluster):
    cluster.apply(vm_ev(HOST_A, "HOST_VM_UPTIME_CHANGED", vm_id="vm-1", uptime="3600"))
    cluster.apply(vm_ev(HOST_A, "HOST_VM_SNAPSHOTS_UPDATED", vm_id="vm-1", snapshots=[{"id": 1}, {"id": 2}]))
    vm = cluster.vm(HOST_A, "vm-1")
    assert (vm.uptime, vm.snapshots, vm.state) == ("3600", 2, "running")


def test_mac_vms_running(cluster):
    cluster.apply(ev("orchestrator", "HOST_MAC_VMS_RUNNING_NOW", {"host_id": HOST_A,
                                                                 "event": {"mac_vms_running": ["a", "b", "c"]}}))
    assert cluster.hosts[HOST_A].mac_vms_running == ["a", "b", "c"]


def test_a_state_change_of_an_unknown_vm_asks_for_it(cluster):
    flags = cluster.apply(vm_ev(HOST_A, "HOST_VM_STATE_CHANGED", vm_id="abcdef0123456789", previous_state="",
                                current_state="running"))
    assert not flags & STRUCTURE and cluster.vm(HOST_A, "abcdef0123456789") is None
    assert cluster.resync_pending and "abcdef0123456789" in cluster.unknown
    # a full record is not invented: it makes the VM
    cluster.apply(vm_ev(HOST_A, "HOST_VM_UPDATED", vm_id="abcdef0123456789",
                        new_vm={"Name": "found-it", "OS": "ubuntu", "State": "running"}))
    vm = cluster.vm(HOST_A, "abcdef0123456789")
    assert vm.label == "found-it" and vm.os == "ubuntu" and vm.state == "running"


def test_vm_event_for_an_unknown_host(cluster):
    assert cluster.apply(vm_ev("ffff0000", "HOST_VM_ADDED", vm_id="v", new_vm={"name": "x", "state": "running"})) \
        == NOTHING
    assert "ffff0000" not in cluster.hosts and cluster.resync_pending


def test_vm_event_without_a_vm_id_is_harmless(cluster):
    before = {hid: set(h.vms) for hid, h in cluster.hosts.items()}
    assert cluster.apply(vm_ev(HOST_A, "HOST_VM_STATE_CHANGED", current_state="running")) == HOST
    assert {hid: set(h.vms) for hid, h in cluster.hosts.items()} == before


# ------------------------------------------------------------------------------------------------ pdfm


def pdfm(message: str, **body) -> Event:
    return ev("pdfm", message, body)


def test_pdfm_events_go_under_the_host_whose_hostname_is_the_server():
    c = Cluster(server_hostname="mac-mini-01.local")
    c.load_snapshot(hosts(host_record(HOST_A, "mac-mini-01.local"), host_record(HOST_B, "other.local")), [])
    c.apply(pdfm("VM_ADDED", vm_id="p1", new_vm={"Name": "local-vm", "State": "stopped", "OS": "ubuntu"}))
    c.apply(pdfm("VM_STATE_CHANGED", vm_id="p1", previous_state="stopped", current_state="running"))
    assert LOCAL_HOST_ID not in c.hosts
    vm = c.vm(HOST_A, "p1")
    assert (vm.name, vm.state, vm.previous_state, vm.host_id) == ("local-vm", "running", "stopped", HOST_A)
    assert c.hosts[HOST_A].local


def test_pdfm_events_without_a_matching_host_go_under_a_local_host():
    c = Cluster(server_hostname="127.0.0.1")
    flags = c.apply(pdfm("VM_ADDED", vm_id="p1", new_vm={"name": "dev", "state": "running", "os_type": "macosx"}))
    assert flags & STRUCTURE and flags & HOST
    local = c.hosts[LOCAL_HOST_ID]
    assert local.local and local.label == "127.0.0.1"
    assert c.vm(LOCAL_HOST_ID, "p1").name == "dev"
    c.apply(pdfm("VM_UPTIME_CHANGED", vm_id="p1", uptime="5"))
    c.apply(pdfm("VM_SNAPSHOTS_UPDATED", vm_id="p1", snapshots=[1]))
    c.apply(pdfm("VM_UPDATED", vm_id="p1", new_vm={"Name": "dev2"}))
    c.apply(pdfm("MAC_VMS_RUNNING_NOW", mac_vms_running=["p1", "p9"]))
    vm = c.vm(LOCAL_HOST_ID, "p1")
    assert (vm.uptime, vm.snapshots, vm.name, local.mac_vms_running) == ("5", 1, "dev2", ["p1", "p9"])
    c.apply(pdfm("VM_REMOVED", vm_id="p1"))
    assert c.vm(LOCAL_HOST_ID, "p1") is None
    # an orchestrator snapshot without this server keeps the local host
    c.apply(pdfm("VM_ADDED", vm_id="p2", new_vm={"name": "again"}))
    c.load_snapshot(hosts(host_record("h1", "elsewhere")), [])
    assert LOCAL_HOST_ID in c.hosts and c.vm(LOCAL_HOST_ID, "p2") is not None


def test_pdfm_local_host_without_a_server_name():
    c = Cluster()
    c.apply(pdfm("VM_REMOVED", vm_id="x"))
    assert c.hosts[LOCAL_HOST_ID].label == "this server (pdfm)"


def test_unknown_pdfm_message_is_ignored():
    c = Cluster()
    assert c.apply(pdfm("VM_TELEPORTED", vm_id="x")) == NOTHING and not c.hosts


# ------------------------------------------------------------------------------------------------ duplicates


def test_duplicates_are_flagged_and_not_applied_twice(cluster):
    first = vm_ev(HOST_A, "HOST_VM_STATE_CHANGED", vm_id="vm-1", previous_state="running", current_state="stopping")
    cluster.apply(first)
    cluster.apply(vm_ev(HOST_A, "HOST_VM_STATE_CHANGED", vm_id="vm-1", previous_state="stopping", current_state="stopped"))
    cluster.take_changes()
    again = parse_frame(first.raw)
    assert cluster.apply(again) == DUPLICATE and again.duplicate
    assert cluster.vm(HOST_A, "vm-1").state == "stopped"
    assert not cluster.take_changes()
    # stats with the same id are not appended to the history twice
    s = ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {"cpu_percent": 1}}, id="same")
    cluster.apply(s)
    cluster.apply(parse_frame(s.raw))
    assert list(cluster.hosts[HOST_A].cpu_history) == [1.0]


def test_the_dedup_window_remembers_recent_ids_and_forgets_old_ones():
    from tui.model.cluster import DEDUP_WINDOW

    c = Cluster()
    for i in range(DEDUP_WINDOW * 2):
        assert not c.is_duplicate(f"id-{i}")
        # the most recent half window is always remembered
        if i % 997 == 0:
            for back in (0, 1, DEDUP_WINDOW // 2 - 1):
                if i - back >= 0:
                    assert c.is_duplicate(f"id-{i - back}")
    # past the whole window an id is forgotten (seen as new)
    assert not c.is_duplicate("id-0")
    assert not c.is_duplicate("")


def test_events_without_an_id_are_never_duplicates(cluster):
    for _ in range(3):
        e = ev("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": {"cpu_percent": 7}}, id="")
        e.id = ""
        assert cluster.apply(e) != DUPLICATE
    assert len(cluster.hosts[HOST_A].cpu_history) == 3


# ------------------------------------------------------------------------------------------------ queries


def test_filter(cluster):
    assert cluster.filter("") == {HOST_A: None, HOST_B: None}
    assert cluster.filter("MAC-MINI") == {HOST_A: None}             # hostname, any case
    assert cluster.filter("build farm") == {HOST_A: None}           # description
    assert cluster.filter(HOST_B[:6]) == {HOST_B: None}             # host id prefix
    assert cluster.filter("win-build") == {HOST_B: {"vm-3"}}        # VM name: the host stays, with that VM
    assert cluster.filter("ci-runner") == {HOST_A: {"vm-1", "vm-2"}}
    assert cluster.filter("no-such-thing") == {}
    assert cluster.filter(HOST_B[10:20]) == {}                      # an id is matched by prefix only


def test_filter_does_not_match_placeholder_wording(cluster):
    cluster.load_snapshot([], vms(vm_record("beef0001", "c0ffee00", "")))
    # "host c0ffee00" / "vm beef0001" are what a placeholder shows, not its name
    assert cluster.filter("host") == {}
    assert cluster.filter("c0ffee") == {"c0ffee00": None}


def test_totals(cluster):
    assert cluster.totals() == {"hosts": 2, "hosts_by_state": {"healthy": 1, "unhealthy": 1}, "vms": 3,
                                "vms_by_state": {"running": 1, "stopped": 1, "suspended": 1}}
    assert Cluster().totals() == {"hosts": 0, "hosts_by_state": {}, "vms": 0, "vms_by_state": {}}


def test_hostname_of():
    assert hostname_of("http://mac-mini-01.local:80/api") == "mac-mini-01.local"
    assert hostname_of("https://[::1]:8443/api") == "::1"
    assert hostname_of("bare-name") == "bare-name"
    assert hostname_of("") == "" and hostname_of("http://[broken") == ""


# ------------------------------------------------------------------------------------------------ properties


host_ids = st.sampled_from([HOST_A, HOST_B, "h3", "h4"])
vm_ids = st.sampled_from(["v1", "v2", "v3", "v4"])
states = st.sampled_from(["running", "stopped", "paused", "weird", ""])
orchestrator_events = st.one_of(
    st.builds(lambda h, s: ("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": h, "state": s}), host_ids, states),
    st.builds(lambda h, m: ("orchestrator", m, {"host_id": h, "state": "x"}), host_ids,
              st.sampled_from(["HOST_WEBSOCKET_CONNECTED", "HOST_WEBSOCKET_DISCONNECTED", "HOST_WEBSOCKET_DEGRADED"])),
    st.builds(lambda h: ("orchestrator", "HOST_ADDED", {"host_id": h, "host": f"http://{h}.local/api"}), host_ids),
    st.builds(lambda h: ("orchestrator", "HOST_REMOVED", {"host_id": h}), host_ids),
    st.builds(lambda h, v, s: ("orchestrator", "HOST_VM_STATE_CHANGED",
                               {"host_id": h, "event": {"vm_id": v, "current_state": s}}), host_ids, vm_ids, states),
    st.builds(lambda h, v, s: ("orchestrator", "HOST_VM_ADDED",
                               {"host_id": h, "event": {"vm_id": v, "new_vm": {"Name": v, "State": s}}}),
              host_ids, vm_ids, states),
    st.builds(lambda h, v: ("orchestrator", "HOST_VM_REMOVED", {"host_id": h, "event": {"vm_id": v}}), host_ids, vm_ids),
    st.builds(lambda v, s: ("pdfm", "VM_STATE_CHANGED", {"vm_id": v, "current_state": s}), vm_ids, states),
    st.builds(lambda v: ("pdfm", "VM_REMOVED", {"vm_id": v}), vm_ids),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(orchestrator_events, st.booleans()), max_size=40))
def test_any_sequence_keeps_the_model_consistent(seq):
    c = Cluster(server_hostname="h3.local")
    applied: list[Event] = []
    for (channel, message, body), repeat in seq:
        e = ev(channel, message, body)
        c.apply(e)
        applied.append(e)
        if repeat:
            again = parse_frame(e.raw)
            assert c.apply(again) == DUPLICATE and again.duplicate
    for hid, host in c.hosts.items():
        assert host.id == hid
        for vid, vm in host.vms.items():
            assert vm.id == vid and vm.host_id == hid and isinstance(vm.state, str)
    totals = c.totals()
    assert totals["hosts"] == len(c.hosts) and totals["vms"] == sum(len(h.vms) for h in c.hosts.values())
    assert sum(totals["vms_by_state"].values()) == totals["vms"]
    assert c.load_snapshot([], []) >= 0 and not [h for h in c.hosts.values() if not h.local]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["host_id", "vm_id", "event", "new_vm", "state", "stats", "log", "Name", "State", "x"]),
        children, max_size=4),
    max_leaves=16,
)
any_message = st.sampled_from(sorted(set(_ORCHESTRATOR) | set(_PDFM) | {"NEW_THING"}))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["orchestrator", "pdfm", "health"]), any_message, json_values), max_size=12))
def test_apply_never_raises_on_anything_the_parser_accepts(frames):
    c = Cluster(server_hostname="h3.local")
    for channel, message, body in frames:
        item = parse_frame(json.dumps({"id": "", "event_type": channel, "message": message, "body": body}))
        if isinstance(item, Event):
            c.apply(item)
    c.totals()
    c.filter("a")
    c.take_changes()
