"""Sort orders of the host tree (tui/model/sorting.py) and totals at a glance (tui/model/totals.py)."""

from __future__ import annotations

import json
import random

import pytest

from tui.model.cluster import Cluster
from tui.model.entities import VM, Host, natural_key
from tui.model.sorting import SortOrder, problem_rank, sorted_hosts, sorted_vms, vm_trouble
from tui.model.totals import Totals, totals
from tui.protocol.parse import Event, parse_frame
from tui.protocol.records import HostRecord, VMRecord
from tui.protocol.text import is_clean


def host(hid: str, name: str, state: str = "healthy", link: bool = True) -> HostRecord:
    return HostRecord.model_validate({"id": hid, "host": f"http://{name}/api", "state": state,
                                      "has_websocket_events": link})


def vm(vid: str, hid: str, name: str, state: str = "running") -> VMRecord:
    return VMRecord.model_validate({"ID": vid, "Name": name, "State": state, "host_id": hid})


def event(message: str, body: dict, n: int) -> Event:
    item = parse_frame(json.dumps({"id": f"e{n}", "event_type": "orchestrator", "message": message, "body": body,
                                   "timestamp": f"2026-01-01T00:00:{n:02d}Z"}), received_at=1000.0 + n)
    assert isinstance(item, Event)
    return item


def test_natural_order():
    names = ["win11-build-11", "win11-build-9", "Win11-build-10", "win11-build-9a", "alpha", "win11-build-009b"]
    assert sorted(names, key=natural_key) == ["alpha", "win11-build-9", "win11-build-9a", "win11-build-009b",
                                              "Win11-build-10", "win11-build-11"]
    # any two keys compare, whatever mix of digits and text; a huge run of digits is no problem
    rng = random.Random(3)
    words = ["".join(rng.choice("ab01 9-") for _ in range(rng.randint(0, 12))) for _ in range(300)]
    words.append("9" * 5000)
    sorted(words, key=natural_key)


def test_name_keys_are_cached_until_the_name_changes():
    h = Host(id="h1", url="http://mac-mini-2/api")
    first = h.name_key
    assert h.name_key is first
    h.url = "http://mac-mini-10/api"
    assert h.name_key == natural_key("mac-mini-10")
    v = VM(id="v1", host_id="h1", name="b-2")
    key = v.name_key
    assert v.name_key is key
    v.name = "b-10"
    assert v.name_key == natural_key("b-10")
    assert VM(id="abcdef123", host_id="h").name_key == natural_key("vm abcdef12")


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster()
    c.load_snapshot(
        [host("h-ok", "mac-10"), host("h-sick", "mac-9", state="unhealthy"), host("h-down", "mac-2", link=False),
         host("h-busy", "mac-1"), host("h-unknown", "mac-3", state=""), host("h-quiet", "mac-4")],
        [vm("v1", "h-busy", "b-2", "starting"), vm("v2", "h-busy", "b-10", "running"),
         vm("v3", "h-busy", "b-1", "stopped"), vm("v4", "h-ok", "o-1"), vm("v5", "h-ok", "o-2"),
         vm("v6", "h-ok", "o-3", "paused"), vm("v7", "h-quiet", "q-1", "stopped")],
        now=100.0,
    )
    return c


def labels(hosts: list[Host]) -> list[str]:
    return [h.label for h in hosts]


def test_by_name(cluster):
    assert labels(sorted_hosts(cluster.hosts.values())) == ["mac-1", "mac-2", "mac-3", "mac-4", "mac-9", "mac-10"]


def test_problems_first(cluster):
    order = labels(sorted_hosts(cluster.hosts.values(), SortOrder.PROBLEMS))
    # unhealthy, link down, health unknown, VMs in a transitional state, then the rest by name
    assert order == ["mac-9", "mac-2", "mac-3", "mac-1", "mac-4", "mac-10"]
    assert problem_rank(cluster.hosts["h-busy"]) == (3, -1)


def test_an_unsure_vm_makes_its_host_unsure(cluster):
    cluster.hosts["h-quiet"].vms["v7"].unsure = True
    order = labels(sorted_hosts(cluster.hosts.values(), SortOrder.PROBLEMS))
    assert order[:4] == ["mac-9", "mac-2", "mac-3", "mac-4"]


