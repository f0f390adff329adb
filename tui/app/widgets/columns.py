"""Columns for a table drawn with the Line API (the jobs list, the VM table): which columns fit a width, each
one's cells padded or shortened to its own width, and a header line that names them (with the sort arrow).

Not a widget: the layout both tables and their header lines agree on. A column that matters less goes first,
whole, when the terminal is narrow; the one flexible column takes whatever is left.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from .fit import shorten

#: the cells between two columns
GAP = 2


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    #: its width in cells; 0: the flexible column (takes the rest, at least ``least``)
    width: int = 0
    #: 0 stays; larger numbers are dropped first when the row is too narrow
    drop: int = 0
    right: bool = False
    least: int = 10


@dataclass(frozen=True, slots=True)
class Placed:
    column: Column
    x: int
    width: int


def layout(columns: tuple[Column, ...], width: int) -> tuple[Placed, ...]:
    """The columns shown in ``width`` cells, with where each starts and how wide it is."""
    shown = list(columns)

    def need(cols: list[Column]) -> int:
        return sum(c.width or c.least for c in cols) + GAP * max(0, len(cols) - 1)

    while need(shown) > width:
        droppable = [c for c in shown if c.drop]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda c: c.drop))
    spare = max(0, width - need(shown))
    out, x = [], 0
    for col in shown:
        w = col.width or col.least + spare
        out.append(Placed(col, x, w))
        x += w + GAP
    return tuple(out)


def cell(text: str, width: int, right: bool = False, ellipsis: str = "…") -> str:
    """``text`` in exactly ``width`` cells: shortened (with ``ellipsis``) or padded."""
    if cell_len(text) > width:
        text = shorten(text, width, ellipsis)
    pad = " " * max(0, width - cell_len(text))
    return pad + text if right else text + pad


def row(cells: list[tuple[Placed, str, Style | None]], ellipsis: str = "…") -> list[Segment]:
    """The segments of one row: each cell at its column's width, the gaps between them plain."""
    out: list[Segment] = []
    gap = Segment(" " * GAP)
    for i, (placed, text, style) in enumerate(cells):
        if i:
            out.append(gap)
        out.append(Segment(cell(text, placed.width, placed.column.right, ellipsis), style))
    return out


def header(placed: tuple[Placed, ...], sort_key: str = "", arrow: str = "") -> str:
    """The column titles, each over its column; the sorted column's title carries ``arrow``."""
    parts = []
    for p in placed:
        title = p.column.title + (f" {arrow}" if arrow and p.column.key == sort_key else "")
        parts.append(cell(title, p.width, p.column.right))
    return (" " * GAP).join(parts).rstrip()
