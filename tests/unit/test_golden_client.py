"""The client reads every golden file (written by hand from the reference, never by the simulator or the client)
as the reference says: records whole, every frame a known event with no field left out, and what each one
means to the model and the log. With ``test_sim_golden`` (the simulator makes these shapes), a misreading can
no longer pass in both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.model.cluster import Cluster
from tui.model.describe import summary
from tui.protocol.errors import for_status
from tui.protocol.parse import Event, body_model, parse_frame
from tui.protocol.records import HostRecord, VMRecord, read_record

GOLDEN = Path(__file__).parents[1] / "golden"
FRAMES = sorted((GOLDEN / "frames").glob("*.json"))
HOST = "a16c7dfc2e8e79b927f0d8e786c7ac5fce172d800be06c15cb789eabae1550de"


def load(name: str):
    return json.loads((GOLDEN / name).read_text())


@pytest.mark.parametrize("name", ["host_record_full.json", "host_record_minimal.json"])
def test_host_records_are_read_whole(name):
    record, problems = read_record(HostRecord, load(name))
    assert record is not None and problems == []
    assert record.id and record.host.startswith("http")
    assert record.resources is not None and record.resources.memory_size


def test_the_full_host_record_as_the_reference_says():
    record, _ = read_record(HostRecord, load("host_record_full.json"))
    assert record.resources.mac_vms_running == ["5f0c7f3e-2b1a-4c8d-9e6f-0a1b2c3d4e5f"]  # ids, not a count
    assert record.has_websocket_events is True and record.state == "healthy"
    assert record.detailed_resources is not None and record.detailed_resources.total is not None
    assert record.cache_items and record.cache_items[0].catalog_id
    assert record.reverse_proxy is not None and record.reverse_proxy.enabled
    cluster = Cluster()
    cluster.load_snapshot([record], [])
    host = cluster.hosts[record.id]
    assert (host.label, host.link, host.mac_vms_running) == ("mac-mini-01.local", "connected",
                                                             ["5f0c7f3e-2b1a-4c8d-9e6f-0a1b2c3d4e5f"])


@pytest.mark.parametrize("name", ["vm_record_server.json", "vm_record_docs.json"])
def test_vm_records_are_read_in_both_forms(name):
    record, problems = read_record(VMRecord, load(name))
    assert record is not None and problems == []
    assert record.name and record.state and record.os


@pytest.mark.parametrize("path", FRAMES, ids=[p.stem for p in FRAMES])
def test_every_golden_frame_is_a_known_event_read_whole(path):
    text = path.read_text()
    event = parse_frame(text)
    assert isinstance(event, Event), event
    doc = json.loads(text)
    assert (event.event_type, event.message, event.id) == (doc["event_type"], doc["message"], doc["id"])
    assert not event.problems, event.problems
    known = body_model(event.event_type, event.message) is not None
    bodiless = doc["message"] in ("pong",) or "body" not in doc
    generic_ok = event.event_type in ("stats",) and doc["message"] == "System Stats"
    assert known or bodiless or generic_ok, f"{path.stem}: read as a generic event"
    assert not event.generic or generic_ok
    assert summary(event) or bodiless  # the log says something about it
    body = doc.get("body")
    if event.event_type == "orchestrator" and isinstance(body, dict) and "host_id" in body:
        assert event.host_id == body["host_id"]


def _seeded() -> Cluster:
    record, _ = read_record(HostRecord, load("host_record_full.json"))
    vm, _ = read_record(VMRecord, load("vm_record_server.json"))
    vm.host_id = HOST
    cluster = Cluster()
    cluster.load_snapshot([record], [vm])
    return cluster


def frame(name: str) -> Event:
    event = parse_frame((GOLDEN / "frames" / f"{name}.json").read_text())
    assert isinstance(event, Event)
    return event


def test_a_disk_space_stats_body_updates_disk_and_keeps_the_service_figures():
    cluster = _seeded()
    cluster.apply(frame("orchestrator.HOST_STATS_UPDATE"))
    host = cluster.hosts[HOST]
    cpu = host.stats["cpu_percent"]
    cluster.apply(frame("orchestrator.HOST_STATS_UPDATE.disk_space"))
    assert host.stats["cpu_percent"] == cpu and host.disk["cache_folder_size"] == 412310
    assert summary(frame("orchestrator.HOST_STATS_UPDATE.disk_space")).startswith("disk: ")
    assert summary(frame("orchestrator.HOST_STATS_UPDATE")).startswith("service cpu")


def test_nested_host_events_show_their_inner_message():
    assert summary(frame("orchestrator.HOST_REVERSE_PROXY_UPDATED")).startswith("REVERSE_PROXY_STATE_CHANGED")
    assert summary(frame("orchestrator.HOST_CATALOG_CACHE_EVENT")).startswith("CACHE_ITEM_")


def test_job_and_auth_bodies_say_what_happened():
    failed = summary(frame("job_manager.JOB_UPDATED.failed"))
    assert "failed" in failed
    forwarded = frame("job_manager.JOB_UPDATED.host")
    assert forwarded.host_id == HOST and summary(forwarded)
    assert summary(frame("auth.USER_ADDED")).startswith("user ")


def test_the_confirmation_and_the_client_id_answer():
    confirmation = frame("global.confirmation")
    assert confirmation.body["client_id"] and confirmation.body["subscriptions"][-1] == "global"
    answer = frame("system.client-id")
    assert answer.body["client_id"] == "338a28f7-666e-46e1-8e7d-4feba5edc061"
    pong = frame("health.pong")
    assert pong.ref_id == "ping-1"


@pytest.mark.parametrize(("name", "status", "says"), [
    ("error_401_oauth.json", 401, "authentication failed: API key must be in format base64(key:secret)"),
    ("error_ws_503_diagnostics.json", 503, "EventEmitter service is not available"),
    ("error_ws_400_diagnostics.json", 400, "does not exist"),
    ("error_api_stack.json", 404, "not found"),
])
def test_error_bodies_give_one_readable_line(name, status, says):
    err = for_status(status, "http://hub", (GOLDEN / "rest" / name).read_text(), "subscribe endpoint")
    text = str(err)
    assert says in text and "\n" not in text and "Duration" not in text
