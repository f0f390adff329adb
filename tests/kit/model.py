"""Events and records as the model gets them, for the cluster tests."""

from __future__ import annotations

import itertools
import json

from kit.wire import HOST_A, HOST_B, host_record, vm_record
from tui.model.cluster import Cluster
from tui.protocol.models import HostRecord, VMRecord
from tui.protocol.parse import Event, parse_frame

_ids = itertools.count(1)


def ev(channel: str, message: str, body=None, *, id: str | None = None, at: float = 1000.0) -> Event:
    """An event as the parser makes it from a frame (a fresh id unless given, received at ``at``)."""
    text = json.dumps({"id": id or f"e{next(_ids)}", "event_type": channel, "timestamp": "2025-01-01T00:00:00Z",
                       "message": message, "body": body})
    item = parse_frame(text, received_at=at)
    assert isinstance(item, Event), item
    return item


def vm_ev(host_id: str, message: str, **event) -> Event:
    """An orchestrator VM event of ``host_id`` whose ``event`` is the keyword arguments."""
    return ev("orchestrator", message, {"host_id": host_id, "event": event})


def hosts(*recs: dict) -> list[HostRecord]:
    return [HostRecord.model_validate(r) for r in recs]


def vms(*recs: dict) -> list[VMRecord]:
    return [VMRecord.model_validate(r) for r in recs]


def two_hosts_listing() -> tuple[list[HostRecord], list[VMRecord]]:
    """The listings :func:`two_hosts` is loaded from."""
    return (hosts(host_record(HOST_A, "mac-mini-01.local", description="build farm"),
                  host_record(HOST_B, "mac-studio-02.local", state="unhealthy")),
            vms(vm_record("vm-1", HOST_A, "ci-runner-1", "running", "macosx"),
                vm_record("vm-2", HOST_A, "ci-runner-2", "stopped", "ubuntu"),
                vm_record("vm-3", HOST_B, "win-builder", "suspended", "win-11")))


def two_hosts() -> Cluster:
    """The model of the cluster tests: HOST_A ``mac-mini-01.local`` ("build farm", healthy) with ``ci-runner-1``
    (running, macOS) and ``ci-runner-2`` (stopped, ubuntu), HOST_B ``mac-studio-02.local`` (unhealthy) with
    ``win-builder`` (suspended, win-11); loaded at 500.0, its changes taken."""
    c = Cluster()
    n = c.load_snapshot(*two_hosts_listing(), now=500.0)
    assert n == 5
    c.take_changes()
    return c
