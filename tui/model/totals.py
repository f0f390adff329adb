"""Totals at a glance: hosts by health and by link, VMs by state, and how many hosts are problems.

A status bar at 80x24 has one line for the whole fleet, so :class:`Totals` is a small immutable summary made
from the model in one pass (a C-level count of each host's VM states) and :meth:`Totals.parts` words it as a
few short pieces, each with a tone the app maps to a theme colour. Equal totals compare equal, so a bar can
skip repainting when nothing moved. Every word that came from the server (a VM state hubtop has not heard
of) is made safe for a terminal here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ..protocol.text import clean
from .describe import HEALTH_SYMBOL, LINK_SYMBOL, VM_SYMBOL
from .entities import HEALTHY, UNHEALTHY, Link
from .sorting import OK_RANK, SETTLED_STATES, host_trouble

__all__ = ["Totals", "totals"]

#: the most distinct VM states named (a server inventing states does not make the bar wrap forever)
MAX_STATES = 8


@dataclass(frozen=True, slots=True)
class Totals:
    hosts: int
    #: (health, count), most first; health as the model holds it (healthy, unhealthy, unknown, ...)
    health: tuple[tuple[str, int], ...]
    #: (link, count), most first
    links: tuple[tuple[str, int], ...]
    vms: int
    #: (state, count), most first
    states: tuple[tuple[str, int], ...]
    #: hosts that are a problem in themselves (unhealthy, link down, health unknown)
    problem_hosts: int = 0
    #: VMs in a transitional or failing state
    busy_vms: int = 0

    def count(self, health: str = "", link: str = "", state: str = "") -> int:
        """How many hosts have ``health`` (or ``link``), or VMs ``state``."""
        pairs = self.health if health else self.links if link else self.states
        want = health or link or state
        return next((n for name, n in pairs if name == want), 0)

    @property
    def unhealthy(self) -> int:
        return self.count(health=UNHEALTHY)

    @property
    def links_down(self) -> int:
        return self.count(link=Link.DISCONNECTED) + self.count(link=Link.DEGRADED)

    def parts(self, compact: bool = False, health: Mapping[str, str] = HEALTH_SYMBOL,
              links: Mapping[str, str] = LINK_SYMBOL, vms: Mapping[str, str] = VM_SYMBOL,
              unknown_symbol: str = "?") -> list[tuple[str, str]]:
        """The summary as (text, tone) pieces, tone one of "" (plain), "ok", "warn", "error": ``12 hosts``,
        ``✖ 1 unhealthy``, ``⨯ 2 links down``, ``240 VMs``, ``▶ 200 running`` ... (``compact``: VM states by
        symbol only, for 80 columns; the symbol maps: another set, ASCII say). Safe for a terminal."""
        out = [(f"{self.hosts:,} host{'s' if self.hosts != 1 else ''}", "")]
        if self.unhealthy:
            out.append((f"{health.get('unhealthy', unknown_symbol)} {self.unhealthy:,} unhealthy", "error"))
        down = self.links_down
        if down:
            symbol = links.get("disconnected", unknown_symbol)
            out.append((f"{symbol} {down:,} link{'s' if down != 1 else ''} down", "warn"))
        unknown = self.hosts - self.count(health=HEALTHY) - self.unhealthy
        if unknown:
            out.append((f"{unknown_symbol} {unknown:,} health unknown", "warn"))
        if self.hosts and not (self.unhealthy or down or unknown):
            out.append((f"{health.get('healthy', unknown_symbol)} all healthy", "ok"))
        out.append((f"{self.vms:,} VM{'s' if self.vms != 1 else ''}", ""))
        shown: dict[str, list] = {}  # compact: states that share a symbol (starting, resuming) share a count
        for state, n in self.states[:MAX_STATES]:
            tone = "ok" if state == "running" else "" if state in SETTLED_STATES else "warn"
            symbol = vms.get(state, unknown_symbol)
            key = symbol if compact and state in vms else state
            if key in shown:
                shown[key][1] += n
            else:
                shown[key] = [symbol, n, "" if compact and state in vms else f" {clean(state, 24)}", tone]
        out.extend((f"{symbol} {n:,}{name}", tone) for symbol, n, name, tone in shown.values())
        return [(text, tone) for text, tone in out if text]

    def line(self, sep: str = "  ", compact: bool = False) -> str:
        return sep.join(text for text, _ in self.parts(compact))


def _most_first(counts: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(((str(k), n) for k, n in counts.items() if n), key=lambda kv: (-kv[1], kv[0])))


def totals(hosts) -> Totals:
    """The totals of ``hosts`` (a mapping id -> :class:`Host`, or a cluster)."""
    hosts = getattr(hosts, "hosts", hosts)
    every = hosts.values()
    # one C-speed count per figure over 1,000 hosts and 20,000 VMs (the status bar asks once a second)
    health: Counter = Counter("unknown" if h.health_unreadable else h.health for h in every)
    links: Counter = Counter(h.link for h in every)
    states: Counter = Counter(vm.state for h in every for vm in h.vms.values())
    problems = sum(1 for h in every if host_trouble(h) < OK_RANK)
    busy = sum(n for state, n in states.items() if state not in SETTLED_STATES)
    return Totals(len(hosts), _most_first(health), _most_first(links), sum(states.values()), _most_first(states),
                  problems, busy)
