"""The cluster model, VM-level: every VM message of the protocol reference (orchestrator and pdfm), duplicates,
the queries the UI makes (filter, totals), and properties over any sequence of events."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kit.model import ev, hosts, two_hosts, vm_ev, vms
from kit.wire import HOST_A, HOST_B, host_record, vm_record

from tui.model.cluster import Cluster
from tui.model.entities import LOCAL_HOST_ID, hostname_of
from tui.model.events import _ORCHESTRATOR, _PDFM, DUPLICATE, NOTHING
from tui.model.events import CHANGED_HOST as HOST
from tui.model.events import CHANGED_STRUCTURE as STRUCTURE
from tui.model.events import CHANGED_VM as VM
from tui.protocol.parse import Event, parse_frame


@pytest.fixture
def cluster() -> Cluster:
    return two_hosts()


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
