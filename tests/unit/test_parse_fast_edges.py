"""The one-pass parse_frame gives exactly what the two-pass parse_frame_slow gives on hand-written edge cases:
channel case, every body of the reference with odd values, ids and times of any JSON type, numbers past a float."""

from __future__ import annotations

import math

import pytest
from kit.fastparse import AT, HOST, check, fields, wire

from tui.protocol.models import (
    drawable_stats,
)
from tui.protocol.parse import (
    Event,
    Malformed,
    known_event,
    parse_frame,
    parse_frame_slow,
)

# ------------------------------------------------------------------------------------------------ edge cases


VM_SERVER = {"ID": "v1", "Name": "builder", "State": "running", "OS": "win-11", "Uptime": "12", "Type": "VM",
             "Description": "d", "host_id": HOST, "host_name": "mac-1", "Hardware": {"cpu": {"cpus": 4}}}


BIG = "1" + "0" * 400


EDGE = [
    # channel case and channels
    wire("Orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST, "state": "healthy"}),
    wire("ORCHESTRATOR", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": 1}}),
    wire("PDFM", "VM_ADDED", {"vm_id": "v1", "new_vm": VM_SERVER}),
    wire("Global", "error", {"error": "x"}),
    wire("System", "client-id", {"client-id": "c"}),
    wire(" orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST}),
    # a message on the wrong channel
    wire("pdfm", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": 1}}),
    wire("orchestrator", "VM_ADDED", {"vm_id": "v1"}),
    wire("health", "HOST_HEALTH_UPDATE", {"host_id": HOST}),
    wire("system", "error", {"error": "x"}),
    wire("global", "client-id", {"client-id": "c"}),
    wire("stats", "MAC_VMS_RUNNING_NOW", {"mac_vms_running": []}),
    wire("quantum_flux", "HOST_STATS_UPDATE", {"host_id": HOST}),
    # the messages the simulator never sends
    wire("orchestrator", "HOST_DEPLOYED", {"host_id": HOST, "host": "http://x/api", "message": "deployed v2"}),
    wire("orchestrator", "HOST_DEPLOYED", {"host_id": HOST, "message": None}),
    wire("orchestrator", "HOST_REVERSE_PROXY_EVENT", {"host_id": HOST, "route": "/x", "port": 443}),
    # unknown messages, other channels, the confirmation
    wire("orchestrator", "HOST_TELEPORTED", {"host_id": HOST}),
    wire("pdfm", "VM_TELEPORTED", [1, 2]),
    wire("orchestrator", "host_stats_update", {"host_id": HOST}),
    wire("global", "WebSocket connection established", {"client_id": "c", "subscriptions": None}),
    wire("global", "WebSocket connection established; subscribed", {"client_id": 5, "subscriptions": ["a"]}),
    wire("global", "WebSocket connection established", {"subscriptions": []}),
    wire("health", "pong", ref_id=None, client_id=None),
    wire("stats", "System Stats", {"cpu_percent": float("nan"), "x": 1e308}),
    wire("job_manager", "JOB_UPDATED", {"id": "j", "progress": 1.0}),
    # stats nothing can draw, and Go nils
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": float("nan"), "b": 2.5}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": float("inf"), "b": float("-inf")}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": 1e308, "b": 1e308, "c": 1.0}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": 2**1023, "b": -(2**1023)}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": 2**1023 + 1, "b": 1}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": -(2**1023) - 1, "b": 1}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": 2**1024, "b": 0.5}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": 8.98846567431158e307, "b": 1}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": "x", "b": None, "c": [1], "d": True,
                                                                          "e": {"f": float("nan")}}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": "x", "b": float("nan")}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {}}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": None}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": [1]}),
    wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": "x"}),
    '{"event_type":"orchestrator","message":"HOST_STATS_UPDATE","body":{"host_id":"h","stats":{"a":1e999}}}',
    '{"event_type":"orchestrator","message":"HOST_STATS_UPDATE","body":{"host_id":"h","stats":{"a":-1E+999,"b":1}}}',
    '{"event_type":"orchestrator","message":"HOST_STATS_UPDATE","body":{"host_id":"h","stats":{"a":NaN,"b":Infinity}}}',
    '{"event_type":"orchestrator","message":"HOST_STATS_UPDATE","body":{"host_id":"h","stats":{"a":' + BIG + ',"b":1}}}',
    '{"event_type":"orchestrator","message":"HOST_STATS_UPDATE","body":{"host_id":"h","stats":{"a":1,"a":NaN}}}',
    wire("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST, "log": None}),
    wire("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST}),
    wire("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST, "log": {"level": None, "message": 5, "time": 1.5}}),
    wire("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST, "log": "disk low"}),
    wire("orchestrator", "HOST_MAC_VMS_RUNNING_NOW", {"host_id": HOST, "event": {"mac_vms_running": None}}),
    wire("orchestrator", "HOST_MAC_VMS_RUNNING_NOW", {"host_id": HOST, "event": None}),
    wire("orchestrator", "HOST_MAC_VMS_RUNNING_NOW", {"host_id": HOST}),
    wire("pdfm", "MAC_VMS_RUNNING_NOW", {"mac_vms_running": None}),
    wire("pdfm", "MAC_VMS_RUNNING_NOW", {"mac_vms_running": [{"name": "x"}, 1.5, None]}),
    wire("orchestrator", "HOST_VM_SNAPSHOTS_UPDATED", {"host_id": HOST, "event": {"vm_id": "v", "snapshots": None}}),
    wire("orchestrator", "HOST_VM_ADDED", {"host_id": HOST, "event": {"vm_id": "v", "new_vm": None}}),
    wire("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": HOST, "event": None}),
    # VM records in both forms, nulls, duplicates
    wire("orchestrator", "HOST_VM_ADDED", {"host_id": HOST, "event": {"vm_id": "v1", "new_vm": VM_SERVER}}),
    wire("orchestrator", "HOST_VM_UPDATED", {"host_id": HOST, "event": {"vm_id": "v1", "new_vm": {
        "id": "v1", "name": "n", "state": "stopped", "os_type": "windows", "uptime": 5, "description": None}}}),
    wire("pdfm", "VM_UPDATED", {"vm_id": "v1", "new_vm": {"ID": None, "Name": None, "State": None, "OS": None,
                                                         "Uptime": None, "host_id": None}}),
    wire("pdfm", "VM_ADDED", {"vm_id": "v1", "new_vm": {"vm_id": "x", "Id": "y", "Type": "CT"}}),
    '{"event_type":"pdfm","message":"VM_ADDED","body":{"vm_id":"v","new_vm":{"Name":"a","name":"b","Name":"c"}}}',
    '{"event_type":"pdfm","message":"VM_ADDED","body":{"vm_id":"v","new_vm":{"name":"a","Name":"b"}}}',
    wire("pdfm", "VM_ADDED", {"vm_id": "v1", "new_vm": {"Name": {"first": "x"}}}),
    wire("pdfm", "VM_ADDED", {"vm_id": "v1", "new_vm": {"Name": 1.5, "State": 2, "OS": -0.0, "Uptime": 1e20}}),
    # numbers (and others) where strings are expected
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": 7, "state": "healthy"}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": 1.0, "state": 1e2}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": 1e20, "state": 1e-7}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": -0.0, "state": 2**70}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": True}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": None}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": ["h"]}),
    wire("orchestrator", "HOST_VM_UPTIME_CHANGED", {"host_id": HOST, "event": {"vm_id": "v", "uptime": 3600}}),
    wire("orchestrator", "HOST_VM_UPTIME_CHANGED", {"host_id": HOST, "event": {"vm_id": 1.5, "uptime": 3600.0}}),
    wire("pdfm", "VM_UPTIME_CHANGED", {"vm_id": "v", "uptime": 1.0}),
    wire("global", "error", {"error": 1.5}),
    wire("global", "error", {"error": None}),
    wire("system", "client-id", {"client_id": 12}),
    wire("system", "client-id", {"client-id": "a", "client_id": "b"}),
    wire("system", "client-id", {"client-id": 1.25}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST}, id=42),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST}, id=1.5, timestamp=1.0, ref_id=2.5, client_id=3.0),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST}, id=None),
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST}, ref_id=True),
    wire("health", "pong", id=1.5, ref_id=1e20, client_id=-0.0),
    wire(1, "pong"),
    wire(1.5, "HOST_HEALTH_UPDATE", {"host_id": HOST}),
    wire("orchestrator", 5, {"host_id": HOST}),
    wire("orchestrator", 1.5),
    # missing host_id, bodies that are not objects, no body
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"state": "healthy"}),
    wire("orchestrator", "HOST_ADDED", {"host": "http://x/api"}),
    wire("orchestrator", "HOST_CATALOG_CACHE_EVENT", {"item": 1}),
    wire("orchestrator", "HOST_VM_REMOVED", {"event": {"vm_id": "v"}}),
    wire("orchestrator", "HOST_HEALTH_UPDATE", [HOST]),
    wire("orchestrator", "HOST_HEALTH_UPDATE", HOST),
    wire("orchestrator", "HOST_HEALTH_UPDATE", 5),
    wire("orchestrator", "HOST_HEALTH_UPDATE", 1.5),
    wire("orchestrator", "HOST_HEALTH_UPDATE", False),
    wire("orchestrator", "HOST_HEALTH_UPDATE"),
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":null}',
    wire("pdfm", "VM_REMOVED", "v1"),
    wire("global", "error", "boom"),
    wire("system", "client-id"),
    # extra fields, at every level
    wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST, "state": "x", "reason": {"a": [1, None]}},
         future=1, Body={"x": 1}, Message="x"),
    wire("orchestrator", "HOST_REVERSE_PROXY_UPDATED", {"host_id": HOST, "event": {"enabled": True}, "n": 1.5,
                                                        "nan": float("nan"), "deep": [[{"x": None}]]}),
    wire("orchestrator", "HOST_CATALOG_CACHE_EVENT", {"host_id": 5, "event": {"size": 2**80}}),
    wire("orchestrator", "HOST_REVERSE_PROXY_EVENT", {"host_id": HOST, "host_id2": 1.0}),
    wire("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": HOST, "event": {
        "vm_id": "v", "previous_state": "a", "current_state": "b", "extra": 1.5, "new_vm": {"ID": "v", "x": 1}}}),
    # duplicated keys, escapes, text that is not JSON
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","message":"pong","body":{"host_id":"h"}}',
    '{"event_type":"health","message":"pong","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h"}}',
    '{"event_type":"pdfm","event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h"}}',
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"a"},"body":{"host_id":"b"}}',
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"a","host_id":7}}',
    '{"id":"a","id":"b","event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"a"}}',
    '{"event_type":"orch\\u0065strator","message":"HOST_HEALTH_UPD\\u0041TE","body":{"host\\u005fid":"\\u00e9"}}',
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"\\ud800"}}',
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"a\\u0000b"}}',
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h",}}',
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h"}} trailing',
    ' \n{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h"}}\n ',
    '{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h\ud800"}}',
    '{"event_type":"pdfm","message":"VM_SNAPSHOTS_UPDATED","body":{"vm_id":"v","snapshots":' + "[" * 300 + "]" * 300
    + "}}",
    '{"event_type":"pdfm","message":"VM_SNAPSHOTS_UPDATED","body":{"vm_id":"v","snapshots":'
    + "[" * 100_000 + "]" * 100_000 + "}}",
    "",
    "{",
    "[1, 2]",
    "null",
    '"HOST_HEALTH_UPDATE"',
    "{}",
    '{"event_type": "orchestrator"}',
    '{"message": "HOST_HEALTH_UPDATE", "body": {"host_id": "h"}}',
    b'{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h"}}',
    bytearray(b"\x00\xff"),
]


