"""What a hub client hands its consumer, and the contract between them. No I/O.

The client delivers, in order: :class:`~tui.protocol.parse.Event` and :class:`~tui.protocol.parse.Malformed` (frames),
:class:`Status` (connection state), :class:`Snapshot` (the REST listings after each connect, and each resync),
:class:`Loss` (frames the server may have dropped) and :class:`~tui.protocol.parse.Note`. A :class:`Consumer` takes
them a burst at a time (the frames of one read from the socket).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .parse import Event, Malformed, Note

if TYPE_CHECKING:
    from .errors import HubError
    from .records import HostRecord, VMRecord


class ConnState(StrEnum):
    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"


@dataclass(slots=True)
class Status:
    """A connection state change. ``text`` is what a status bar shows."""

    state: ConnState | str
    text: str
    attempt: int = 0
    delay: float = 0.0
    client_id: str | None = None
    subscriptions: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    error: HubError | None = None
    #: why the connection is not up (for reconnecting), one human line
    reason: str = ""
    at: float = field(default_factory=time.time)
    #: the subscriptions are what hubtop asked for, not what the server confirmed (its confirmation was lost)
    unconfirmed: bool = False
    #: the feed was live before (a reconnect, not the first connection)
    reconnected: bool = False

    @property
    def line(self) -> str:
        """``text`` with the reason, for a log or stderr."""
        return f"{self.reason}; {self.text}" if self.reason else self.text


@dataclass(slots=True)
class Snapshot:
    hosts: list[HostRecord]
    vms: list[VMRecord]
    #: when the feed went down before this (re)connect, ``None`` for the first connect and for a resync
    down_since: float | None = None
    reason: str = ""
    at: float = field(default_factory=time.time)
    #: a resync while connected: why, and when the listings were asked for (what changed after is newer)
    resync: str | None = None
    since: float | None = None
    #: (record id, field) of fields that could not be read, and records that could not be read at all
    problems: list[tuple[str, str]] = field(default_factory=list)
    unreadable: int = 0


@dataclass(slots=True)
class Loss:
    """The server may have dropped frames: a full flush of its queue arrived (``frames`` in one burst)."""

    frames: int
    at: float = field(default_factory=time.time)


Item = Event | Malformed | Status | Snapshot | Loss | Note


class Consumer:
    """The one contract between a client and what takes its items.

    ``deliver`` gets every item, a burst at a time; ``takes_text`` says a known hub event may come as its
    frame's text (a ``str``: checked all the same, but no event built) for a reader that only passes frames on
    (``hubtop tail``); ``resync_due`` says, after a burst, whether the model wants the listings taken again.
    """

    takes_text: bool = False

    def deliver(self, items: Sequence[Item | str]) -> None:  # pragma: no cover - the contract
        raise NotImplementedError

    def resync_due(self) -> str | None:
        return None


class CallableConsumer(Consumer):
    """A plain function as a consumer: one call an item (tests, small scripts)."""

    def __init__(self, fn: Callable[[Item], Any]) -> None:
        self.fn = fn

    def deliver(self, items: Sequence[Item | str]) -> None:
        fn = self.fn
        for item in items:
            fn(item)  # type: ignore[arg-type]


def as_consumer(sink: Consumer | Callable[[Item], Any] | None) -> Consumer:
    if sink is None:
        return CallableConsumer(lambda item: None)
    if isinstance(sink, Consumer):
        return sink
    return CallableConsumer(sink)
