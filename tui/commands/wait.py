"""``hubtop wait``: block until a VM or host reaches a state (or is gone), for scripts and CI.

The answer comes from the reconciled model, never from one raw event: the feed applies events by their
timestamps and resyncs when they contradict it, and ``wait`` asks the model after every burst. A VM the model
is unsure of (a step may still arrive late) has not reached anything yet; after a suspected loss (a full
flush of the server's queue), nothing is believed until the next listing. Reconnects and resyncs are ridden
through: the client retries, and the listing after a reconnect settles what was missed.

Exit codes: 0 reached (at once if already so in the snapshot), 1 timed out (the last state seen on stderr),
2 the name matches several (the candidates listed) or the arguments are wrong, 3 could not connect or
authenticate.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..live.feed import Feed
from ..model.cluster import Cluster
from ..model.describe import iso
from ..model.entities import HEALTHY, VM, Host
from ..protocol.errors import HubError
from ..protocol.items import ConnState, Loss, Snapshot
from ..protocol.text import clean
from ..settings import Settings
from .common import EXIT_UNKNOWN, quiet_stdout, stop_client, tell

EXIT_REACHED, EXIT_TIMEOUT, EXIT_AMBIGUOUS = 0, 1, 2
#: the most candidates an ambiguous name lists
MAX_CANDIDATES = 10


@dataclass(slots=True)
class Target:
    kind: str  # "vm" | "host"
    ref: str
    state: str | None = None  # the VM state or host health wanted; None with gone
    gone: bool = False
    host: str | None = None  # a VM's host (name or id), to tell apart VMs of the same name

    def describe(self) -> str:
        what = "to be gone" if self.gone else f"to be {self.state}"
        where = f" on {self.host}" if self.host else ""
        return f"{self.kind} {self.ref}{where} {what}"


@dataclass(slots=True)
class Outcome:
    reached: bool = False
    ambiguous: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None
    seen: str = "not seen"


def host_matches(host: Host, ref: str) -> bool:
    """A host by its id (or an id prefix of 8 or more), its hostname (or the name before the first dot) or
    its description."""
    low = ref.lower()
    name = host.hostname.lower()
    return (host.id == ref or (len(ref) >= 8 and host.id.startswith(ref)) or (bool(name) and name == low)
            or (bool(name) and name.split(".")[0] == low) or (bool(host.description) and host.description == ref))


def find_vms(cluster: Cluster, ref: str, host_ref: str | None = None) -> list[tuple[Host, VM]]:
    """The VMs ``ref`` names: by id; else by name, exactly; else by name ignoring case."""
    hosts = [h for h in cluster.hosts.values() if host_ref is None or host_matches(h, host_ref)]
    pairs = [(h, vm) for h in hosts for vm in h.vms.values()]
    for match in (lambda vm: vm.id == ref, lambda vm: vm.name == ref, lambda vm: vm.name.lower() == ref.lower()):
        found = [(h, vm) for h, vm in pairs if match(vm)]
        if found:
            return found
    return []


def vm_json(host: Host, vm: VM) -> dict[str, Any]:
    return {"id": vm.id, "name": vm.name, "state": vm.state, "previous_state": vm.previous_state or None,
            "unsure": vm.unsure, "os": vm.os, "since": iso(vm.last_change), "host_id": host.id, "host": host.label}


def host_json(host: Host) -> dict[str, Any]:
    return {"id": host.id, "name": host.label, "host": host.url, "description": host.description,
            "state": host.health, "link": host.link, "last_heard": iso(host.last_heard), "vms": len(host.vms)}


def _when(moment: float | None) -> str:
    return f" (since {datetime.fromtimestamp(moment).strftime('%H:%M:%S')})" if moment else ""


def check(cluster: Cluster, target: Target, doubt: bool = False) -> Outcome:
    """Whether ``target`` holds in the model now. ``doubt``: frames may have been lost since the last
    listing, so nothing is reached until the next one."""
    if target.kind == "vm":
        found = find_vms(cluster, target.ref, target.host)
        if len(found) > 1:
            return Outcome(ambiguous=[f"{vm.id} on {h.label} ({vm.state})" for h, vm in found])
        if not found:
            return Outcome(reached=target.gone and not doubt, seen="not in the model")
        host, vm = found[0]
        seen = f"{vm.state}{' (unsure: a step may still arrive)' if vm.unsure else ''} on {host.label}" + \
            _when(vm.last_change)
        reached = not target.gone and not doubt and not vm.unsure and vm.state.lower() == (target.state or "")
        return Outcome(reached=reached, record=vm_json(host, vm), seen=seen)
    hosts = [h for h in cluster.hosts.values() if host_matches(h, target.ref)]
    exact = [h for h in hosts if h.id == target.ref]
    hosts = exact or hosts
    if len(hosts) > 1:
        return Outcome(ambiguous=[f"{h.id} ({h.label}, {h.health})" for h in hosts])
    if not hosts:
        return Outcome(reached=target.gone and not doubt, seen="not in the model")
    host = hosts[0]
    reached = not target.gone and not doubt and host.health.lower() == (target.state or HEALTHY)
    return Outcome(reached=reached, record=host_json(host), seen=f"{host.health}, link {host.link}" +
                   _when(host.health_at or None))


class _Watched(Feed):
    """The feed, telling the waiter after every burst; a suspected loss is doubt until the next listing."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.changed = asyncio.Event()
        self.doubt = False

    def deliver(self, items) -> None:
        super().deliver(items)
        for item in items:
            cls = item.__class__
            if cls is Loss:
                self.doubt = True
            elif cls is Snapshot:
                self.doubt = False
        self.changed.set()


