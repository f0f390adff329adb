"""How the screen is divided at a given size: which boxes show, and how tall each is. Pure: a test walks every
size from the smallest to the largest.

The tree gets the space first. Every box shown has a usable height, or is folded away and reached another way
(details: Enter opens them as a dialog; channels: ``c``; the log: Tab in the one-column mode). Below 80x24 the
app keeps a one-column mode (the tree, or the log, one at a time); below :data:`TINY` it says what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: the smallest terminal with everything (tree, log; details and channels as dialogs)
FULL = (80, 24)
#: the least width for the details and channels beside the tree
WIDE_WIDTH = 120
#: below this, nothing useful fits: the app says what it needs
TINY = (40, 10)
#: the right column's width, and the rows its boxes need to be of use (borders included)
RIGHT_WIDTH = 60
DETAILS_MIN = 8  # health, link, VMs, last heard, a title, two borders
CHANNELS_ROWS = 13  # eleven channels and two borders
LOG_MIN = 7  # five rows and two borders


class Mode(StrEnum):
    TINY = "tiny"  # "needs 40x10"
    COMPACT = "compact"  # one column: the tree or the log
    NARROW = "narrow"  # tree over log; details and channels as dialogs
    WIDE = "wide"  # tree and the right column over the log


@dataclass(frozen=True, slots=True)
class Plan:
    mode: Mode
    width: int
    height: int
    #: rows of the tree's box (the main row, with the right column beside it when wide)
    main: int = 0
    #: rows of the log's box (0: folded)
    log: int = 0
    details: bool = False
    channels: bool = False

    @property
    def right(self) -> bool:
        return self.details or self.channels


def plan(width: int, height: int, status_rows: int = 1) -> Plan:
    """The layout for a terminal of ``width`` x ``height`` whose status bar takes ``status_rows`` rows."""
    if width < TINY[0] or height < TINY[1]:
        return Plan(Mode.TINY, width, height)
    # the status bar, the filter line and the footer take their rows; the rest is for the boxes
    rows = height - status_rows - 2
    if width < FULL[0] or height < FULL[1]:
        return Plan(Mode.COMPACT, width, height, main=rows)
    log = max(LOG_MIN, rows * 2 // 5)
    main = rows - log
    if width < WIDE_WIDTH:
        return Plan(Mode.NARROW, width, height, main=main, log=log)
    details = main >= DETAILS_MIN
    channels = main >= DETAILS_MIN + CHANNELS_ROWS
    return Plan(Mode.WIDE, width, height, main=main, log=log, details=details, channels=channels)
