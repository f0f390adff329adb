"""How hubtop runs Python's garbage collector while a feed is live. Plain Python, no Textual.

Events are freed by reference counting: they make no reference cycles. What the cyclic collector walks
under a 20,000 events/s feed is the model (a 1,000-host snapshot is some 200,000 objects), the journal
(10,000 events) and, in the app, the UI: with the default thresholds (700, 10, 10) that walk costs about
a fifth of the ingest thread's time and gen-2 pauses of 70-100 ms. So once a snapshot is loaded, what
exists is moved out of the collector's sight (``gc.freeze``) and it runs less often.
"""

from __future__ import annotations

import gc

#: collector thresholds once the snapshot is loaded (Python's defaults are 700, 10, 10)
GEN0, GEN1, GEN2 = 10_000, 20, 100


def settle(collect: bool = False) -> None:
    """Freeze what exists now (after an optional full collection) and raise the thresholds."""
    if collect:
        gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0, GEN1, GEN2)
