"""The cluster's verdict for scripts and monitoring: a level (Nagios codes) and the reasons for it.

A verdict is never better than the truth: a host whose record could not be fully read still counts, one whose
health could not be read makes the verdict UNKNOWN, and so does a feed that was lost and not regained. Levels
combine by severity, OK < WARNING < UNKNOWN < CRITICAL, so one unhealthy host is CRITICAL whatever else is
unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from .cluster import Cluster
from .entities import HEALTHY, UNHEALTHY, Host, Link


class Level(IntEnum):
    """The monitoring-plugin exit codes."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


#: how bad each level is, for combining (UNKNOWN is worse than WARNING, not as bad as CRITICAL)
SEVERITY = {Level.OK: 0, Level.WARNING: 1, Level.UNKNOWN: 2, Level.CRITICAL: 3}


def worst(*levels: Level) -> Level:
    return max(levels, key=SEVERITY.__getitem__, default=Level.OK)


@dataclass(slots=True)
class Reason:
    level: Level
    what: str
    #: the host it is about (id and label), if any
    host_id: str = ""
    host: str = ""
    #: since when, as far as hubtop knows (its clock), if it knows
    since: float | None = None


@dataclass(slots=True)
class Verdict:
    level: Level
    reasons: list[Reason] = field(default_factory=list)

    @property
    def code(self) -> int:
        return int(self.level)


def _health_unknown(host: Host) -> bool:
    # the server hubtop is connected to, known from its pdfm events only (no host record): the protocol never
    # reports its health, and it is answering, so its unknown health is no warning
    return host.health not in (HEALTHY, UNHEALTHY) and not (host.local and host.record is None)


def host_reasons(host: Host) -> list[Reason]:
    """What is wrong with one host, worst first."""
    out: list[Reason] = []
    label = host.label
    since = host.health_at or None
    if host.health == UNHEALTHY:
        out.append(Reason(Level.CRITICAL, "unhealthy", host.id, label, since))
    elif host.health_unreadable:
        out.append(Reason(Level.UNKNOWN, "health unreadable (the record's state could not be read)", host.id, label))
    elif _health_unknown(host):
        out.append(Reason(Level.WARNING, "health unknown", host.id, label))
    if host.link in (Link.DISCONNECTED, Link.DEGRADED):
        out.append(Reason(Level.WARNING, f"link {host.link}", host.id, label, since))
    return out


def host_level(host: Host) -> Level:
    return worst(*(r.level for r in host_reasons(host)))


def verdict(cluster: Cluster, extra: list[Reason] | None = None) -> Verdict:
    """The verdict on ``cluster``, with ``extra`` reasons from outside the model (a feed that was lost)."""
    reasons: list[Reason] = []
    for host in cluster.sorted_hosts():
        reasons.extend(host_reasons(host))
    if cluster.unreadable_records:
        n = cluster.unreadable_records
        reasons.append(Reason(Level.UNKNOWN, f"{n} host record{'s' if n != 1 else ''} could not be read"))
    strangers = len(cluster.unknown) + len(cluster.not_listed)
    if strangers:
        reasons.append(Reason(Level.WARNING, f"events name {strangers} host{'s' if strangers != 1 else ''} or "
                                             "VMs that the listings do not have"))
    reasons.extend(extra or ())
    reasons.sort(key=lambda r: -SEVERITY[r.level])
    return Verdict(worst(*(r.level for r in reasons)), reasons)
