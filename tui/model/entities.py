"""The things the model holds: hosts, their VMs, and the record of what changed. Plain Python."""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any
from urllib.parse import urlsplit

from ..protocol.records import HostRecord
from ..protocol.text import FIELD_LIMIT


class Health(StrEnum):
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    UNKNOWN = "unknown"


class Link(StrEnum):
    """The orchestrator's live event link to a host (``has_websocket_events``, ``HOST_WEBSOCKET_*``)."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    DEGRADED = "degraded"
    UNKNOWN = "unknown"


HEALTHY, UNHEALTHY, UNKNOWN = Health.HEALTHY, Health.UNHEALTHY, Health.UNKNOWN
LINK_CONNECTED, LINK_DISCONNECTED, LINK_DEGRADED = Link.CONNECTED, Link.DISCONNECTED, Link.DEGRADED

STATS_HISTORY = 60
HOST_LOG_LINES = 50
VM_EVENTS = 12

#: the id of the host that pdfm events describe (the server hubtop is connected to), until a host record with
#: the same hostname is known
LOCAL_HOST_ID = "local"


def short_id(value: str, n: int = 8) -> str:
    return value[:n] if value else "?"


def hostname_of(url: str) -> str:
    """``http://mac-mini-01.local:80/api`` -> ``mac-mini-01.local``; a bare name stays as it is."""
    if not url:
        return ""
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
        return parts.hostname or ""
    except ValueError:
        return ""


_STATE_OF = attrgetter("state")
_DIGITS = re.compile(r"([0-9]+)")
#: the characters of a name that order it (a 10 MB description is not split to sort a host)
NATURAL_LIMIT = 200


def natural_key(text: str) -> tuple:
    """A key that orders names as people do: ``win11-build-9`` before ``win11-build-11``, case ignored. Runs
    of digits compare as numbers; the pieces alternate text and number, so any two keys compare."""
    parts: list = _DIGITS.split(text[:NATURAL_LIMIT].casefold())
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)


@dataclass(slots=True)
class VM:
    id: str
    host_id: str
    name: str = ""
    os: str = ""
    state: str = UNKNOWN
    previous_state: str = ""
    uptime: str = ""
    description: str = ""
    ip: str = ""
    #: when hubtop learned of the current state (its own clock); ``None`` when it came with the first snapshot
    last_change: float | None = None
    #: the server timestamp (an order key) of the event that set the current state; "" from a snapshot
    state_ts: str = ""
    uptime_ts: str = ""
    snapshots: int | None = None
    #: the model is not sure this state is the server's (an event that contradicts it, or steps missing)
    unsure: bool = False
    #: the steps a late event may still fill: (from state, to state, before this timestamp)
    gap: tuple[str, str, str] | None = None
    #: the name in lower case, for the filter (20,000 names are searched on every keystroke)
    search: str = ""
    #: recent events, made on the first one (20,000 empty deques would cost ~12 MB)
    events: deque | None = None
    #: the OS in lower case, for the filter's ``os:`` (set with ``os``)
    os_search: str = ""
    _key_name: str | None = field(default=None, repr=False, compare=False)
    _name_key: tuple = field(default=(), repr=False, compare=False)

    @property
    def label(self) -> str:
        return self.name or f"vm {short_id(self.id)}"

    @property
    def name_key(self) -> tuple:
        """:func:`natural_key` of the label, made again only when the name changed (sorts run per keystroke)."""
        if self._key_name != self.name:
            self._name_key = natural_key(self.label)
            self._key_name = self.name
        return self._name_key

    def note(self, at: float, what: str) -> None:
        if self.events is None:
            self.events = deque(maxlen=VM_EVENTS)
        self.events.append((at, what))


@dataclass(slots=True)
class Host:
    id: str
    url: str = ""
    description: str = ""
    health: str = UNKNOWN
    link: str = Link.UNKNOWN
    last_heard: float | None = None
    record: HostRecord | None = None
    #: the DevOps service's own process figures (``cpu_percent``, ``memory_bytes``, ...), as sent
    stats: dict[str, Any] = field(default_factory=dict)
    #: the disk-space figures (``cache_folder_size``, ``parallels_home_size``, ...), as sent
    disk: dict[str, Any] = field(default_factory=dict)
    cpu_history: deque = field(default_factory=lambda: deque(maxlen=STATS_HISTORY))
    mem_history: deque = field(default_factory=lambda: deque(maxlen=STATS_HISTORY))
    logs: deque = field(default_factory=lambda: deque(maxlen=HOST_LOG_LINES))
    vms: dict[str, VM] = field(default_factory=dict)
    #: ids of the macOS VMs running now (``resources.mac_vms_running`` and HOST_MAC_VMS_RUNNING_NOW)
    mac_vms_running: list[str] | None = None
    #: known only from the VMs of a listing, without a host record of its own
    placeholder: bool = False
    local: bool = False
    #: when something a person would notice changed: health, link, a VM's state, VMs added or removed
    changed_at: float = 0.0
    #: bumped whenever the host's set of VMs may have changed (lets a view keep its sorted VM list)
    shape: int = 0
    health_ts: str = ""
    link_ts: str = ""
    #: when an event last changed the health or link (hubtop's clock): a resync's listing older than that
    #: does not undo it
    health_at: float = 0.0
    #: fields of its record that could not be read (each noted once)
    problems: tuple[str, ...] = ()
    #: the record's ``state`` was there but could not be read: the host's health is not known, and that is news
    health_unreadable: bool = False
    _parsed_url: str = field(default="", repr=False, compare=False)
    _hostname: str = field(default="", repr=False, compare=False)
    _key_label: str | None = field(default=None, repr=False, compare=False)
    _name_key: tuple = field(default=(), repr=False, compare=False)

    @property
    def hostname(self) -> str:
        if self._parsed_url != self.url:  # labels are read on every redraw: parse the URL once
            self._hostname = hostname_of(self.url)
            self._parsed_url = self.url
        return self._hostname

    @property
    def label(self) -> str:
        return self.hostname or self.description[:FIELD_LIMIT] or f"host {short_id(self.id)}"

    @property
    def name_key(self) -> tuple:
        """:func:`natural_key` of the label, made again only when the label changed."""
        label = self.label
        if self._key_label != label:
            self._name_key = natural_key(label)
            self._key_label = label
        return self._name_key

    @property
    def unsure(self) -> bool:
        return any(vm.unsure for vm in self.vms.values())

    def vm_counts(self) -> Counter:
        return Counter(map(_STATE_OF, self.vms.values()))  # all in C: hosts are counted often


@dataclass(slots=True)
class Changes:
    hosts: set[str]
    vms: set[tuple[str, str]]
    structure: bool
    #: hosts whose set of VMs changed (a VM added or removed)
    reshaped: set[str] = field(default_factory=set)
    #: the set of hosts itself changed (added, removed, a snapshot): more than a few hosts' VMs moved
    hosts_changed: bool = True

    def __bool__(self) -> bool:
        return bool(self.hosts or self.vms or self.structure)
