"""The orders the host tree can be sorted in, and what counts as a problem when sorting or filtering by one.

An SRE opens hubtop to find what is wrong, so besides the name (in natural order: ``win11-build-9`` before
``win11-build-11``) the tree can put problems first, the busiest hosts first, or the hosts that have been
silent longest first. VMs inside a host sort by state, then name. The same notion of "a problem" serves the
problems-first order and the filter's problems-only view (``!``), so both agree on what is wrong.

Keys are cheap: a host's natural name key is cached on the host (:attr:`Host.name_key`), and a problem rank
costs one C-level count of its VMs' states, so sorting 1,000 hosts fits in a keystroke.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from operator import attrgetter

from .entities import HEALTHY, UNHEALTHY, VM, Host, Link, natural_key

__all__ = [
    "SETTLED_STATES", "SortOrder", "host_key", "host_trouble", "natural_key", "problem_rank", "sorted_hosts",
    "sorted_vms", "vm_key", "vm_trouble",
]


class SortOrder(StrEnum):
    """How the tree orders hosts (``s`` cycles through them in this order)."""

    NAME = "name"
    PROBLEMS = "problems"
    VMS = "vms"
    HEARD = "heard"

    @property
    def label(self) -> str:
        """The words for the tree's title and the palette."""
        return _LABELS[self]

    def next(self) -> SortOrder:
        orders = list(SortOrder)
        return orders[(orders.index(self) + 1) % len(orders)]

    @classmethod
    def parse(cls, text: object, default: SortOrder | None = None) -> SortOrder:
        """The order named ``text`` (its value, case-insensitive), else ``default`` (the name order): a saved
        state from another version never fails to load."""
        try:
            return cls(str(text).strip().lower())
        except ValueError:
            return default or cls.NAME


_LABELS = {
    SortOrder.NAME: "name",
    SortOrder.PROBLEMS: "problems first",
    SortOrder.VMS: "VM count",
    SortOrder.HEARD: "last heard",
}

#: VM states that are not news: anything else (starting, stopping, resetting, unknown, a state the server
#: invented) is transitional or failing, and counts as trouble
SETTLED_STATES = frozenset(("running", "stopped", "suspended", "paused"))

#: a VM's state -> where it sorts among its host's VMs (other states after these, by name)
VM_STATE_RANK = {
    "running": 0,
    "starting": 1,
    "resuming": 1,
    "stopping": 1,
    "suspending": 1,
    "resetting": 1,
    "paused": 2,
    "suspended": 3,
    "stopped": 4,
}
_OTHER_STATE = 5

#: problem ranks of a host, worst first
UNHEALTHY_RANK, LINK_DOWN_RANK, UNSURE_RANK, VMS_RANK, OK_RANK = 0, 1, 2, 3, 4
_DOWN = (Link.DISCONNECTED, Link.DEGRADED)
_UNSURE = attrgetter("unsure")


def vm_trouble(vm: VM) -> bool:
    """A VM worth a look: hubtop is unsure of its state, or the state is transitional or failing."""
    return vm.unsure or vm.state not in SETTLED_STATES


def host_trouble(host: Host) -> int:
    """What is wrong with the host itself (not its VMs): :data:`UNHEALTHY_RANK`, :data:`LINK_DOWN_RANK`,
    :data:`UNSURE_RANK` (health unknown or unreadable, known only from its VMs' listing), or :data:`OK_RANK`.
    The server hubtop is connected to, known from its pdfm events only, has no health to know: not a problem."""
    if host.health == UNHEALTHY:
        return UNHEALTHY_RANK
    if host.link in _DOWN:
        return LINK_DOWN_RANK
    if host.health_unreadable or host.placeholder:
        return UNSURE_RANK
    if host.health != HEALTHY and not (host.local and host.record is None):
        return UNSURE_RANK
    return OK_RANK


def problem_rank(host: Host) -> tuple[int, int]:
    """(rank, minus the number of troubled VMs): unhealthy, link down, unsure (the host, or a VM's state),
    then hosts with VMs in transitional or failing states (more first), then the rest."""
    rank = host_trouble(host)
    vms = host.vms.values()
    if rank == OK_RANK and any(map(_UNSURE, vms)):
        rank = UNSURE_RANK
    counts = host.vm_counts()
    troubled = sum(n for state, n in counts.items() if state not in SETTLED_STATES)
    if rank == OK_RANK and troubled:
        rank = VMS_RANK
    return rank, -troubled


def host_key(order: SortOrder) -> Callable[[Host], tuple]:
    """The sort key of hosts for ``order``; every order ends on the natural name, then the id."""
    if order is SortOrder.PROBLEMS:
        return lambda h: (problem_rank(h), h.name_key, h.id)
    if order is SortOrder.VMS:
        return lambda h: (-len(h.vms), h.name_key, h.id)
    if order is SortOrder.HEARD:
        # the longest silent first: never heard, then the oldest "last heard"
        return lambda h: (h.last_heard is not None, h.last_heard or 0.0, h.name_key, h.id)
    return lambda h: (h.name_key, h.id)


def sorted_hosts(hosts: Iterable[Host], order: SortOrder = SortOrder.NAME) -> list[Host]:
    return sorted(hosts, key=host_key(order))


def vm_key(vm: VM) -> tuple:
    """VMs inside a host: by state (running, transitional, paused, suspended, stopped, then any other), then
    natural name, then id."""
    return (VM_STATE_RANK.get(vm.state, _OTHER_STATE), vm.name_key, vm.id)


def vm_problem_key(vm: VM) -> tuple:
    """As :func:`vm_key` with troubled VMs first (for the problems-first order)."""
    return (not vm_trouble(vm), VM_STATE_RANK.get(vm.state, _OTHER_STATE), vm.name_key, vm.id)


def sorted_vms(host: Host, order: SortOrder = SortOrder.NAME) -> list[VM]:
    return sorted(host.vms.values(), key=vm_problem_key if order is SortOrder.PROBLEMS else vm_key)
