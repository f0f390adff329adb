"""The cluster model, host-level: a snapshot, then every host-level message of the protocol reference. (VM-level
and pdfm messages, duplicates, queries and properties are in test_cluster_vms.py.)"""

from __future__ import annotations

import io

import pytest
from kit.model import ev, hosts, two_hosts, two_hosts_listing, vms
from kit.wire import HOST_A, HOST_B, host_record, vm_record
from rich.console import Console

from tui.app.widgets.host_details import host_renderable
from tui.model.cluster import Cluster
from tui.model.describe import summary
from tui.model.entities import STATS_HISTORY
from tui.model.events import CHANGED_HOST as HOST
from tui.model.events import CHANGED_STRUCTURE as STRUCTURE
from tui.model.events import NOTHING
from tui.protocol.models import drawable_stats
from tui.protocol.parse import Event, parse_frame


@pytest.fixture
def cluster() -> Cluster:
    return two_hosts()


# ------------------------------------------------------------------------------------------------ snapshot


def test_snapshot_seeds_hosts_and_vms(cluster):
    a, b = cluster.hosts[HOST_A], cluster.hosts[HOST_B]
    assert (a.label, a.hostname, a.description, a.health) == ("mac-mini-01.local", "mac-mini-01.local", "build farm",
                                                              "healthy")
    # the live link comes from the record's has_websocket_events, before any HOST_WEBSOCKET_* event
    assert (b.label, b.health, b.link) == ("mac-studio-02.local", "unhealthy", "connected")
    # a listing is the server's word, not the host's: nothing is heard from a host until an event of its own
    assert a.last_heard is None and not a.placeholder
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
    n = cluster.load_snapshot(*two_hosts_listing(), now=600.0)
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
