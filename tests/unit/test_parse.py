"""Frames and bodies of the protocol reference -> typed events; hostile frames -> Malformed, never an exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kit.wire import HOST_A, host_record, vm_record
from pydantic import TypeAdapter

from tui.protocol.models import (
    ClientIdBody,
    Confirmation,
    ErrorBody,
    HostAddedBody,
    HostDeployedBody,
    HostGenericBody,
    HostLogsBody,
    HostMacVMsBody,
    HostRecord,
    HostRemovedBody,
    HostStateBody,
    HostStatsBody,
    HostVMBody,
    MacVMsRunning,
    VMEvent,
    VMRecord,
    drawable_stats,
)
from tui.protocol.parse import RAW_EXCERPT, Event, Malformed, body_model, parse_frame, parse_timestamp

TS = "2025-12-12T12:12:14.164146Z"


def wire(channel: str, message: str, body=None, **extra) -> str:
    msg = {"id": "7cbc843fd99e2965fd4039410a0e20c2984b8b9c8889991954751d66b90cabb1", "event_type": channel,
           "timestamp": TS, "message": message}
    if body is not None:
        msg["body"] = body
    msg.update(extra)
    return json.dumps(msg)


def event(text: str | bytes) -> Event:
    item = parse_frame(text)
    assert isinstance(item, Event), item
    return item


def malformed(text: str | bytes) -> Malformed:
    item = parse_frame(text)
    assert isinstance(item, Malformed), item
    return item


# ------------------------------------------------------------------------------------------------ envelope


def test_envelope_fields_are_kept():
    text = wire("orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"},
                ref_id="r-1", client_id="c-1")
    ev = parse_frame(text, received_at=1234.5)
    assert isinstance(ev, Event)
    assert ev.id == "7cbc843fd99e2965fd4039410a0e20c2984b8b9c8889991954751d66b90cabb1"
    assert (ev.event_type, ev.message, ev.timestamp) == ("orchestrator", "HOST_HEALTH_UPDATE", TS)
    assert (ev.ref_id, ev.client_id, ev.received_at) == ("r-1", "c-1", 1234.5)
    assert ev.raw == text and ev.as_json() == json.loads(text)
    assert ev.generic is False and ev.duplicate is False


def test_body_is_optional_and_unknown_fields_are_ignored():
    ev = event(json.dumps({"id": "x", "event_type": "health", "message": "pong", "timestamp": TS,
                           "future_field": {"a": 1}, "ref_id": "abc"}))
    assert ev.body is None and ev.ref_id == "abc"
    ev = event(wire("orchestrator", "HOST_HEALTH_UPDATE",
                    {"host_id": HOST_A, "state": "unhealthy", "reason": "disk full", "extra": [1]}))
    assert ev.body == {"host_id": HOST_A, "state": "unhealthy"}  # a body holds its schema's fields only


def test_channel_names_are_case_insensitive():
    ev = event(wire("Orchestrator", "HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "healthy"}))
    assert ev.event_type == "orchestrator" and body_model(ev.event_type, ev.message) is HostStateBody
    assert ev.body == {"host_id": HOST_A, "state": "healthy"}


@pytest.mark.parametrize(
    "raw_id",
    [
        "8d9e0f1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6p7q8r9s0t1u2v3w4x5y6z7a8b9",  # the docs' non-hex id
        "1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6p7q8r9s0t1u2v3w4x5y6z7a8b9c0d1e2",
        "not-even-an-id ✓",
        "",
    ],
)
def test_ids_are_opaque_strings(raw_id):
    ev = event(wire("orchestrator", "HOST_VM_REMOVED", {"host_id": "host:7", "event": {"vm_id": "vm/∆"}}, id=raw_id))
    assert ev.id == raw_id
    assert ev.host_id == "host:7" and ev.vm_id == "vm/∆"


def test_numeric_ids_become_strings():
    ev = event(json.dumps({"id": 42, "event_type": "orchestrator", "message": "HOST_HEALTH_UPDATE",
                           "body": {"host_id": 7, "state": "healthy"}}))
    assert ev.id == "42" and ev.host_id == "7"


# ------------------------------------------------------------------------------------------------ timestamps


@pytest.mark.parametrize("digits", range(10))
def test_timestamps_with_0_to_9_fractional_digits(digits):
    frac = "123456789"[:digits]
    text = f"2025-12-12T12:12:14{'.' + frac if digits else ''}Z"
    dt = parse_timestamp(text)
    expected_us = int((frac + "000000")[:6]) if digits else 0
    assert dt == datetime(2025, 12, 12, 12, 12, 14, expected_us, tzinfo=UTC)
    assert event(wire("health", "pong", timestamp=text)).timestamp == text


def test_timestamps_with_offsets_and_garbage():
    assert parse_timestamp("2025-12-12T14:12:14.123456789+02:00") == datetime(2025, 12, 12, 12, 12, 14, 123456,
                                                                               tzinfo=UTC)
    assert parse_timestamp("2025-12-12T12:12:14") == datetime(2025, 12, 12, 12, 12, 14, tzinfo=UTC)
    for bad in ("", "yesterday", "2025-13-45T99:00:00Z", "12345"):
        assert parse_timestamp(bad) is None
    # a frame with a timestamp nobody can read is still an event (the time is informational)
    assert event(wire("health", "pong", timestamp="yesterday")).timestamp == "yesterday"


# ------------------------------------------------------------------------------------------------ global/health/system


@pytest.mark.parametrize(
    "message",
    [
        "WebSocket connection established subscribed to global by default",  # the server
        "WebSocket connection established; subscribed to global by default",  # the docs
    ],
)
def test_confirmation(message):
    ev = event(wire("global", message, {"client_id": "338a28f7-666e-46e1-8e7d-4feba5edc061",
                                        "subscriptions": ["orchestrator", "health", "global"]}))
    assert body_model(ev.event_type, ev.message) is Confirmation
    assert ev.body == {"client_id": "338a28f7-666e-46e1-8e7d-4feba5edc061",
                       "subscriptions": ["orchestrator", "health", "global"]}


def test_pong_has_no_body():
    ev = event(json.dumps({"id": "p1", "event_type": "health", "timestamp": TS, "message": "pong",
                           "ref_id": "ping-1", "client_id": "c-9"}))
    assert (ev.event_type, ev.message, ev.body, ev.ref_id, ev.client_id) == ("health", "pong", None, "ping-1", "c-9")
    assert not ev.generic


def test_client_id_reply_uses_a_hyphen():
    ev = event(wire("system", "client-id", {"client-id": "c-42"}, client_id="c-42"))
    assert body_model(ev.event_type, ev.message) is ClientIdBody
    assert ev.body == {"client_id": "c-42"} and ev.client_id == "c-42"


def test_error_frame():
    ev = event(wire("global", "error", {"error": "unknown event type: bogus"}))
    assert body_model(ev.event_type, ev.message) is ErrorBody and ev.body == {"error": "unknown event type: bogus"}


# ------------------------------------------------------------------------------------------------ orchestrator


VM_DOCS = {"name": "New Host VM", "os_type": "windows", "state": "stopped"}
VM_SERVER = vm_record("ce143894-64e4-50d4-cbcf-2586690e0b8c", HOST_A, "builder", "running", "win-11")

ORCHESTRATOR_CASES = [
    # (message, body sent, schema, body as parsed: every field of the schema, absent ones at their default)
    ("HOST_HEALTH_UPDATE", {"host_id": HOST_A, "state": "unhealthy"}, HostStateBody,
     {"host_id": HOST_A, "state": "unhealthy"}),
    ("HOST_WEBSOCKET_CONNECTED", {"host_id": HOST_A, "state": "websocket_connected"}, HostStateBody,
     {"host_id": HOST_A, "state": "websocket_connected"}),
    ("HOST_WEBSOCKET_DISCONNECTED", {"host_id": HOST_A, "state": "websocket_disconnected"}, HostStateBody,
     {"host_id": HOST_A, "state": "websocket_disconnected"}),
    ("HOST_WEBSOCKET_DEGRADED", {"host_id": HOST_A, "state": "unhealthy"}, HostStateBody,
     {"host_id": HOST_A, "state": "unhealthy"}),
    ("HOST_ADDED", {"host_id": HOST_A, "host": "http://mac-mini-01.local:80/api", "description": "farm"},
     HostAddedBody, {"host_id": HOST_A, "host": "http://mac-mini-01.local:80/api", "description": "farm"}),
    ("HOST_ADDED", {"host_id": HOST_A, "host": "http://x:80/api"}, HostAddedBody,
     {"host_id": HOST_A, "host": "http://x:80/api", "description": ""}),
    ("HOST_REMOVED", {"host_id": HOST_A}, HostRemovedBody, {"host_id": HOST_A, "host": ""}),
    ("HOST_REMOVED", {"host_id": HOST_A, "host": "http://x/api"}, HostRemovedBody,
     {"host_id": HOST_A, "host": "http://x/api"}),
    ("HOST_DEPLOYED", {"host_id": HOST_A, "host": "http://x/api", "message": "deployed v2"}, HostDeployedBody,
     {"host_id": HOST_A, "host": "http://x/api", "message": "deployed v2"}),
    ("HOST_DEPLOYED", {"host_id": HOST_A}, HostDeployedBody, {"host_id": HOST_A, "host": "", "message": ""}),
    ("HOST_CATALOG_CACHE_EVENT", {"host_id": HOST_A, "item": "ubuntu"}, HostGenericBody, {"host_id": HOST_A}),
    ("HOST_REVERSE_PROXY_UPDATED", {"host_id": HOST_A, "enabled": True}, HostGenericBody, {"host_id": HOST_A}),
    ("HOST_REVERSE_PROXY_EVENT", {"host_id": HOST_A, "route": "/x"}, HostGenericBody, {"host_id": HOST_A}),
    # fields of other bodies in a body that does not have them are not read as its VM
    ("HOST_CATALOG_CACHE_EVENT", {"host_id": HOST_A, "event": "x", "vm_id": 5}, HostGenericBody, {"host_id": HOST_A}),
    ("HOST_HEALTH_UPDATE", {"host_id": HOST_A, "event": {"vm_id": "v"}}, HostStateBody, {"host_id": HOST_A, "state": ""}),
    ("HOST_MAC_VMS_RUNNING_NOW", {"host_id": HOST_A, "event": {"mac_vms_running": ["a", "b"]}}, HostMacVMsBody,
     {"host_id": HOST_A, "event": {"mac_vms_running": ["a", "b"]}}),
    ("HOST_MAC_VMS_RUNNING_NOW", {"host_id": HOST_A}, HostMacVMsBody, {"host_id": HOST_A, "event": {"mac_vms_running": []}}),
]


@pytest.mark.parametrize(("message", "body", "schema", "expected"), ORCHESTRATOR_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(ORCHESTRATOR_CASES)])
def test_orchestrator_host_messages(message, body, schema, expected):
    ev = event(wire("orchestrator", message, body))
    assert not ev.generic
    assert ev.host_id == HOST_A and ev.vm_id is None
    assert body_model(ev.event_type, ev.message) is schema
    assert ev.body == expected


def test_host_stats_and_logs():
    stats = {"cpu_percent": 12.5, "memory_bytes": 1234, "memory_alloc_bytes": 99, "goroutines": 40,
             "cpu_user_seconds": 1.5, "cpu_system_seconds": 0.5}
    ev = event(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": stats}))
    assert body_model(ev.event_type, ev.message) is HostStatsBody and ev.body == {"host_id": HOST_A, "stats": stats}
    ev = event(wire("orchestrator", "HOST_LOGS_UPDATE",
                    {"host_id": HOST_A, "log": {"level": "warn", "message": "disk low", "time": TS}}))
    assert body_model(ev.event_type, ev.message) is HostLogsBody
    assert ev.body["log"] == {"level": "warn", "message": "disk low", "time": TS}
    ev = event(wire("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST_A, "log": {"message": "m"}}))
    assert ev.body["log"] == {"level": "", "message": "m", "time": ""}


def test_go_nil_slices_and_maps_are_accepted():
    """Go encodes a nil slice or map as null: an empty list / dict, not a malformed frame."""
    ev = event(wire("orchestrator", "HOST_MAC_VMS_RUNNING_NOW", {"host_id": HOST_A, "event": {"mac_vms_running": None}}))
    assert ev.body["event"]["mac_vms_running"] == []
    ev = event(wire("pdfm", "MAC_VMS_RUNNING_NOW", {"mac_vms_running": None}))
    assert ev.body["mac_vms_running"] == []
    # a nil stats map is kept as sent; what reads stats takes it through drawable_stats, which gives {}
    ev = event(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A, "stats": None}))
    assert ev.body["stats"] is None and drawable_stats(ev.body["stats"]) == {}
    ev = event(wire("orchestrator", "HOST_STATS_UPDATE", {"host_id": HOST_A}))
    assert ev.body["stats"] == {}
    ev = event(wire("orchestrator", "HOST_LOGS_UPDATE", {"host_id": HOST_A, "log": None}))
    assert ev.body["log"] == {"level": "", "message": "", "time": ""}
    ev = event(wire("orchestrator", "HOST_VM_SNAPSHOTS_UPDATED", {"host_id": HOST_A, "event": {"vm_id": "v", "snapshots": None}}))
    assert ev.body["event"]["snapshots"] is None


def test_vm_state_changed_from_the_docs():
    ev = event(wire("orchestrator", "HOST_VM_STATE_CHANGED", {"host_id": HOST_A, "event": {
        "previous_state": "resuming", "current_state": "running", "vm_id": "ae032783-53d3-49c3-babf-1475589d9a7b"}}))
    assert body_model(ev.event_type, ev.message) is HostVMBody
    assert ev.body == {"host_id": HOST_A, "event": {
        "vm_id": "ae032783-53d3-49c3-babf-1475589d9a7b", "previous_state": "resuming", "current_state": "running",
        "new_vm": None, "uptime": "", "snapshots": None}}
    assert ev.vm_id == "ae032783-53d3-49c3-babf-1475589d9a7b"


@pytest.mark.parametrize("message", ["HOST_VM_ADDED", "HOST_VM_UPDATED"])
@pytest.mark.parametrize(("record", "name", "os", "state"), [(VM_DOCS, "New Host VM", "windows", "stopped"),
                                                          (VM_SERVER, "builder", "win-11", "running")],
                         ids=["docs-lowercase", "server-capitalised"])
def test_vm_added_and_updated_in_both_record_forms(message, record, name, os, state):
    ev = event(wire("orchestrator", message, {"host_id": HOST_A, "event": {
        "vm_id": "ce143894-64e4-50d4-cbcf-2586690e0b8c", "new_vm": record}}))
    vm = ev.body["event"]["new_vm"]
    assert isinstance(vm, VMRecord)
    assert (vm.name, vm.os, vm.state) == (name, os, state)
    assert ev.vm_id == "ce143894-64e4-50d4-cbcf-2586690e0b8c"


def test_vm_removed_uptime_snapshots():
    ev = event(wire("orchestrator", "HOST_VM_REMOVED", {"host_id": HOST_A, "event": {"vm_id": "v1"}}))
    assert ev.vm_id == "v1"
    ev = event(wire("orchestrator", "HOST_VM_UPTIME_CHANGED", {"host_id": HOST_A, "event": {"vm_id": "v1", "uptime": 3600}}))
    assert ev.body["event"]["uptime"] == "3600"  # a number where text is expected: Python's text
    ev = event(wire("orchestrator", "HOST_VM_SNAPSHOTS_UPDATED",
                    {"host_id": HOST_A, "event": {"vm_id": "v1", "snapshots": [{"id": "s1"}, {"id": "s2"}]}}))
    assert ev.body["event"]["snapshots"] == [{"id": "s1"}, {"id": "s2"}]


# ------------------------------------------------------------------------------------------------ pdfm


PDFM_CASES = [
    ("VM_STATE_CHANGED", {"previous_state": "stopped", "current_state": "starting", "vm_id": "v1"}),
    ("VM_ADDED", {"vm_id": "v1", "new_vm": VM_SERVER}),
    ("VM_UPDATED", {"vm_id": "v1", "new_vm": VM_DOCS}),
    ("VM_REMOVED", {"vm_id": "v1"}),
    ("VM_UPTIME_CHANGED", {"vm_id": "v1", "uptime": "12"}),
    ("VM_SNAPSHOTS_UPDATED", {"vm_id": "v1", "snapshots": []}),
]


@pytest.mark.parametrize(("message", "body"), PDFM_CASES, ids=[c[0] for c in PDFM_CASES])
def test_pdfm_messages(message, body):
    ev = event(wire("pdfm", message, body))
    assert body_model(ev.event_type, ev.message) is VMEvent and not ev.generic
    assert ev.body["vm_id"] == "v1"
    assert ev.vm_id == "v1" and ev.host_id is None


def test_pdfm_mac_vms_running():
    ev = event(wire("pdfm", "MAC_VMS_RUNNING_NOW", {"mac_vms_running": [{"name": "x"}]}))
    assert body_model(ev.event_type, ev.message) is MacVMsRunning and ev.body == {"mac_vms_running": [{"name": "x"}]}


# ------------------------------------------------------------------------------------------------ records


def test_host_record_from_the_reference():
    rec = HostRecord.model_validate({
        "id": HOST_A, "enabled": True, "host": "http://mac-mini-01.local:80/api", "architecture": "arm64",
        "cpu_model": "Apple M2", "os_name": "macOS", "os_version": "14.5", "external_ip_address": "1.2.3.4",
        "devops_version": "0.9.12", "description": "build farm", "tags": ["ci", "arm"], "state": "healthy",
        "parallels_desktop_version": "20.1", "parallels_desktop_licensed": True, "has_websocket_events": True,
        "is_reverse_proxy_enabled": False, "is_log_streaming_enabled": True, "enabled_modules": ["api"],
        "resources": {"logical_cpu_count": 8, "memory_size": 17179869184, "disk_size": 1e12,
                      "free_disk_size": 5e11, "total_apple_vms": 2, "mac_vms_running": ["vm-mac-1"]},
        "detailed_resources": {"total": {"logical_cpu_count": 8, "memory_size": 17179869184}},
    })
    assert (rec.id, rec.host, rec.description, rec.state, rec.tags) == (
        HOST_A, "http://mac-mini-01.local:80/api", "build farm", "healthy", ["ci", "arm"])
    assert rec.resources is not None and rec.resources.logical_cpu_count == 8
    # a list of the running macOS VMs' ids in the real OrchestratorHostResponse, not a count
    assert rec.resources.mac_vms_running == ["vm-mac-1"]
    assert rec.detailed_resources.total.memory_size == 17179869184


def test_host_record_with_nulls_and_minimal_fields():
    rec = HostRecord.model_validate({"id": "h", "tags": None, "resources": None})
    assert (rec.host, rec.tags, rec.resources, rec.state) == ("", [], None, "")


def test_vm_record_server_form():
    rec = VMRecord.model_validate(VM_SERVER)
    assert (rec.id, rec.name, rec.state, rec.os, rec.host_id) == (
        "ce143894-64e4-50d4-cbcf-2586690e0b8c", "builder", "running", "win-11", HOST_A)


def test_vm_record_docs_form_and_nulls():
    rec = VMRecord.model_validate({"id": "v", **VM_DOCS})
    assert (rec.id, rec.name, rec.os, rec.state) == ("v", "New Host VM", "windows", "stopped")
    rec = VMRecord.model_validate({"ID": "v", "Name": None, "State": None, "OS": None})
    assert (rec.name, rec.state, rec.os) == ("", "", "")


def test_vm_record_type_is_not_the_os():
    """Parallels' ``"Type"`` is ``VM`` or ``CT`` (the kind of machine), not the guest OS."""
    rec = VMRecord.model_validate({"ID": "v", "Name": "n", "Type": "VM", "State": "running"})
    assert rec.os == ""


def test_listings_validate_both_record_forms():
    hosts = TypeAdapter(list[HostRecord]).validate_python([host_record("h1", "a.local"), host_record("h2", "b")])
    assert [h.id for h in hosts] == ["h1", "h2"]
    vms = TypeAdapter(list[VMRecord]).validate_python([vm_record("v1", "h1", "n1"), {"id": "v2", **VM_DOCS}])
    assert [(v.id, v.name) for v in vms] == [("v1", "n1"), ("v2", "New Host VM")]


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