def test_by_vm_count_and_by_last_heard(cluster):
    assert labels(sorted_hosts(cluster.hosts.values(), SortOrder.VMS)) == ["mac-1", "mac-10", "mac-4", "mac-2",
                                                                          "mac-3", "mac-9"]
    for hid in cluster.hosts:
        cluster.hosts[hid].last_heard = 100.0
    cluster.apply(event("HOST_HEALTH_UPDATE", {"host_id": "h-ok", "state": "healthy"}, 5))  # heard at 1005
    cluster.apply(event("HOST_HEALTH_UPDATE", {"host_id": "h-quiet", "state": "healthy"}, 9))  # and 1009
    cluster.hosts["h-down"].last_heard = None
    # the longest silent first: never heard, then heard long ago, then lately
    order = labels(sorted_hosts(cluster.hosts.values(), SortOrder.HEARD))
    assert order == ["mac-2", "mac-1", "mac-3", "mac-9", "mac-10", "mac-4"]


def test_vms_by_state_then_natural_name(cluster):
    busy = cluster.hosts["h-busy"]
    assert [v.name for v in sorted_vms(busy)] == ["b-10", "b-2", "b-1"]
    ok = cluster.hosts["h-ok"]
    assert [v.name for v in sorted_vms(ok)] == ["o-1", "o-2", "o-3"]
    ok.vms["v5"].state = "exploded"  # a state nobody knows: after the known ones, and trouble
    assert [v.name for v in sorted_vms(ok)] == ["o-1", "o-3", "o-2"]
    assert [v.name for v in sorted_vms(ok, SortOrder.PROBLEMS)] == ["o-2", "o-1", "o-3"]
    assert vm_trouble(ok.vms["v5"]) and not vm_trouble(ok.vms["v4"])


def test_sort_order_cycles_parses_and_has_words():
    assert [o.value for o in SortOrder] == ["name", "problems", "vms", "heard"]
    assert SortOrder.HEARD.next() is SortOrder.NAME
    assert SortOrder.parse("Problems") is SortOrder.PROBLEMS
    assert SortOrder.parse("rubbish") is SortOrder.NAME
    assert SortOrder.parse(None, SortOrder.VMS) is SortOrder.VMS
    assert SortOrder.PROBLEMS.label == "problems first"


def test_totals(cluster):
    t = totals(cluster)
    assert isinstance(t, Totals)
    assert (t.hosts, t.vms, t.unhealthy, t.links_down, t.problem_hosts, t.busy_vms) == (6, 7, 1, 1, 3, 1)
    assert t.count(health="healthy") == 4 and t.count(state="running") == 3
    assert t.states[0] == ("running", 3)
    text = t.line()
    assert "6 hosts" in text and "1 unhealthy" in text and "1 link down" in text and "1 health unknown" in text
    assert "7 VMs" in text and "▶ 3 running" in text and "↗ 1 starting" in text
    tones = dict(t.parts())
    assert tones["✖ 1 unhealthy"] == "error" and tones["↗ 1 starting"] == "warn"
    assert "running" not in t.line(compact=True)
    assert totals(cluster) == t  # equal totals compare equal: a bar skips a repaint


def test_compact_totals_count_states_that_share_a_symbol_once():
    c = Cluster()
    c.load_snapshot([host("h", "mac-1")], [vm("v1", "h", "a", state="stopping"), vm("v2", "h", "b", state="suspending"),
                                           vm("v3", "h", "c", state="starting"), vm("v4", "h", "d", state="resuming")])
    compact = totals(c).line(compact=True)
    assert "↘ 2" in compact and "↗ 2" in compact and compact.count("↘") == 1 and compact.count("↗") == 1
    assert "1 stopping" in totals(c).line() and "1 suspending" in totals(c).line()  # the words keep them apart


def test_totals_of_a_healthy_fleet_and_of_nothing():
    c = Cluster()
    assert totals(c).line() == "0 hosts  0 VMs"
    c.load_snapshot([host("h", "mac-1")], [vm("v", "h", "x")])
    assert "✔ all healthy" in totals(c).line()


def test_totals_words_from_the_server_are_safe():
    c = Cluster()
    c.load_snapshot([host("h", "mac-1")], [vm("v", "h", "x", state="\x1b]0;owned\x07")])
    for text, _ in totals(c).parts():
        assert is_clean(text)
