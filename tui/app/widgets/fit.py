"""Fitting a row into its width without lying: the parts that matter least go first, whole; what must stay is cut
at a token boundary with an ellipsis, never in the middle of a number."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

#: a part that is never dropped
KEEP = 0


@dataclass(slots=True)
class Part:
    text: str
    style: Style | None = None
    #: 0 (:data:`KEEP`) stays; larger numbers are dropped first when the row is too wide
    drop: int = KEEP
    #: this part may be shortened (with an ellipsis): first down to ``least`` cells, before any part is dropped,
    #: then further when dropping the others is not enough
    cut: bool = False
    least: int = 12


def shorten(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` in at most ``width`` cells: cut at a boundary between tokens (a space, ``-``, ``.``, ``_``, ``/``)
    when one is near, never inside a run of digits, and marked with ``ellipsis``."""
    if cell_len(text) <= width:
        return text
    room = width - cell_len(ellipsis)
    if room <= 0:
        return ellipsis[:width]
    head = text[:room]
    while head and cell_len(head) > room:
        head = head[:-1]
    # not in the middle of a number: back up to before the digits
    if head and head[-1].isdigit() and len(head) < len(text) and text[len(head)].isdigit():
        head = head.rstrip("0123456789")
    # at a token boundary when one is in the last third
    for i in range(len(head) - 1, max(0, len(head) * 2 // 3) - 1, -1):
        if head[i] in " -._/:,":
            head = head[: i + (0 if head[i] == " " else 1)]
            break
    return head.rstrip() + ellipsis


def fit(parts: list[Part], width: int, ellipsis: str = "…") -> list[Segment]:
    """The segments of ``parts`` in ``width`` cells: shorten the cuttable parts (from the last) down to their
    ``least``, then drop the optional parts with the highest ``drop`` first, then shorten further."""
    keep = list(parts)
    total = sum(cell_len(p.text) for p in keep)
    if total > width:
        total -= _shorten(keep, total - width, ellipsis, floor=True)
    while total > width:
        droppable = [p for p in keep if p.drop > KEEP]
        if not droppable:
            break
        worst = max(droppable, key=lambda p: p.drop)
        keep.remove(worst)
        total -= cell_len(worst.text)
    if total > width:
        _shorten(keep, total - width, ellipsis, floor=False)
    return [Segment(p.text, p.style) for p in keep]


def _shorten(parts: list[Part], over: int, ellipsis: str, floor: bool) -> int:
    """Shorten the cuttable parts, the last first, by up to ``over`` cells in all; returns the cells saved."""
    saved = 0
    for part in reversed(parts):
        if not part.cut or over <= saved:
            continue
        size = cell_len(part.text)
        least = part.least if floor else len(ellipsis) + 1
        if size <= least:
            continue
        new = shorten(part.text, max(least, size - (over - saved)), ellipsis)
        saved += size - cell_len(new)
        part.text = new
    return saved


def widths(segments: list[Segment]) -> list[int]:
    """The x offset of each segment."""
    out, x = [], 0
    for seg in segments:
        out.append(x)
        x += cell_len(seg.text)
    return out


def highlight(segments: list[Segment], spans_of, style: Style) -> tuple[list[Segment], bool]:
    """``segments`` with ``style`` over what ``spans_of(text)`` finds in each (a search's matches, where the row
    shows them after fitting); and whether anything was found."""
    out: list[Segment] = []
    found = False
    for seg in segments:
        spans = spans_of(seg.text) if seg.text.strip() else ()
        if not spans:
            out.append(seg)
            continue
        found = True
        text, base, at = seg.text, seg.style, 0
        for start, end in spans:
            if start > at:
                out.append(Segment(text[at:start], base))
            out.append(Segment(text[start:end], base + style if base is not None else style))
            at = end
        if at < len(text):
            out.append(Segment(text[at:], base))
    return out, found
