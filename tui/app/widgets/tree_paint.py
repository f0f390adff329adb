"""What a host row and a VM row of the tree say, as parts that fit any width (:mod:`.fit`): the label first, a
state always as a symbol and a word, the rest dropped in order of least use as the width shrinks."""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style

from ...model.describe import VM_TONE, ago
from ...model.entities import LINK_CONNECTED, UNKNOWN
from ..glyphs import Glyphs
from .fit import Part, fit
from .tree_rows import HostView, VMRow

Styles = Callable[[str], Style]


def short_age(ts: float | None, now: float, never: str = "–") -> str:
    return ago(ts, now, suffix="", never=never)


def host_parts(view: HostView, g: Glyphs, st: Styles, arrow: str, lit: bool, age: str) -> list[Part]:
    """A host row: arrow, name, description, health, link, VM counts by state, then its age (last)."""
    label_style = st("host-tree--placeholder") if view.placeholder else st("host-tree--host")
    if lit:
        label_style = label_style + st("host-tree--changed")
    health = view.health or UNKNOWN
    tone = "healthy" if health == "healthy" else "unhealthy" if health == "unhealthy" else "unknown"
    parts = [Part(arrow, st("host-tree--guide")), Part(view.label, label_style, cut=True, least=60)]
    if view.local:
        parts.append(Part(" (this server)", st("host-tree--dim"), drop=6))
    if view.description:
        parts.append(Part(f"  {view.description}", st("host-tree--desc"), drop=7, cut=True, least=10))
    parts.append(Part(f"  {g.health.get(health, g.unknown)} {health}", st(f"host-tree--{tone}")))
    if view.unsure:
        parts.append(Part(f"  {g.unsure}", st("host-tree--link"), drop=2))
    if view.link not in (LINK_CONNECTED, UNKNOWN):
        parts.append(Part(f"  {g.link.get(view.link, g.unknown)} link {view.link}", st("host-tree--link")))
    if view.counts:
        for state, n in view.counts:
            parts.append(Part(f"  {n}{g.vm.get(state, g.unknown)}", st(f"host-tree--{VM_TONE.get(state, 'warn')}")))
    else:
        parts.append(Part("  no VMs", st("host-tree--dim"), drop=3))
    parts.append(Part(f"  {age}", st("host-tree--dim"), drop=4))
    return parts


def vm_parts(vm: VMRow, g: Glyphs, st: Styles, guide: str, lit: bool) -> list[Part]:
    """A VM row: the tree's guide, name, state, unsure, OS."""
    state = vm.state
    label_style = st("host-tree--vm")
    if lit:
        label_style = label_style + st("host-tree--changed")
    parts = [
        Part(guide, st("host-tree--guide")),
        Part(vm.label, label_style, cut=True, least=60),
        Part(f"  {g.vm.get(state, g.unknown)} {state or UNKNOWN}", st(f"host-tree--{VM_TONE.get(state, 'warn')}")),
    ]
    if vm.unsure:  # events are missing between what hubtop holds and the server: a resync settles it
        parts.append(Part(f"  {g.unsure} unsure", st("host-tree--link"), drop=2))
    if vm.os:
        parts.append(Part(f"  {vm.os}", st("host-tree--dim"), drop=5))
    return parts


def empty_row(note: str, width: int, st: Styles, g: Glyphs) -> list[Segment]:
    """The line an empty tree shows in place of its rows: why it is empty."""
    return fit([Part(f" {note}", st("host-tree--dim"), cut=True, least=10)], width, g.ellipsis)
