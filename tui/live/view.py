"""The read-only view of a live feed that the UI gets through :meth:`Monitor.read`: what changed, the model and
journal to copy rows from, the connection status and the rates. Valid only inside the ``with`` block."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model.entities import Changes
from ..protocol.items import Status

if TYPE_CHECKING:
    from ..model.cluster import Cluster
    from ..model.journal import Journal
    from .feed import Feed
    from .monitor import Monitor


class LiveView:
    __slots__ = ("_feed", "_monitor")

    def __init__(self, feed: Feed, monitor: Monitor) -> None:
        self._feed = feed
        self._monitor = monitor

    def take_changes(self) -> Changes:
        """The hosts and VMs that changed since the last call (the UI's tick takes them)."""
        return self._feed.cluster.take_changes()

    @property
    def cluster(self) -> Cluster:
        return self._feed.cluster

    @property
    def journal(self) -> Journal:
        return self._feed.journal

    @property
    def status(self) -> Status | None:
        return self._feed.status

    @property
    def snapshots(self) -> int:
        return self._feed.snapshots

    @property
    def client_id(self) -> str | None:
        return self._monitor.client_id

    @property
    def wanted_channels(self) -> tuple[str, ...]:
        return self._monitor.wanted_channels

    def rate(self) -> float:
        return self._feed.rate()

    def channel_rate(self, channel: str) -> float:
        return self._feed.channel_rate(channel)

    def overloaded(self) -> bool:
        return self._feed.overloaded()