@pytest.mark.parametrize("text", EDGE, ids=[f"edge-{i}" for i in range(len(EDGE))])
def test_edge_cases(text):
    check(text)


def test_edge_cases_cover_both_outcomes():
    items = [parse_frame(text, received_at=AT) for text in EDGE]
    assert sum(isinstance(item, Event) and not item.generic for item in items) > 40
    assert sum(isinstance(item, Event) and item.generic for item in items) > 5
    assert sum(isinstance(item, Malformed) for item in items) > 20
    stats = parse_frame(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": {"a": math.nan, "b": 2.5}}))
    assert isinstance(stats, Event) and drawable_stats(stats.body["stats"]) == {"b": 2.5}
    # known_event says yes often enough to matter, and no to everything it cannot vouch for
    assert sum(known_event(text) for text in EDGE) > 20
    assert known_event(wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h"}))
    assert known_event(wire("pdfm", "VM_REMOVED", {"vm_id": "v"}))
    assert not known_event(wire("orchestrator", "HOST_HEALTH_UPDATE", {"state": "ok"}))  # malformed
    assert not known_event(wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": 7}))  # coerced: parse_frame's
    assert not known_event(wire("Orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h"}))  # an event all the same
    assert not known_event(wire("health", "pong")) and not known_event(wire("system", "client-id", {"client-id": "c"}))
    assert not known_event(wire("orchestrator", "JOB_DONE", {"host_id": "h"}))  # generic
    assert not known_event(b'{"event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"h"}}')


def test_non_text_input_is_left_to_the_slow_path():
    assert fields(parse_frame(memoryview(b"{}"), received_at=AT)) == fields(
        parse_frame_slow(memoryview(b"{}"), received_at=AT))
