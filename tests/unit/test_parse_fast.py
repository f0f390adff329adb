"""The one-pass parse_frame gives exactly what the two-pass parse_frame_slow gives, frame for frame: on the
simulator's frames (flood, world, server replies), on hand-written edge cases and on random envelopes."""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from tui.protocol.models import (
    ORCHESTRATOR_BODIES,
    PDFM_BODIES,
    PDFM_TO_ORCHESTRATOR,
    VMRecord,
    drawable_stats,
)
from tui.protocol.parse import (
    Event,
    Malformed,
    _validate_frame,
    body_model,
    known_event,
    parse_frame,
    parse_frame_slow,
)
from tui.sim import World
from tui.sim.frames import IdSource, encode_frame, rfc3339_nano

AT = 1234.5
TS = "2026-11-26T12:00:00.123456789Z"
HOST = "2582cc66c42fb2523232eb9e89ebcd3d0d87a35c701d4486e069b62e2a4ea73a"


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (``1 == 1.0 == True`` is not enough), NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, BaseModel):  # a VM record in a VM event
        return (  # not a == b: that is False for NaN values, even in two parses of the same frame
            a.model_fields_set == b.model_fields_set
            and same(a.__dict__, b.__dict__)
            and same(a.__pydantic_extra__, b.__pydantic_extra__)
        )
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def fields(item: Event | Malformed) -> dict[str, Any]:
    return {name: getattr(item, name) for name in type(item).__slots__}


def check(text: str | bytes) -> Event | Malformed:
    fast = parse_frame(text, received_at=AT)
    slow = parse_frame_slow(text, received_at=AT)
    assert type(fast) is type(slow), (text, fast, slow)
    assert same(fields(fast), fields(slow)), (text, fast, slow)
    # what tail relies on: a frame known_event() accepts is an event of a known hub message
    if known_event(text):
        assert isinstance(fast, Event) and not fast.generic and fast.event_type in ("orchestrator", "pdfm"), text
        assert body_model(fast.event_type, fast.message) is not None
    return fast


def wire(channel: Any, message: Any, body: Any = None, **extra: Any) -> str:
    frame: dict[str, Any] = {"id": "7cbc843fd99e", "event_type": channel, "timestamp": TS, "message": message}
    if body is not None:
        frame["body"] = body
    frame.update(extra)
    return json.dumps(frame)


# ------------------------------------------------------------------------------------------------ the comparison


