"""Frames the parser must take whatever they are: generic events (an unknown channel or message), hostile frames
(Malformed, never an exception, a bad field costing that field only), and properties over any text, bytes or
envelope."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kit.wire import HOST_A, event, malformed, wire

from tui.protocol.parse import RAW_EXCERPT, Event, Malformed, parse_frame

# ------------------------------------------------------------------------------------------------ generic


def test_unknown_channel_is_a_generic_event():
    ev = event(wire("quantum_flux", "FLUX_CAPACITOR_CHARGED", {"gigawatts": 1.21}))
    assert ev.generic and ev.event_type == "quantum_flux" and ev.body == {"gigawatts": 1.21}


@pytest.mark.parametrize("channel", ["orchestrator", "pdfm"])
def test_unknown_message_on_a_known_channel_is_generic(channel):
    ev = event(wire(channel, "HOST_TELEPORTED", {"host_id": HOST_A, "to": "mars"}))
    assert ev.generic and ev.body == {"host_id": HOST_A, "to": "mars"}


@pytest.mark.parametrize(("channel", "message", "body", "expect"), [
    ("stats", "DISK_SPACE_CHANGED", {"cache_folder_size": 10, "free": 1}, {"cache_folder_size": 10.0}),
    ("system_logs", "System Log", {"level": "warn", "message": "x"}, {"level": "warn", "message": "x"}),
    ("job_manager", "JOB_CREATED", {"id": "j1", "steps": [], "progress": 0, "state": "init"},
     {"id": "j1", "progress": 0.0, "state": "init"}),
    ("job_manager", "JOB_UPDATED", {"host_id": "h", "event": {"id": "j2", "state": "failed"}}, {"host_id": "h"}),
    ("reverse_proxy", "REVERSE_PROXY_STATE_CHANGED", {"enabled": True, "state": "running"},
     {"enabled": True, "state": "running"}),
    ("catalog_cache", "CACHE_ITEM_ADDED", {"catalog_id": "macos-sequoia", "version": "v4"},
     {"catalog_id": "macos-sequoia", "version": "v4"}),
    ("auth", "USER_ADDED", {"user_id": "u"}, {"user_id": "u"}),
])
def test_other_channels_are_read_by_the_references_shapes(channel, message, body, expect):
    ev = event(wire(channel, message, body))
    assert ev.event_type == channel and not ev.generic and not ev.problems
    assert {k: ev.body[k] for k in expect} == expect


@pytest.mark.parametrize(("channel", "message", "body"), [
    ("system_logs", "LOG", {"line": "x"}),
    ("system", "SOMETHING", ["a", "list"]),
    ("stats", "System Stats", {"cpu_percent": 1}),
])
def test_other_messages_keep_their_raw_body(channel, message, body):
    ev = event(wire(channel, message, body))
    assert ev.event_type == channel and ev.body == body


# ------------------------------------------------------------------------------------------------ hostile


HOSTILE = [
    ("", "not JSON"),
    ("{", "not JSON"),
    ("hello", "not JSON"),
    # the docs' own example has a trailing comma
    ('{"id":"4f","event_type":"orchestrator","message":"HOST_HEALTH_UPDATE","body":{"host_id":"b","state":"unhealthy",}}',
     "not JSON"),
    ("[1, 2, 3]", "not an object"),
    ('"just a string"', "not an object"),
    ("42", "not an object"),
    ("null", "not an object"),
    ("true", "not an object"),
    ("{}", "event_type"),
    ('{"message": "x"}', "event_type"),
    ('{"event_type": "health"}', "message"),
    ('{"event_type": ["health"], "message": "pong"}', "event_type"),
    ('{"event_type": null, "message": "pong"}', "event_type"),
    ('{"event_type": {"a": 1}, "message": "pong"}', "event_type"),
    ('{"event_type": "health", "message": ["pong"]}', "message"),
    ('{"event_type": "health", "message": "pong", "timestamp": [1]}', "timestamp"),
    ('{"event_type": "health", "message": "pong", "id": {"x": 1}}', "id"),
    ('{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": [1]}', "not an object"),
    ('{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": "healthy"}', "not an object"),
    ('{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE"}', "not an object"),
    ('{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": {"state": "healthy"}}', "host_id"),
    ('{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": {"host_id": ["h"]}}', "host_id"),
    ('{"event_type": "orchestrator", "message": "HOST_VM_STATE_CHANGED", "body": {"host_id": "h"}}', "event"),
    ('{"event_type": "global", "message": "WebSocket connection established", "body": {"subscriptions": []}}',
     "client_id"),
    ('{"event_type": "system", "message": "client-id", "body": {}}', "client-id"),
    ('{"event_type": "pdfm", "message": "VM_ADDED", "body": "v1"}', "not an object"),
    ("[" * 100_000 + "]" * 100_000, ""),
    ('{"event_type": "x", "message": "y", "body": ' + "[" * 100_000 + "]" * 100_000 + "}", ""),
]


@pytest.mark.parametrize(("text", "reason"), HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_frames_are_malformed(text, reason):
    item = parse_frame(text)
    if text.startswith('{"event_type": "x"') and isinstance(item, Event):
        return  # a parser that copes with deep nesting may accept it; it must just not raise
    assert isinstance(item, Malformed), item
    assert reason.lower() in item.reason.lower()
    assert item.size == len(text)
    assert item.excerpt.startswith(text[:20].replace("\n", "\\n"))


@pytest.mark.parametrize(("text", "problem"), [
    ('{"event_type": "orchestrator", "message": "HOST_VM_ADDED", "body": {"host_id": "h", "event": '
     '{"vm_id": "v", "new_vm": {"Name": {"first": "x"}, "State": "running"}}}}', "event.new_vm.Name"),
    ('{"event_type": "orchestrator", "message": "HOST_STATS_UPDATE", "body": {"host_id": "h", "stats": [1]}}', "stats"),
    ('{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": {"host_id": "h", "state": {}}}', "state"),
])
def test_a_bad_field_of_a_known_body_costs_that_field_only(text, problem):
    item = parse_frame(text)
    assert isinstance(item, Event) and item.problems == (problem,) and item.host_id == "h"


def test_binary_frames_are_malformed():
    item = malformed(b"\x00\xff\xfe binary \x81")
    assert item.reason == "binary frame" and item.size == 12 and "binary" in item.excerpt
    item = malformed(json.dumps({"event_type": "health", "message": "pong"}).encode())
    assert item.reason == "binary frame"


def test_excerpt_is_truncated_and_printable():
    text = "garbage\n" * 1000
    item = malformed(text)
    assert item.size == len(text)
    assert "\n" not in item.excerpt
    assert item.excerpt.endswith(f"... ({len(text)} bytes)")
    assert len(item.excerpt) <= RAW_EXCERPT * 2 + 40  # escaped newlines at most double the kept text
    big = json.dumps({"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": {"pad": "x" * 100_000}})
    item = malformed(big)
    assert len(item.excerpt) < RAW_EXCERPT + 40


def test_frames_after_a_malformed_one_are_unaffected():
    frames = [
        wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h1", "state": "healthy"}),
        "{not json",
        b"\x00\x01",
        '{"event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE", "body": {}}',
        wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": "h2", "state": "unhealthy"}),
        wire("health", "pong"),
    ]
    items = [parse_frame(f) for f in frames]
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["Event", "Malformed", "Malformed", "Malformed", "Event", "Event"]
    assert items[4].body == {"host_id": "h2", "state": "unhealthy"}


# ------------------------------------------------------------------------------------------------ properties


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


messages = st.sampled_from(["HOST_HEALTH_UPDATE", "HOST_VM_ADDED", "HOST_VM_STATE_CHANGED", "HOST_STATS_UPDATE",
                            "HOST_LOGS_UPDATE", "HOST_MAC_VMS_RUNNING_NOW", "VM_ADDED", "VM_REMOVED", "error",
                            "client-id", "pong", "WebSocket connection established", "NEW_THING"]) | st.text(max_size=10)


channels = st.sampled_from(["orchestrator", "pdfm", "global", "health", "system", "stats"]) | st.text(max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_any_text_or_bytes_never_raises(data):
    assert isinstance(parse_frame(data), Event | Malformed)


@settings(max_examples=250, deadline=None)
@given(channel=channels | json_values, message=messages | json_values, body=json_values,
       extra=st.dictionaries(st.sampled_from(["id", "timestamp", "ref_id", "client_id", "junk"]), json_values))
def test_any_envelope_never_raises(channel, message, body, extra):
    text = json.dumps({"event_type": channel, "message": message, "body": body, **extra})
    item = parse_frame(text)
    assert isinstance(item, Event | Malformed)
    if isinstance(item, Malformed):
        assert item.excerpt and item.size == len(text)


@settings(max_examples=200, deadline=None)
@given(message=st.sampled_from(["HOST_VM_ADDED", "HOST_VM_UPDATED", "HOST_VM_STATE_CHANGED"]),
       event_body=st.dictionaries(st.sampled_from(["vm_id", "new_vm", "previous_state", "current_state", "uptime",
                                                   "snapshots"]), json_values))
def test_vm_bodies_never_raise(message, event_body):
    item = parse_frame(wire("orchestrator", message, {"host_id": "h", "event": event_body}))
    assert isinstance(item, Event | Malformed)
