"""What a row of the host tree shows, copied from the model while it holds still (inside ``Monitor.read``): the
tree paints from these copies only, never from objects the feed thread changes. Strings are made safe once,
here, not on every repaint."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model.describe import VM_SYMBOL
from ...model.entities import VM, Host
from ...model.sorting import SortOrder
from ...protocol.text import clean

HostKey = tuple[str, str, str]  # ("h", host_id, "") or ("v", host_id, vm_id)


@dataclass(slots=True)
class HostView:
    label: str
    description: str
    health: str
    link: str
    counts: tuple[tuple[str, int], ...]
    last_heard: float | None
    placeholder: bool
    local: bool
    changed_at: float
    unsure: bool = False


def host_view(host: Host) -> HostView:
    """What a host row shows (its VM counts need a walk over its VMs: made for the rows on screen)."""
    vms = host.vms.values()
    return HostView(
        label=clean(host.label, 200),
        description=clean(host.description, 200) if host.hostname else "",
        health=clean(host.health, 40),
        link=clean(host.link, 40),
        counts=_by_symbol(host.vm_counts()),
        last_heard=host.last_heard,
        placeholder=host.placeholder,
        local=host.local,
        changed_at=host.changed_at,
        unsure=any(vm.unsure for vm in vms),
    )


def _by_symbol(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """VM counts per symbol (starting and resuming share one, as do stopping and suspending), most first;
    each keyed by the first state seen with that symbol, for its colour."""
    merged: dict[str, list] = {}
    for state, n in counts.items():
        symbol = VM_SYMBOL.get(state, "?")
        if symbol in merged:
            merged[symbol][1] += n
        else:
            merged[symbol] = [state, n]
    return tuple(sorted(((state, n) for state, n in merged.values()), key=lambda kv: (-kv[1], kv[0])))


@dataclass(slots=True)
class VMRow:
    """A VM row's copy. One per VM, shared by every list of rows it is in, and brought up to date in place
    when the model says the VM changed."""

    id: str
    label: str = ""
    state: str = ""
    os: str = ""
    unsure: bool = False
    last_change: float | None = None

    def copy_from(self, vm: VM) -> VMRow:
        self.update(vm)
        return self

    def update(self, vm: VM) -> bool:
        """Copy ``vm``; whether the row now reads differently (a resync that changed nothing repaints nothing)."""
        label, state, os_ = clean(vm.label, 200), clean(vm.state, 40), clean(vm.os, 60)
        if (label, state, os_, vm.unsure, vm.last_change) == \
                (self.label, self.state, self.os, self.unsure, self.last_change):
            return False
        self.label, self.state, self.os, self.unsure, self.last_change = label, state, os_, vm.unsure, vm.last_change
        return True


@dataclass(slots=True)
class VMBlock:
    """A host's VMs in order, with their row keys and copies; kept until the host's set of VMs changes (a
    rebuild of 20,000 rows then sorts nothing again)."""

    shape: int
    count: int
    ids: list[str]
    keys: list[HostKey]
    rows: list[VMRow]
    order: SortOrder = SortOrder.NAME


@dataclass(slots=True)
class FullRows:
    """Every row, unfiltered, as of one generation of the tree's shape: Escape after a filter reuses them."""

    generation: int
    rows: list[HostKey]
    hosts: dict[str, HostView]
    vms: dict[tuple[str, str], VMRow] = field(default_factory=dict)