def test_the_comparison_sees_the_differences_that_matter():
    """A fast path that forgot to lower-case the channel or to drop NaN would be caught."""
    ev = parse_frame_slow(wire("Orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h"}), received_at=AT)
    assert isinstance(ev, Event) and ev.event_type == "orchestrator"
    wrong = Event(**{**fields(ev), "event_type": "Orchestrator"})
    assert not same(fields(wrong), fields(ev))
    assert not same({"host_id": "h", "stats": {"a": 1.0}}, {"host_id": "h", "stats": {"a": 1.0, "b": math.nan}})
    assert not same(VMRecord(id="v", name="a"), VMRecord(id="v", name="b"))
    assert not same(VMRecord(id="v"), VMRecord(id="v", name=""))  # fields set differ
    assert same(VMRecord(id="v", name="a"), VMRecord(id="v", name="a"))
    assert not same({"a": 1}, {"a": 1.0}) and not same({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert same({"a": math.nan}, {"a": math.nan})


# ------------------------------------------------------------------------------------------------ simulator frames


@pytest.mark.parametrize("seed", [0, 1, 7, 2026])
def test_flood_frames(seed):
    frames = World(50, 8, seed=seed).flood_frames(5000)
    for text in frames:
        assert isinstance(check(text), Event)
    # and they really take the one-pass path: the validator hands back the typed frame, not an Envelope
    assert all(type(_validate_frame(text, strict=True)) is dict for text in frames)
    assert all(known_event(text) for text in frames)  # and tail passes them on as they are


def world_events(seed: int, seconds: int = 1800, per_kind: int = 40) -> list[tuple[str, str, Any]]:
    """Up to ``per_kind`` of each (channel, message) a small world sends in half an hour, plus the pdfm form
    of every orchestrator VM event (the simulator sends those only for its own few VMs)."""
    world = World(8, 8, seed=seed)
    kept: dict[tuple[str, str], list[Any]] = {}
    for _ in range(seconds // 60):
        for channel, message, body in world.step(60):
            bucket = kept.setdefault((channel, message), [])
            if len(bucket) < per_kind:
                bucket.append(body)
    to_pdfm = {orch: pdfm for pdfm, orch in PDFM_TO_ORCHESTRATOR.items()}
    for (channel, message), bodies in list(kept.items()):
        if channel == "orchestrator" and message in to_pdfm:
            kept.setdefault(("pdfm", to_pdfm[message]), []).extend(body["event"] for body in bodies)
    return [(channel, message, body) for (channel, message), bodies in kept.items() for body in bodies]


@pytest.mark.parametrize("seed", [3, 11])
def test_world_frames(seed):
    events = world_events(seed)
    kinds = {(channel, message) for channel, message, _ in events}
    never = {"HOST_DEPLOYED", "HOST_REVERSE_PROXY_EVENT"}  # the simulator does not send them: see EDGE
    must = {("orchestrator", m) for m in ORCHESTRATOR_BODIES if m not in never} | {
        ("pdfm", m) for m in PDFM_BODIES
    } | {("stats", "System Stats"), ("system_logs", "System Log"), ("job_manager", "JOB_CREATED")}
    assert must <= kinds
    ids = IdSource(random.Random(seed))
    for channel, message, body in events:
        assert isinstance(check(encode_frame(ids(), channel, message, body, timestamp=TS)), Event)


def test_server_replies():
    """What the simulator's server writes itself: confirmation, pong, client-id and error frames."""
    ids = IdSource(random.Random(5))
    client = "338a28f7-666e-46e1-8e7d-4feba5edc061"
    ts = rfc3339_nano(1_785_000_000_123_000_000)
    frames = [
        encode_frame(ids(), "global", "WebSocket connection established subscribed to global by default",
                     {"client_id": client, "subscriptions": ["orchestrator", "health", "global"]}, timestamp=ts),
        encode_frame(ids(), "health", "pong", timestamp=ts, ref_id="ping-1", client_id=client),
        encode_frame(ids(), "health", "pong", timestamp=ts, ref_id="", client_id=client),
        encode_frame(ids(), "system", "client-id", {"client-id": client}, timestamp=ts, client_id=client),
        encode_frame(ids(), "global", "error", {"error": "unknown health message 'x'"}, timestamp=ts, ref_id="r",
                     client_id=client),
        encode_frame(ids(), "global", "error", {"error": "invalid message format: not JSON"}, timestamp=ts,
                     ref_id="", client_id=client),
    ]
    for text in frames:
        assert isinstance(check(text), Event)
    assert type(_validate_frame(frames[3], strict=True)) is dict  # client-id and error take the one pass
    assert type(_validate_frame(frames[4], strict=True)) is dict


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


# ------------------------------------------------------------------------------------------------ properties


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from([2**1023, 2**1023 + 1, -(2**1024), 10**400, 1e308, -0.0, 1e20, 1e-7]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)
scalars = st.text(max_size=12) | st.integers() | st.floats() | st.none() | st.booleans()
BODY_KEYS = ["host_id", "state", "host", "description", "message", "stats", "log", "event", "vm_id", "new_vm",
             "previous_state", "current_state", "uptime", "snapshots", "mac_vms_running", "error", "client-id",
             "client_id", "subscriptions", "level", "time"]
VM_KEYS = ["ID", "id", "Id", "vm_id", "Name", "name", "State", "state", "OS", "os", "os_type", "Uptime", "uptime",
           "Description", "description", "host_id", "host_name", "Type"]
KNOWN = [*ORCHESTRATOR_BODIES, *PDFM_BODIES, "error", "client-id"]


def record(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), scalars | json_values, max_size=6)


bodies = st.recursive(
    record(VM_KEYS),
    lambda children: st.dictionaries(st.sampled_from(BODY_KEYS), children | scalars | json_values, max_size=5),
    max_leaves=6,
) | json_values


@settings(max_examples=400, deadline=None)
@given(
    channel=st.sampled_from(["orchestrator", "pdfm", "global", "system", "health", "Orchestrator", "PDFM"])
    | scalars,
    message=st.sampled_from(KNOWN) | scalars,
    body=bodies,
    extra=st.dictionaries(st.sampled_from(["id", "timestamp", "ref_id", "client_id", "junk"]), scalars),
    omit_body=st.booleans(),
)
def test_any_envelope_parses_the_same(channel, message, body, extra, omit_body):
    frame = {"event_type": channel, "message": message, **extra}
    if not omit_body:
        frame["body"] = body
    check(json.dumps(frame))


stats_values = st.floats() | st.integers() | st.sampled_from([2**1023, 2**1023 + 1, -(2**1023) - 1, 2**1024, 10**400,
                                                             1e308, True, None, "x", [1.0]])


@settings(max_examples=300, deadline=None)
@given(stats=st.dictionaries(st.text(max_size=6), stats_values, max_size=8) | st.none())
def test_any_stats_parse_the_same(stats):
    ev = check(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": stats}))
    # both keep the stats as sent, and drawable_stats drops exactly the numbers nothing can draw, as a plain
    # check of each value does
    assert isinstance(ev, Event) and same(ev.body["stats"], json.loads(json.dumps(stats)))
    expected = {k: v for k, v in (stats or {}).items() if not undrawable(v)}
    assert same(drawable_stats(ev.body["stats"]), json.loads(json.dumps(expected)))
    assert same(drawable_stats(stats), expected)


STATS = [
    {"a": 2**1023 + 1, "b": 1},
    {"a": -(2**1023) - 1, "b": 1.5},
    {"a": 2**1023, "b": -(2**1023), "c": 2**1024, "d": 10**400},
    {"a": 8.98846567431158e307, "b": 2**1023 - 1},
    {"a": 1e308, "b": 1e308, "c": math.inf},
    {"a": 1e308, "b": 1e308},
    {"a": math.nan, "b": "x", "c": None, "d": True, "e": [math.nan]},
    {"a": -math.inf, "b": 0.0, "c": -0.0},
    {},
    None,
]


@pytest.mark.parametrize("stats", STATS, ids=[f"stats-{i}" for i in range(len(STATS))])
def test_stats_drop_exactly_what_nothing_can_draw(stats):
    expected = {k: v for k, v in (stats or {}).items() if not undrawable(v)}
    assert same(drawable_stats(stats), expected)
    ev = check(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST, "stats": stats}))
    assert isinstance(ev, Event) and same(drawable_stats(ev.body["stats"]), json.loads(json.dumps(expected)))
    if not (stats or {}).keys() - expected.keys():  # nothing dropped: the same dict, not a copy
        assert drawable_stats(ev.body["stats"]) is ev.body["stats"] or stats is None


def undrawable(x: Any) -> bool:
    return (type(x) is float and not math.isfinite(x)) or (type(x) is int and abs(x) > 2**1023)
