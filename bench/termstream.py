"""What a full-screen program wrote to its terminal: which screen regions it rewrote, how often, with what text.

Textual (like curses) moves the cursor to a cell (``CSI row;col H``) and writes a run of styled text from there.
:func:`runs` follows those moves through a captured byte stream and counts the runs of text written from each
cell; :func:`regions` merges the rows of a column that were rewritten equally often into one region ("rows
30-49, cols 1-160, 10 times a second: '╭─ Events ──'"), so a report can say which boxes, titles or lines are
repainted while nothing changes.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

#: a CSI sequence (final byte @-~), an OSC (to BEL or ST), another escape, or a run of text
_TOKEN = re.compile(r"\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()#]?.|"
                    r"([^\x1b\r\n\x08]+)|[\r\n\x08]")
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()#]?.")


def plain(data: bytes) -> str:
    """The text of a stream without its escape sequences."""
    return _ESCAPES.sub("", data.decode("utf-8", "replace"))


@dataclass
class Cell:
    count: int = 0  # runs of text written from this cell
    chars: int = 0  # printable characters in them
    width: int = 0  # the longest run
    text: str = ""  # the first run (styles removed)


def runs(data: bytes) -> dict[tuple[int, int], Cell]:
    """(row, col) 1-based -> the runs of text written from that cell (a run ends at the next cursor move)."""
    cells: dict[tuple[int, int], Cell] = defaultdict(Cell)
    pos = (1, 1)
    current: list[str] = []

    def flush() -> None:
        if current:
            run = "".join(current)
            cell = cells[pos]
            cell.count += 1
            cell.chars += len(run)
            cell.width = max(cell.width, len(run))
            cell.text = cell.text or run
            current.clear()

    for m in _TOKEN.finditer(data.decode("utf-8", "replace")):
        params, final, text = m.group(1), m.group(2), m.group(3)
        if text is not None:
            current.append(text)
        elif final in ("H", "f"):
            flush()
            row, _, col = (params or "").partition(";")
            pos = (int(row or 1), int(col or 1))
        elif final == "m":
            continue  # a style change inside a run
        else:
            flush()
            if m.group(0) == "\n":
                pos = (pos[0] + 1, 1)
    flush()
    return dict(cells)


@dataclass
class Region:
    first: int
    last: int
    col: int
    width: int
    count: int  # rewrites of each row in the capture
    chars: int
    text: str

    def describe(self, seconds: float) -> str:
        rows = f"row {self.first}" if self.first == self.last else f"rows {self.first}-{self.last}"
        sample = " ".join(self.text.split())[:40]
        return (f"{rows} cols {self.col}-{self.col + self.width - 1} {self.count / seconds:.1f}/s"
                + (f" ({sample!r})" if sample else ""))


def regions(data: bytes) -> list[Region]:
    """Cells in the same column on consecutive rows, rewritten equally often, merged; most characters first."""
    out: list[Region] = []
    for (row, col), c in sorted(runs(data).items(), key=lambda kv: (kv[0][1], kv[0][0])):
        prev = out[-1] if out else None
        if prev and prev.col == col and prev.last == row - 1 and prev.count == c.count:
            prev.last, prev.width, prev.chars = row, max(prev.width, c.width), prev.chars + c.chars
        else:
            out.append(Region(row, row, col, c.width, c.count, c.chars, c.text))
    return sorted(out, key=lambda r: -r.chars)


def summary(data: bytes, rows: int, seconds: float, most: int = 6) -> str:
    """One line: the regions that took most of the bytes, how often they were rewritten, what they begin with."""
    if not data:
        return "nothing written"
    regs = regions(data)
    written = {r for reg in regs for r in range(reg.first, reg.last + 1)}
    total = sum(r.chars for r in regs) or 1
    parts = [f"{reg.describe(seconds)} {reg.chars / total:.0%}" for reg in regs[:most]]
    more = f"; {len(regs) - most} smaller regions" if len(regs) > most else ""
    return (f"{len(written)} of {rows} rows written, {total / seconds:,.0f} printable chars/s; by share of the "
            f"characters: " + "; ".join(parts) + more)


def top_texts(data: bytes, most: int = 3) -> list[tuple[str, int]]:
    """The most repeated non-blank runs of text, whitespace squeezed, with their counts."""
    texts: Counter = Counter()
    for m in _TOKEN.finditer(data.decode("utf-8", "replace")):
        if m.group(3) and m.group(3).strip():
            texts[" ".join(m.group(3).split())[:60]] += 1
    return texts.most_common(most)
