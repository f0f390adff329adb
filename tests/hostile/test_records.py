"""Odd fields in every position of a host record: the field is dropped, the host kept, the verdict never better
than the truth (and UNKNOWN when not even the state can be read)."""

from __future__ import annotations

import json

import pytest
from kit.cli import cli_env, hubtop
from kit.hub import HubServer
from kit.wire import HOST_A, host_record, vm_record

from tui.model.cluster import Cluster
from tui.model.verdict import Level, verdict
from tui.protocol.listing import read_listing
from tui.protocol.records import HostRecord, VMRecord, read_records

ODD = [None, 7, 1.5, True, "text", [1, None], {"x": [None]}, "16384 MiB"]
FIELDS = [name for name in HostRecord.model_fields if name not in ("id", "state")]
RESOURCE_FIELDS = ["total_apple_vms", "physical_cpu_count", "logical_cpu_count", "memory_size", "disk_size",
                   "free_disk_size", "mac_vms_running", "prl_home_size", "prl_home_free_size"]


def unhealthy(**fields) -> dict:
    record = host_record(HOST_A, "mac-01.local", state="unhealthy")
    record.update(fields)
    return record


def model(records: list, vms: list | None = None) -> Cluster:
    # as the client reads a listing: its JSON text, a record at a time; the same as reading the parsed list
    hosts, problems, unreadable = read_listing(HostRecord, json.dumps(records).encode())
    assert (hosts, problems, unreadable) == read_records(HostRecord, records)
    machines, vm_problems, _ = read_listing(VMRecord, json.dumps(vms or []))
    cluster = Cluster()
    cluster.load_snapshot(hosts, machines, problems=problems + vm_problems)
    cluster.note_problems(problems + vm_problems, unreadable)
    return cluster


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_an_odd_top_level_field_costs_that_field_only(field, odd):
    cluster = model([unhealthy(**{field: odd})])
    host = cluster.hosts[HOST_A]
    assert host.health == "unhealthy"
    assert verdict(cluster).level is Level.CRITICAL


@pytest.mark.parametrize("field", RESOURCE_FIELDS)
@pytest.mark.parametrize("odd", ODD, ids=repr)
def test_an_odd_resource_field_costs_that_field_only(field, odd):
    record = unhealthy()
    record["resources"] = {"logical_cpu_count": 8, "memory_size": 16384.0, field: odd}
    cluster = model([record])
    host = cluster.hosts[HOST_A]
    assert host.health == "unhealthy" and host.record is not None
    assert verdict(cluster).level is Level.CRITICAL


def test_the_findings_records():
    """The three records of the finding: each host stays, with its VMs the verdict is CRITICAL, not WARNING."""
    records = [unhealthy(architecture=None),
               {**unhealthy(), "id": "h2", "resources": {"memory_size": "16384 MiB"}},
               {**unhealthy(), "id": "h3", "tags": ["ci", None]}]
    cluster = model(records, [vm_record("v", HOST_A, "vm")])
    assert set(cluster.hosts) == {HOST_A, "h2", "h3"}
    assert cluster.hosts["h3"].record.tags == ["ci"]
    assert verdict(cluster).level is Level.CRITICAL
    assert "resources.memory_size" in cluster.hosts["h2"].problems


@pytest.mark.parametrize("state", [5, {}, [], True])
def test_a_state_that_cannot_be_read_makes_the_verdict_unknown(state):
    cluster = model([{**host_record(HOST_A, "a.local"), "state": state}, host_record("h2", "b.local")])
    if isinstance(state, int) and not isinstance(state, bool):
        pytest.skip("a number is read as its text: a state hubtop does not know (WARNING)")
    host = cluster.hosts[HOST_A]
    assert host.health == "unknown" and host.health_unreadable
    assert verdict(cluster).level is Level.UNKNOWN


def test_a_record_without_an_id_is_counted_and_makes_the_verdict_unknown():
    cluster = model([host_record("h1", "a.local"), {"state": "unhealthy"}, 17])
    assert set(cluster.hosts) == {"h1"} and cluster.unreadable_records == 2
    result = verdict(cluster)
    assert result.level is Level.UNKNOWN and "2 host records could not be read" in result.reasons[0].what


def test_a_problem_is_noted_once_per_field_and_host():
    cluster = Cluster()
    first = cluster.note_problems([(HOST_A, "resources.memory_size"), (HOST_A, "tags[]")])
    again = cluster.note_problems([(HOST_A, "resources.memory_size")])
    assert len(first) == 2 and again == []


async def test_status_counts_an_unhealthy_host_whose_record_is_odd():
    async with HubServer() as hub:
        hub.hosts = [unhealthy(architecture=None, resources={"memory_size": "16384 MiB"}, tags=["ci", None])]
        hub.machines = [vm_record("v1", HOST_A, "vm")]
        run = await hubtop("status", "--json", "--url", hub.url, env=cli_env(HUBTOP_TOKEN="tok-initial"))
    assert run.rc == 2
    doc = json.loads(run.out)
    assert doc["verdict"]["level"] == "CRITICAL" and doc["hosts"][0]["state"] == "unhealthy"
    assert "resources.memory_size" in doc["hosts"][0]["problems"]


@pytest.mark.parametrize("text", ["", "nope", "[1, 2", "[{}] trailing", "[,]", "{\"a\": [1]"])
def test_a_listing_that_is_not_json_says_so(text):
    with pytest.raises(ValueError):
        read_listing(HostRecord, text)


@pytest.mark.parametrize(("text", "expected"), [("null", ([], [], 0)), ("[]", ([], [], 0)), (" [ ] ", ([], [], 0))])
def test_empty_listings(text, expected):
    assert read_listing(HostRecord, text) == expected


def test_a_listing_that_is_not_a_list():
    with pytest.raises(TypeError):
        read_listing(HostRecord, '{"hosts": []}')
    with pytest.raises(RecursionError):
        read_listing(HostRecord, "[" + "[" * 100_000 + "]" * 100_000 + "]")
