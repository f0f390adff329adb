"""Prometheus metrics of a live feed, for ``hubtop exporter``. Plain Python; ``prometheus_client`` is imported only
when a scrape happens (``--help`` and ``status`` never load it).

Nothing is updated per event: :class:`HubCollector` reads the model, the journal's counters and the client's
figures under the feed's lock when it is scraped. The one thing counted per event is the count of events by
channel and message (:class:`CountingFeed`: a dict increment; the journal counts channels only).

Label cardinality is bounded: at most ``max_hosts`` hosts have series of their own (the first by id; the rest
are summed under ``host_id="other"``), at most :data:`MAX_MESSAGES` (channel, message) pairs (then
``message="other"``), VM states outside :data:`VM_STATES` are ``other``; label values are made safe
(:func:`~tui.protocol.text.clean`) and cut to :data:`LABEL_MAX` characters.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from ..model.entities import HEALTHY, UNHEALTHY, UNKNOWN, Link
from ..protocol.items import ConnState
from ..protocol.models import CHANNELS
from ..protocol.parse import Event
from ..protocol.text import clean
from .feed import Feed

#: (channel, message) pairs counted one by one; past them a message is "other" (at most 12 more series)
MAX_MESSAGES = 64
OTHER = "other"
LABEL_MAX = 100
HEALTH_STATES = (HEALTHY, UNHEALTHY, UNKNOWN)
LINK_STATES = (Link.CONNECTED, Link.DISCONNECTED, Link.DEGRADED, Link.UNKNOWN)
VM_STATES = frozenset(("running", "stopped", "suspended", "paused", "resuming", "starting", "stopping", "suspending",
                       "resetting", "unknown"))


class CountingFeed(Feed):
    """A :class:`Feed` that also counts events by (channel, message), bounded."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.by_message: dict[tuple[str, str], int] = {}

    def many(self, items) -> None:
        super().many(items)
        counts = self.by_message
        for item in items:
            if item.__class__ is Event:
                key = (item.event_type, item.message)
                if key in counts:
                    counts[key] += 1
                elif len(counts) < MAX_MESSAGES:
                    counts[key] = 1
                else:  # past the cap: the message is "other" (and so is a channel the protocol does not have)
                    key = (item.event_type if item.event_type in CHANNELS else OTHER, OTHER)
                    counts[key] = counts.get(key, 0) + 1


def _label(value: object) -> str:
    return clean(value, LABEL_MAX)


