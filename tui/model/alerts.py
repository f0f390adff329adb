"""Notifications: the few changes worth interrupting someone for, found by comparing the model with what was
seen at the last check. A host turning unhealthy, a host's live link lost for longer than a grace period,
a job failing; each kind can be turned off in the profile (:meth:`AlertConfig.from_profile`).

Only news counts. A host's health and link carry the timestamp of the event that last set them (a listing
sets none), so a change that came with a snapshot, the first one or a reconnect's resync, never alerts:
what hubtop learns by catching up is not something that just happened. The first :meth:`Alerts.check` only
takes note of how things stand. A link that drops and comes back within the grace period is not news either.
A host flapping alerts once per cooldown, and a burst (a rack losing power) becomes one summary alert per
kind rather than a toast per host.

Pure logic: the app calls :meth:`Alerts.check` on its tick, inside ``Monitor.read``, and shows what comes
back (a toast, the bell, :meth:`Alert.osc9` / :meth:`Alert.osc777`). Every string in an alert is safe for a
terminal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..protocol.text import clean
from .entities import UNHEALTHY, Link
from .osc import osc9, osc777

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = ["Alert", "AlertConfig", "AlertKind", "Alerts"]

_DOWN = (Link.DISCONNECTED, Link.DEGRADED)
#: alerts of one kind in one check past which they are summed up in one
MAX_PER_KIND = 3
MAX_COOLDOWNS = 10_000


class AlertKind(StrEnum):
    UNHEALTHY = "unhealthy"
    LINK_LOST = "link_lost"
    JOB_FAILED = "job_failed"


@dataclass(frozen=True, slots=True)
class AlertConfig:
    unhealthy: bool = True
    link_lost: bool = True
    #: seconds a link must stay down before it is news
    link_lost_after: float = 60.0
    job_failed: bool = True
    #: seconds before the same host (or job) can alert again for the same kind
    cooldown: float = 300.0

    def enabled(self, kind: AlertKind) -> bool:
        return {AlertKind.UNHEALTHY: self.unhealthy, AlertKind.LINK_LOST: self.link_lost,
                AlertKind.JOB_FAILED: self.job_failed}[kind]

    @classmethod
    def from_profile(cls, profile: dict[str, Any]) -> tuple[AlertConfig, list[str]]:
        """The config from a profile's ``notify`` entry: ``notify = false`` (all off), or a table
        ``[profiles.NAME.notify]`` with ``unhealthy``, ``link_lost``, ``job_failed`` (true/false),
        ``link_lost_after`` and ``cooldown`` (seconds). A bad value keeps its default and is named in the
        warnings returned (safe for a terminal)."""
        raw = profile.get("notify", {}) if isinstance(profile, dict) else {}
        if isinstance(raw, bool):
            return cls(unhealthy=raw, link_lost=raw, job_failed=raw), []
        if not isinstance(raw, dict):
            return cls(), [f"notify must be true, false or a table, not {clean(type(raw).__name__, 20)}"]
        values: dict[str, Any] = {}
        warnings = []
        for name in ("unhealthy", "link_lost", "job_failed"):
            if name in raw:
                if isinstance(raw[name], bool):
                    values[name] = raw[name]
                else:
                    warnings.append(f"notify.{name} must be true or false, not {clean(raw[name], 40)!r}")
        for name in ("link_lost_after", "cooldown"):
            if name in raw:
                value = raw[name]
                if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
                        and 0 <= value <= 86_400:
                    values[name] = float(value)
                else:
                    warnings.append(f"notify.{name} must be a number of seconds (0 to 86400), not "
                                    f"{clean(value, 40)!r}")
        for name in raw:
            if name not in cls.__dataclass_fields__:
                warnings.append(f"notify.{clean(name, 40)} is not a notification setting")
        return cls(**values), warnings


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    #: a short title ("host unhealthy") and one line saying what happened; both safe for a terminal
    title: str
    text: str
    at: float
    host_id: str = ""
    job_id: str = ""
    #: what it is about, in a few words (a host's name, a job's kind): safe
    subject: str = ""
    #: how many things this alert is about (more than one: a summary of a burst)
    count: int = 1

    @property
    def severity(self) -> str:
        """``error`` or ``warning``: how the app styles the toast."""
        return "warning" if self.kind is AlertKind.LINK_LOST else "error"

    def osc9(self) -> str:
        return osc9(f"{self.title}: {self.text}")

    def osc777(self) -> str:
        return osc777(self.title, self.text)


@dataclass(slots=True)
class _Seen:
    health: str
    health_ts: str
    link: str
    link_ts: str


_NEW = _Seen("", "", "", "")


@dataclass
class Alerts:
    """The rules, and what they have seen. One per app; :meth:`check` on every tick (at least once a second,
    so a link's grace period is timed closely)."""

    config: AlertConfig = field(default_factory=AlertConfig)
    _seen: dict[str, _Seen] = field(default_factory=dict)
    #: host id -> when hubtop saw its link go down (by an event)
    _down_since: dict[str, float] = field(default_factory=dict)
    _link_told: set[str] = field(default_factory=set)
    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _job_failures: int = 0
    _version: int = -1
    _started: bool = False

    def check(self, cluster: Cluster, now: float) -> list[Alert]:
        """What is news since the last check (nothing on the first)."""
        first = not self._started
        self._started = True
        found: list[Alert] = []
        if cluster.version != self._version or first:
            self._version = cluster.version
            self._hosts(cluster, now, first, found)
        self._links(cluster, now, found)
        jobs = cluster.jobs
        if not first and self.config.job_failed:
            for job in jobs.failed_after(self._job_failures):
                host = cluster.labels_of(job.host_id, None)[0] if job.host_id else ""
                where = f" on {clean(host, 60)}" if host else ""
                said = f": {job.said}" if job.said else ""
                self._add(found, Alert(AlertKind.JOB_FAILED, "job failed", clean(f"{job.kind}{where}{said}", 200),
                                       now, job.host_id, job.id, job.kind), now)
        self._job_failures = jobs.failures
        return self._sum_up(found, now)

    def _hosts(self, cluster: Cluster, now: float, first: bool, found: list[Alert]) -> None:
        seen, config = self._seen, self.config
        for hid, host in cluster.hosts.items():
            before = seen.get(hid, _NEW)
            now_seen = _Seen(host.health, host.health_ts, host.link, host.link_ts)
            seen[hid] = now_seen
            if first:
                continue
            # news only when an event set it: a listing leaves the timestamps as they were
            if (config.unhealthy and host.health == UNHEALTHY and before.health != UNHEALTHY
                    and host.health_ts != before.health_ts):
                name = clean(host.label, 80)
                self._add(found, Alert(AlertKind.UNHEALTHY, "host unhealthy", f"{name} turned unhealthy", now, hid,
                                       subject=name), now)
            down = host.link in _DOWN
            if down and before.link not in _DOWN and host.link_ts != before.link_ts:
                self._down_since.setdefault(hid, now)
            elif not down:
                self._down_since.pop(hid, None)
                self._link_told.discard(hid)
        if len(seen) > len(cluster.hosts):
            for hid in [h for h in seen if h not in cluster.hosts]:
                del seen[hid]
                self._down_since.pop(hid, None)
                self._link_told.discard(hid)

    def _links(self, cluster: Cluster, now: float, found: list[Alert]) -> None:
        after = self.config.link_lost_after
        for hid, since in list(self._down_since.items()):
            if hid in self._link_told or now - since < after:
                continue
            host = cluster.hosts.get(hid)
            if host is None or host.link not in _DOWN:
                del self._down_since[hid]
                continue
            self._link_told.add(hid)
            if self.config.link_lost:
                name = clean(host.label, 80)
                self._add(found, Alert(AlertKind.LINK_LOST, "link lost", f"{name}: link {clean(host.link, 20)} for "
                                       f"{_duration(now - since)}", now, hid, subject=name), now)

    def _add(self, found: list[Alert], alert: Alert, now: float) -> None:
        key = (alert.kind.value, alert.host_id + "/" + alert.job_id)
        last = self._last.get(key)
        if last is not None and now - last < self.config.cooldown:
            return
        self._last[key] = now
        if len(self._last) > MAX_COOLDOWNS:
            cutoff = now - self.config.cooldown
            self._last = {k: t for k, t in self._last.items() if t >= cutoff}
        found.append(alert)

    @staticmethod
    def _sum_up(found: list[Alert], now: float) -> list[Alert]:
        """More than MAX_PER_KIND alerts of a kind in one check become one."""
        out: list[Alert] = []
        for kind in AlertKind:
            mine = [a for a in found if a.kind is kind]
            if len(mine) <= MAX_PER_KIND:
                out.extend(mine)
                continue
            names = ", ".join(a.subject for a in mine[:3])
            what = {AlertKind.UNHEALTHY: "hosts turned unhealthy", AlertKind.LINK_LOST: "hosts lost their link",
                    AlertKind.JOB_FAILED: "jobs failed"}[kind]
            out.append(Alert(kind, mine[0].title, clean(f"{len(mine)} {what}: {names}, …", 200), now,
                             count=len(mine)))
        return out


def _duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"