def _print_json(target: Target, outcome: Outcome, started: float) -> None:
    doc = {"reached": outcome.reached, "kind": target.kind, "ref": target.ref,
           "want": "gone" if target.gone else target.state, "waited_s": round(time.monotonic() - started, 3),
           "record": outcome.record}
    try:
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=True) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()


async def _wait(settings: Settings, target: Target, timeout: float, as_json: bool) -> int:
    from ..transport.client import HubClient

    started = time.monotonic()
    deadline = started + timeout
    feed = _Watched(Cluster(settings.server_hostname), settings.journal_size)
    client = HubClient(settings, feed, fail_fast=True)
    task = asyncio.create_task(client.run())
    try:
        connected = asyncio.create_task(client.wait_connected())
        await asyncio.wait({task, connected}, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # the HubError of the first connect
            raise HubError("the connection ended before the server confirmed it", "protocol")
        if not connected.done():
            connected.cancel()
            tell(f"could not connect to {settings.display_url} within {timeout:g} s")
            return EXIT_UNKNOWN
        outcome = Outcome()
        while True:
            with feed.lock:
                outcome = check(feed.cluster, target, feed.doubt)
            if outcome.ambiguous:
                names = "; ".join(clean(c, 200) for c in outcome.ambiguous[:MAX_CANDIDATES])
                more = f" (+{len(outcome.ambiguous) - MAX_CANDIDATES} more)" \
                    if len(outcome.ambiguous) > MAX_CANDIDATES else ""
                hint = "give its id" + (" or --host" if target.kind == "vm" else "")
                tell(f"{target.kind} {clean(target.ref, 200)} matches {len(outcome.ambiguous)}: {names}{more}; {hint}")
                return EXIT_AMBIGUOUS
            if outcome.reached:
                if as_json:
                    _print_json(target, outcome, started)
                return EXIT_REACHED
            status = feed.status
            if task.done() or (status is not None and status.state == ConnState.AUTH_FAILED):
                tell(status.text if status is not None and status.error is not None else
                     f"the connection to {settings.display_url} ended")
                return EXIT_UNKNOWN
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            feed.changed.clear()
            changed = asyncio.create_task(feed.changed.wait())
            await asyncio.wait({changed, task}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            changed.cancel()
        down = ""
        status = feed.status
        if status is not None and status.state != ConnState.CONNECTED:
            down = f"; the connection is down ({clean(status.line, 300)})"
        tell(f"timed out after {timeout:g} s waiting for {clean(target.describe(), 300)}; last seen: "
             f"{clean(outcome.seen, 300)}{down}")
        if as_json:
            _print_json(target, outcome, started)
        return EXIT_TIMEOUT
    finally:
        await stop_client(client, task)


def wait(settings: Settings, target: Target, *, timeout: float = 300.0, as_json: bool = False) -> int:
    try:
        return asyncio.run(_wait(settings, target, timeout, as_json))
    except HubError as err:
        tell(str(err))
        return EXIT_UNKNOWN