class HubCollector:
    """A ``prometheus_client`` collector over a feed and what feeds it (a hub client or a replay)."""

    def __init__(self, feed: CountingFeed, source: Any = None, *, max_hosts: int = 500, url: str = "",
                 clock: Callable[[], float] = time.time, queue_depth: Callable[[], int | None] = lambda: None,
                 version: str = "") -> None:
        self.feed = feed
        self.source = source
        self.max_hosts = max_hosts
        self.url = url
        self.clock = clock
        self.queue_depth = queue_depth
        self.version = version

    def describe(self) -> list:
        return []  # what is exported depends on the model: nothing to check at registration

    def _read(self) -> dict[str, Any]:
        """Everything a scrape shows, copied under the feed's lock (the feed waits meanwhile)."""
        feed = self.feed
        now = self.clock()
        with feed.lock:
            hosts = []
            for host in sorted(feed.cluster.hosts.values(), key=lambda h: h.id):
                states = Counter(vm.state if vm.state in VM_STATES else OTHER for vm in host.vms.values())
                heard = None if host.last_heard is None else max(0.0, now - host.last_heard)
                hosts.append((host.id, host.hostname or host.description, str(host.health), str(host.link),
                              states, heard))
            status = feed.status
            return {"hosts": hosts, "counters": feed.journal.counters(), "resyncs": feed.resyncs,
                    "messages": dict(feed.by_message), "state": None if status is None else status.state}

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        seen = self._read()
        source = self.source
        yield GaugeMetricFamily("hubtop_up", "1 while hubtop's feed from the hub is connected",
                                value=1.0 if seen["state"] == ConnState.CONNECTED else 0.0)
        info = GaugeMetricFamily("hubtop_info", "hubtop's version and the hub it watches", labels=["version", "url"])
        info.add_metric([self.version, _label(self.url)], 1.0)
        yield info
        yield from self._hosts(seen["hosts"], GaugeMetricFamily)
        c = seen["counters"]
        for name, key, text in (
            ("hubtop_frames_received", "received", "frames received from the hub"),
            ("hubtop_frames_malformed", "malformed", "frames that could not be read"),
            ("hubtop_frames_duplicate", "duplicates", "frames whose id was seen before (not applied)"),
            ("hubtop_frames_late", "late", "events older than what their entity shows (kept, not applied)"),
            ("hubtop_gaps", "gaps", "holes in what hubtop saw: outages, suspected losses and the resyncs after them"),
            ("hubtop_suspected_losses", "suspected_losses", "full flushes of the server's queue (frames may have "
             "been dropped)"),
        ):
            yield CounterMetricFamily(name, text, value=float(c[key]))
        yield CounterMetricFamily("hubtop_resyncs", "listings taken again to settle the model", value=float(seen["resyncs"]))
        connections = int(getattr(source, "connections", 0) or 0)
        yield CounterMetricFamily("hubtop_reconnects", "connections to the hub after the first",
                                  value=float(max(0, connections - 1)))
        events = CounterMetricFamily("hubtop_events", "events received, by channel and message",
                                     labels=["channel", "message"])
        for (channel, message), n in sorted(seen["messages"].items()):
            events.add_metric([_label(channel), _label(message)], float(n))
        yield events
        rtt = getattr(source, "ping_rtt", None)
        if rtt is not None:
            yield GaugeMetricFamily("hubtop_ping_rtt_seconds", "the last app-level ping's round trip (its pong's "
                                    "ref_id is the ping's id)", value=float(rtt))
        depth = self.queue_depth()
        if depth is not None:
            yield GaugeMetricFamily("hubtop_queue_depth", "frames queued for hubtop at the hub (GET /ws/clients; "
                                    "the server drops the oldest past 2048)", value=float(depth))

    def _hosts(self, hosts: list, Gauge: type) -> Iterator[Any]:
        labels = ["host_id", "hostname"]
        health = Gauge("hubtop_host_health", "a host's health: 1 for its state (for host_id=\"other\": how many "
                       "hosts)", labels=[*labels, "state"])
        link = Gauge("hubtop_host_link", "the orchestrator's live event link to a host: 1 for its state",
                     labels=[*labels, "state"])
        vms = Gauge("hubtop_host_vms", "VMs of a host by state", labels=[*labels, "state"])
        heard = Gauge("hubtop_host_last_heard_seconds", "seconds since the host was last heard of (an event or "
                      "a listing)", labels=labels)
        totals: Counter = Counter()
        other_health: Counter = Counter()
        other_link: Counter = Counter()
        other_vms: Counter = Counter()
        oldest: float | None = None
        for index, (host_id, name, h, ln, states, age) in enumerate(hosts):
            totals.update(states)
            if index >= self.max_hosts:
                other_health[h if h in HEALTH_STATES else UNKNOWN] += 1
                other_link[ln] += 1
                other_vms.update(states)
                if age is not None:
                    oldest = age if oldest is None else max(oldest, age)
                continue
            key = [_label(host_id), _label(name)]
            for state in HEALTH_STATES:
                health.add_metric([*key, state], 1.0 if h == state or (state == UNKNOWN and h not in HEALTH_STATES)
                                  else 0.0)
            for state in LINK_STATES:
                link.add_metric([*key, str(state)], 1.0 if ln == state else 0.0)
            for state, n in sorted(states.items()):
                vms.add_metric([*key, state], float(n))
            if age is not None:
                heard.add_metric(key, age)
        if len(hosts) > self.max_hosts:
            key = [OTHER, OTHER]
            for state in HEALTH_STATES:
                health.add_metric([*key, state], float(other_health[state]))
            for state in LINK_STATES:
                link.add_metric([*key, str(state)], float(other_link[state]))
            for state, n in sorted(other_vms.items()):
                vms.add_metric([*key, state], float(n))
            if oldest is not None:
                heard.add_metric(key, oldest)  # the longest silence among them
        yield health
        yield link
        yield vms
        yield heard
        yield Gauge("hubtop_hosts", "hosts in the model", value=float(len(hosts)))
        capped = Gauge("hubtop_hosts_capped", "hosts summed under host_id=\"other\" (beyond --max-hosts)",
                       value=float(max(0, len(hosts) - self.max_hosts)))
        yield capped
        total = Gauge("hubtop_vms", "VMs in the model by state", labels=["state"])
        for state, n in sorted(totals.items()):
            total.add_metric([state], float(n))
        yield total


def registry_for(collector: HubCollector) -> Any:
    """A registry with only the collector (no process or platform metrics of the exporter itself)."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
