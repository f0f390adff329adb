"""Frames and bodies of the protocol reference -> typed events, and the records of the listings. (Generic events,
hostile frames and properties are in test_parse_hostile.py.)"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from kit.wire import HOST_A, event, host_record, vm_record, wire
from kit.wire import REF_TS as TS
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
from tui.protocol.parse import Event, body_model, parse_frame, parse_timestamp

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
