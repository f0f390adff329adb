"""How hubtop runs Python while a feed is live: the garbage collector and the GIL's switch interval, changed in
one place and put back when the feed is done. Plain Python, no Textual.

Events are freed by reference counting: they make no reference cycles. What the cyclic collector walks under
a busy feed is the model (a 1,000-host snapshot is some 200,000 objects), the journal and, in the app, the UI:
with the default thresholds that walk costs a fifth of the ingest thread's time and long gen-2 pauses. So once
a snapshot is loaded, what exists is moved out of the collector's sight (``gc.freeze``) and it runs less often.
A thread busy with a feed hands the GIL back to the UI loop only every switch interval (5 ms by default): a
shorter one keeps a key press from waiting on it.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: collector thresholds once the snapshot is loaded (Python's defaults are 700, 10, 10)
GEN0, GEN1, GEN2 = 10_000, 20, 100
#: the GIL switch interval while a feed thread runs beside a UI
SWITCH_INTERVAL_S = 0.0005


class Tuning:
    """What :func:`tuned` changed, and :meth:`settle` to call once the snapshot is in."""

    def __init__(self) -> None:
        self.settled = False

    def settle(self, collect: bool = False) -> None:
        """Freeze what exists now (after an optional full collection) and raise the thresholds. Once."""
        if self.settled:
            return
        self.settled = True
        if collect:
            gc.collect()
        gc.freeze()
        gc.set_threshold(GEN0, GEN1, GEN2)


@contextmanager
def tuned(switch_interval: float | None = None) -> Iterator[Tuning]:
    """Change the process-wide settings for a live feed, and put them back on the way out."""
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    tuning = Tuning()
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    try:
        yield tuning
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*thresholds)
        if tuning.settled:
            gc.unfreeze()
