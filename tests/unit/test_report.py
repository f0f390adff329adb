"""Non-TUI output: the status table, the status JSON, the exit code, tail's JSON lines."""

from __future__ import annotations

import json

import pytest
from kit.wire import HOST_A, HOST_B, host_record, vm_record

from tui.commands import report as render
from tui.model.cluster import Cluster
from tui.model.describe import ago
from tui.model.entities import Host
from tui.model.journal import Journal
from tui.protocol.models import HostRecord, VMRecord
from tui.protocol.parse import Event, parse_frame
from tui.protocol.text import json_line

NOW = 1_750_000_000.0


def make_cluster(*states: str) -> Cluster:
    c = Cluster()
    c.load_snapshot([HostRecord.model_validate(host_record(f"h{i}", f"host-{i}.local", state=s))
                     for i, s in enumerate(states)], [], now=NOW - 5)
    return c


def apply(c: Cluster, message: str, body: dict, at: float = NOW) -> None:
    item = parse_frame(json.dumps({"id": f"{message}-{body}-{at}", "event_type": "orchestrator", "message": message,
                                   "body": body}), received_at=at)
    assert isinstance(item, Event)
    c.apply(item)


@pytest.fixture
def cluster() -> Cluster:
    c = Cluster()
    c.load_snapshot(
        [HostRecord.model_validate(host_record(HOST_A, "mac-mini-01.local", description="build farm")),
         HostRecord.model_validate(host_record(HOST_B, "mac-studio-02.local", state="unhealthy"))],
        [VMRecord.model_validate(vm_record("vm-2", HOST_A, "zeta", "stopped", "ubuntu")),
         VMRecord.model_validate(vm_record("vm-1", HOST_A, "alpha", "running", "macosx")),
         VMRecord.model_validate(vm_record("vm-3", HOST_A, "beta", "running", "macosx"))],
        now=NOW - 5,
    )
    apply(c, "HOST_WEBSOCKET_DISCONNECTED", {"host_id": HOST_B, "state": "websocket_disconnected"}, at=NOW - 125)
    apply(c, "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}, at=NOW - 5)
    return c


# ------------------------------------------------------------------------------------------------ exit code


@pytest.mark.parametrize(("states", "code"), [
    ((), 0),
    (("healthy",), 0),
    (("healthy", "healthy"), 0),
    (("healthy", ""), 1),                 # health unknown
    (("healthy", "degraded-ish"), 1),     # a state hubtop does not know is not healthy
    (("unhealthy",), 2),
    (("healthy", "", "unhealthy"), 2),
])
def test_exit_code_from_health(states, code):
    assert render.exit_code(make_cluster(*states)) == code


@pytest.mark.parametrize(("message", "state", "code"), [
    ("HOST_WEBSOCKET_CONNECTED", "websocket_connected", 0),
    ("HOST_WEBSOCKET_DISCONNECTED", "websocket_disconnected", 1),
    ("HOST_WEBSOCKET_DEGRADED", "healthy", 1),
])
def test_exit_code_from_link(message, state, code):
    c = make_cluster("healthy", "healthy")
    apply(c, message, {"host_id": "h1", "state": state})
    assert render.exit_code(c) == code
    apply(c, "HOST_HEALTH_UPDATE", {"host_id": "h0", "state": "unhealthy"})
    assert render.exit_code(c) == 2


def test_events_from_a_host_nobody_lists_are_a_warning():
    c = make_cluster("healthy")
    apply(c, "HOST_STATS_UPDATE", {"host_id": "ghost", "stats": {}})
    assert render.exit_code(c) == 1
    assert "events name 1 host or VMs that the listings do not have" in render.summary_line(c, 1)


def test_summary_line(cluster):
    line = render.summary_line(cluster, render.exit_code(cluster))
    assert line.startswith("HUBTOP CRITICAL - 2 hosts; 3 VMs")
    assert "unhealthy: mac-studio-02.local" in line and "link disconnected: mac-studio-02.local" in line
    ok = make_cluster("healthy")
    assert render.summary_line(ok, 0) == "HUBTOP OK - 1 hosts; 0 VMs; all hosts healthy"
    many = make_cluster("", "", "", "", "")
    assert "health unknown: host-0.local, host-1.local, host-2.local (+2 more)" in render.summary_line(many, 1)


# ------------------------------------------------------------------------------------------------ table


def test_status_table(cluster):
    lines = render.status_table(cluster, now=NOW).splitlines()
    assert lines[0].split() == ["HOST", "STATE", "LINK", "VMS", "LAST", "HEARD"]
    assert lines[1].startswith("mac-mini-01.local (build farm)")
    assert lines[1].split()[3:] == ["healthy", "connected", "2", "running,", "1", "stopped", "5s", "ago"]
    assert lines[2].startswith("mac-studio-02.local")
    assert lines[2].split()[1:] == ["unhealthy", "disconnected", "no", "VMs", "2m", "ago"]
    # columns line up
    assert lines[1].index("healthy") == lines[2].index("unhealthy") == lines[0].index("STATE")
    assert all(line == line.rstrip() for line in lines)


def test_status_table_empty_and_never_heard():
    assert render.status_table(Cluster(), now=NOW) == "HOST  STATE  LINK  VMS  LAST HEARD"
    c = Cluster()
    c.hosts["x1234567890"] = Host(id="x1234567890")
    # known from a listing only: nothing heard from the host itself yet
    assert render.status_table(c, now=NOW).splitlines()[1].endswith("not yet (listed)")


@pytest.mark.parametrize(("delta", "text"), [(0, "0s ago"), (59, "59s ago"), (60, "1m ago"), (3599, "59m ago"),
                                            (3600, "1h ago"), (86399, "23h ago"), (86400, "1d ago"), (-5, "0s ago")])
def test_ago(delta, text):
    assert ago(NOW - delta, NOW) == text
    assert ago(None, NOW) == "never"


# ------------------------------------------------------------------------------------------------ JSON


def test_status_json_shape(cluster):
    j = Journal()
    for text in ('{"id":"1","event_type":"orchestrator","message":"X","body":{}}',
                 '{"id":"1","event_type":"orchestrator","message":"X","body":{}}',
                 '{"id":"2","event_type":"health","message":"pong"}', "garbage"):
        item = parse_frame(text)
        if isinstance(item, Event):
            cluster.apply(item)
        j.append(item)
    doc = render.status_json(cluster, j, url="http://hub:5680", client_id="c-1",
                             subscriptions=("orchestrator", "health", "global"), now=NOW)
    json.dumps(doc)  # serialisable as it is
    assert set(doc) == {"url", "client_id", "subscriptions", "generated_at", "verdict", "hosts", "totals", "events"}
    assert doc["verdict"]["code"] == 2 and doc["verdict"]["level"] == "CRITICAL"
    assert [(r["level"], r["host"], r["what"]) for r in doc["verdict"]["reasons"]] == [
        ("CRITICAL", "mac-studio-02.local", "unhealthy"), ("WARNING", "mac-studio-02.local", "link disconnected")]
    assert doc["url"] == "http://hub:5680" and doc["client_id"] == "c-1"
    assert doc["subscriptions"] == ["orchestrator", "health", "global"]
    assert doc["generated_at"] == "2025-06-15T15:06:40.000Z"
    a, b = doc["hosts"]
    assert set(a) == {"id", "name", "host", "description", "state", "link", "last_heard", "problems", "vms"}
    assert a == {
        "id": HOST_A, "name": "mac-mini-01.local", "host": "http://mac-mini-01.local:80/api",
        "description": "build farm", "state": "healthy", "link": "connected", "last_heard": "2025-06-15T15:06:35.000Z",
        "problems": [],
        "vms": [{"id": "vm-1", "name": "alpha", "state": "running", "os": "macosx", "unsure": False},
                {"id": "vm-3", "name": "beta", "state": "running", "os": "macosx", "unsure": False},
                {"id": "vm-2", "name": "zeta", "state": "stopped", "os": "ubuntu", "unsure": False}],
    }
    assert (b["id"], b["state"], b["link"], b["vms"]) == (HOST_B, "unhealthy", "disconnected", [])
    assert doc["totals"] == {"hosts": 2, "hosts_by_state": {"healthy": 1, "unhealthy": 1}, "vms": 3,
                             "vms_by_state": {"running": 2, "stopped": 1}}
    assert doc["events"] == {"received": 4, "malformed": 1, "duplicates": 1, "late": 0, "gaps": 0,
                             "suspected_losses": 0, "by_channel": {"health": 1, "orchestrator": 2}}


def test_status_json_without_a_connection():
    doc = render.status_json(Cluster(), Journal(), url="http://h", client_id=None, subscriptions=[], now=NOW)
    assert doc["client_id"] is None and doc["hosts"] == [] and doc["subscriptions"] == []
    assert doc["events"] == {"received": 0, "malformed": 0, "duplicates": 0, "late": 0, "gaps": 0,
                             "suspected_losses": 0, "by_channel": {}}


def test_json_line():
    compact = '{"id":"1","event_type":"health","message":"pong"}'
    assert json_line(compact) == compact
    pretty = json.dumps(json.loads(compact), indent=2)
    line = json_line(pretty)
    assert "\n" not in line and json.loads(line) == json.loads(compact)
